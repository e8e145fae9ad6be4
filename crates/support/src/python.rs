//! Printing values the way Python prints them.

/// Formats `x` like Python's `repr(float)` (and `print(x)`, and f-strings without a format).
///
/// Both languages print the shortest digits that read back as the same float, but lay them out
/// differently: Python always shows a fractional part (`1.0`, Rust `1`) and switches to exponent
/// form below `1e-4` and from `1e16` (`7.257415615307998e+306`), where Rust writes every digit.
///
/// ```
/// use support::python::repr_f64;
/// assert_eq!(repr_f64(1.7724538509055159), "1.7724538509055159");
/// assert_eq!(repr_f64(6.0), "6.0");
/// assert_eq!(repr_f64(7.257415615307998e306), "7.257415615307998e+306");
/// assert_eq!(repr_f64(1e-5), "1e-05");
/// assert_eq!(repr_f64(f64::INFINITY), "inf");
/// ```
pub fn repr_f64(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    // `{:e}` gives the shortest round-trip digits as `d.ddde±x`.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exponent) = sci.split_once('e').expect("{:e} always has an exponent");
    let exponent: i32 = exponent.parse().expect("{:e} exponent is an integer");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if x.is_sign_negative() { "-" } else { "" };
    // Python's rule (float_repr_style 'short'): with the decimal point after `decpt` digits,
    // use exponent form when decpt > 16 or decpt < -3.
    let decpt = exponent + 1;
    if !(-3..=16).contains(&decpt) {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{first}{fraction}e{exp_sign}{:02}", exponent.abs());
    }
    let body = if decpt <= 0 {
        format!("0.{}{digits}", "0".repeat(decpt.unsigned_abs() as usize))
    } else if decpt as usize >= digits.len() {
        format!("{digits}{}.0", "0".repeat(decpt as usize - digits.len()))
    } else {
        let (int, frac) = digits.split_at(decpt as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{body}")
}

/// `text` without the underscores Python allows between digits (PEP 515: `1_000_000`,
/// `0.000_1`, `1e1_0`), or `None` if an underscore is anywhere else: at either end, doubled, or
/// beside a sign, a point or an exponent (`1_000_`, `1__0`, `_5`, `1_.5`). What `int()` and
/// `float()` accept, so a number a learner copies from Python reads the same here.
///
/// ```
/// use support::python::without_digit_underscores;
/// assert_eq!(without_digit_underscores("1_000").as_deref(), Some("1000"));
/// assert_eq!(without_digit_underscores("-2.5").as_deref(), Some("-2.5"));
/// assert_eq!(without_digit_underscores("1_000_"), None);
/// ```
pub fn without_digit_underscores(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut kept = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        if c == '_' {
            let digit_before = i > 0 && bytes[i - 1].is_ascii_digit();
            let digit_after = bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
            if !(digit_before && digit_after) {
                return None;
            }
        } else {
            kept.push(c);
        }
    }
    Some(kept)
}

#[cfg(test)]
mod tests {
    use super::{repr_f64, without_digit_underscores};

    #[test]
    fn underscores_only_between_digits() {
        // Each checked against CPython 3.11: int() or float() accepts the first list, refuses the
        // second.
        for (text, want) in [
            ("1_000", "1000"),
            ("1_0_0", "100"),
            ("0.000_1", "0.0001"),
            ("1_0.5", "10.5"),
            ("1e1_0", "1e10"),
            ("7", "7"),
        ] {
            assert_eq!(
                without_digit_underscores(text).as_deref(),
                Some(want),
                "{text}"
            );
        }
        for text in ["_1", "1_", "1__0", "1_.5", "1._5", "-_1", "1e_5", "_"] {
            assert_eq!(without_digit_underscores(text), None, "{text}");
        }
    }

    #[test]
    fn matches_python_repr() {
        // Each pair checked against CPython 3.11's repr().
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (0.5, "0.5"),
            (362880.0, "362880.0"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (0.0001, "0.0001"),
            (0.00012, "0.00012"),
            (1e-5, "1e-05"),
            (-2.5e-7, "-2.5e-07"),
            (1e300, "1e+300"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-1234.5, "-1234.5"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (x, want) in cases {
            assert_eq!(repr_f64(x), want, "{x:e}");
        }
    }
}
