//! The gamma function exactly as Python's `math.gamma` computes it, errors included.
//!
//! Python's reference output is part of the question, so our numbers must match it to the last
//! bit. General-purpose gamma implementations do not (`libm::tgamma(2.5)` is one unit in the
//! last place away; statrs' is further off), so this is a port of CPython's own `m_tgamma`
//! (Modules/mathmodule.c): a Lanczos approximation with exact values for small integers. It
//! calls the same C library `exp`, `pow`, `sin` and `cos` that CPython does, through `std`.

use std::f64::consts::PI;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Python's two ways for `math.gamma` to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MathError {
    /// `ValueError: math domain error`: a pole (0, -1, -2, …) or -inf.
    Domain,
    /// `OverflowError: math range error`: the result is too large for a float.
    Range,
}

impl fmt::Display for MathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MathError::Domain => "math domain error",
            MathError::Range => "math range error",
        })
    }
}

impl std::error::Error for MathError {}

// ANCHOR: calc_gamma
/// Γ(x), as `math.gamma(x)` returns it in Python, or the error Python raises.
///
/// ```
/// use q5_pool::gamma::{gamma, MathError};
/// assert_eq!(gamma(0.5), Ok(1.7724538509055159));
/// assert_eq!(gamma(4.0), Ok(6.0));
/// assert_eq!(gamma(0.0), Err(MathError::Domain));
/// assert_eq!(gamma(172.0), Err(MathError::Range));
/// ```
pub fn gamma(x: f64) -> Result<f64, MathError> {
    let (value, errno) = m_tgamma(x);
    match errno {
        Errno::None => Ok(value),
        Errno::Domain => Err(MathError::Domain),
        // As in CPython's `is_error`: a range error with a small result is an underflow,
        // which Python lets through.
        Errno::Range if value.abs() < 1.5 => Ok(value),
        Errno::Range => Err(MathError::Range),
    }
}
// ANCHOR_END: calc_gamma

/// C's `errno` after `m_tgamma`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Errno {
    None,
    Domain,
    Range,
}

const LANCZOS_N: usize = 13;
// Constants are copied digit for digit from CPython, so a reader can compare the two.
#[allow(clippy::excessive_precision)]
const LANCZOS_G: f64 = 6.024_680_040_776_729_583_740_234_375;
#[allow(clippy::excessive_precision)]
const LANCZOS_G_MINUS_HALF: f64 = 5.524_680_040_776_729_583_740_234_375;
#[allow(clippy::excessive_precision)]
const LANCZOS_NUM_COEFFS: [f64; LANCZOS_N] = [
    23531376880.410759688572007674451636754734846804940,
    42919803642.649098768957899047001988850926355848959,
    35711959237.355668049440185451547166705960488635843,
    17921034426.037209699919755754458931112671403265390,
    6039542586.3520280050642916443072979210699388420708,
    1439720407.3117216736632230727949123939715485786772,
    248874557.86205415651146038641322942321632125127801,
    31426415.585400194380614231628318205362874684987640,
    2876370.6289353724412254090516208496135991145378768,
    186056.26539522349504029498971604569928220784236328,
    8071.6720023658162106380029022722506138218516325024,
    210.82427775157934587250973392071336271166969580291,
    2.5066282746310002701649081771338373386264310793408,
];
/// x(x+1)…(x+LANCZOS_N-2), by coefficient.
const LANCZOS_DEN_COEFFS: [f64; LANCZOS_N] = [
    0.0,
    39916800.0,
    120543840.0,
    150917976.0,
    105258076.0,
    45995730.0,
    13339535.0,
    2637558.0,
    357423.0,
    32670.0,
    1925.0,
    66.0,
    1.0,
];
/// Γ(1) … Γ(23), exact.
const GAMMA_INTEGRAL: [f64; 23] = [
    1.0,
    1.0,
    2.0,
    6.0,
    24.0,
    120.0,
    720.0,
    5040.0,
    40320.0,
    362880.0,
    3628800.0,
    39916800.0,
    479001600.0,
    6227020800.0,
    87178291200.0,
    1307674368000.0,
    20922789888000.0,
    355687428096000.0,
    6402373705728000.0,
    121645100408832000.0,
    2432902008176640000.0,
    51090942171709440000.0,
    1124000727777607680000.0,
];

fn lanczos_sum(x: f64) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    // For large x, evaluate as a rational function of 1/x to avoid overflow.
    if x < 5.0 {
        for i in (0..LANCZOS_N).rev() {
            num = num * x + LANCZOS_NUM_COEFFS[i];
            den = den * x + LANCZOS_DEN_COEFFS[i];
        }
    } else {
        for i in 0..LANCZOS_N {
            num = num / x + LANCZOS_NUM_COEFFS[i];
            den = den / x + LANCZOS_DEN_COEFFS[i];
        }
    }
    num / den
}

/// sin(πx), exact at integers and half-integers.
fn m_sinpi(x: f64) -> f64 {
    let y = x.abs() % 2.0;
    let r = match (2.0 * y).round() as i32 {
        0 => (PI * y).sin(),
        1 => (PI * (y - 0.5)).cos(),
        // -sin(π(y-1)) would give -0.0 instead of 0.0 at y == 1.
        2 => (PI * (1.0 - y)).sin(),
        3 => -(PI * (y - 1.5)).cos(),
        4 => (PI * (y - 2.0)).sin(),
        _ => unreachable!("0 <= 2y <= 4"),
    };
    1.0_f64.copysign(x) * r
}

fn m_tgamma(x: f64) -> (f64, Errno) {
    if !x.is_finite() {
        return if x.is_nan() || x > 0.0 {
            (x, Errno::None)
        } else {
            (f64::NAN, Errno::Domain)
        };
    }
    if x == 0.0 {
        return (f64::INFINITY.copysign(x), Errno::Domain);
    }
    if x == x.floor() {
        if x < 0.0 {
            return (f64::NAN, Errno::Domain);
        }
        if x <= GAMMA_INTEGRAL.len() as f64 {
            return (GAMMA_INTEGRAL[x as usize - 1], Errno::None);
        }
    }
    let absx = x.abs();
    if absx < 1e-20 {
        let r = 1.0 / x;
        return (
            r,
            if r.is_infinite() {
                Errno::Range
            } else {
                Errno::None
            },
        );
    }
    // Γ overflows for x > 200 and underflows to ±0 for x < -200 (not an integer).
    if absx > 200.0 {
        return if x < 0.0 {
            (0.0 / m_sinpi(x), Errno::None)
        } else {
            (f64::INFINITY, Errno::Range)
        };
    }
    let y = absx + LANCZOS_G_MINUS_HALF;
    // The rounding error in y, to correct the result.
    let z = if absx > LANCZOS_G_MINUS_HALF {
        let q = y - absx;
        q - LANCZOS_G_MINUS_HALF
    } else {
        let q = y - LANCZOS_G_MINUS_HALF;
        q - absx
    };
    let z = z * LANCZOS_G / y;
    let mut r;
    if x < 0.0 {
        r = -PI / m_sinpi(absx) / absx * y.exp() / lanczos_sum(absx);
        r -= z * r;
        if absx < 140.0 {
            r /= y.powf(absx - 0.5);
        } else {
            let sqrtpow = y.powf(absx / 2.0 - 0.25);
            r /= sqrtpow;
            r /= sqrtpow;
        }
    } else {
        r = lanczos_sum(absx) / y.exp();
        r += z * r;
        if absx < 140.0 {
            r *= y.powf(absx - 0.5);
        } else {
            let sqrtpow = y.powf(absx / 2.0 - 0.25);
            r *= sqrtpow;
            r *= sqrtpow;
        }
    }
    (
        r,
        if r.is_infinite() {
            Errno::Range
        } else {
            Errno::None
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use support::python::repr_f64;

    /// `repr(math.gamma(x))`, or the exception, from CPython 3.11 on Linux (glibc).
    const PYTHON: &[(f64, &str)] = &[
        (0.5, "1.7724538509055159"),
        (1.0, "1.0"),
        (4.0, "6.0"),
        (10.0, "362880.0"),
        (2.5, "1.3293403881791372"),
        (170.5, "5.56209241456e+305"),
        (171.0, "7.257415615307998e+306"),
        (171.5, "9.483367566824801e+307"),
        (172.0, "math range error"),
        (201.0, "math range error"),
        (1e-320, "math range error"),
        (0.0, "math domain error"),
        (-0.0, "math domain error"),
        (-1.0, "math domain error"),
        (-2.0, "math domain error"),
        (f64::NEG_INFINITY, "math domain error"),
        (f64::INFINITY, "inf"),
        (f64::NAN, "nan"),
        (-200.5, "-0.0"),
        (1e-30, "9.999999999999999e+29"),
        (-1e-30, "-9.999999999999999e+29"),
        (0.001, "999.4237724845954"),
        (23.0, "1.1240007277776077e+21"),
        (24.0, "2.585201673888497e+22"),
        (22.5, "2.382801594464184e+20"),
        (-0.5, "-3.544907701811032"),
        (-170.5, "-3.312739521538607e-308"),
        (-171.5, "1.9316265431712e-310"),
        (4.999, "23.963883035055535"),
        (140.5, "1.1367323214599712e+240"),
        (139.5, "8.14861879182775e+237"),
        (150.3, "1.7112969992195767e+261"),
    ];

    #[test]
    fn matches_python_bit_for_bit() {
        for &(x, want) in PYTHON {
            let got = match gamma(x) {
                Ok(v) => repr_f64(v),
                Err(e) => e.to_string(),
            };
            assert_eq!(got, want, "gamma({x:?})");
        }
    }
}
