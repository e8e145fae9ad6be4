//! A number as the user wrote it: `1` stays an int and `1.0` a float, as in Python, where
//! `Gamma(1)` and `Gamma(1.0)` print differently.

use std::fmt;
use std::str::FromStr;

use support::python::{repr_f64, without_digit_underscores};

/// An int or a float, printed the way Python prints it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// Written without a decimal point or exponent: `7`, `-2`.
    Int(i64),
    /// Anything else Python reads as a float: `2.5`, `1e3`, `inf`, `nan`.
    Float(f64),
}

impl Number {
    /// The value as a float, the type `math.gamma` computes in.
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(x) => x,
        }
    }
}

impl FromStr for Number {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        // Python's int() and float() take `1_000` (underscores between digits).
        let digits = without_digit_underscores(s).ok_or_else(|| not_a_number(s))?;
        if let Ok(i) = digits.parse::<i64>() {
            return Ok(Number::Int(i));
        }
        digits
            .parse::<f64>()
            .map(Number::Float)
            .map_err(|_| not_a_number(s))
    }
}

fn not_a_number(s: &str) -> String {
    format!("'{s}' is not a number")
}

/// An integer as Python's `int()` reads it: `7`, `-2`, `1_000`. For `square`'s numbers.
///
/// ```
/// assert_eq!(q5_pool::number::parse_int("1_000"), Ok(1000));
/// assert!(q5_pool::number::parse_int("1.5").is_err());
/// ```
pub fn parse_int(s: &str) -> Result<i64, String> {
    without_digit_underscores(s)
        .and_then(|digits| digits.parse().ok())
        .ok_or_else(|| format!("'{s}' is not a whole number"))
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => f.write_str(&repr_f64(x)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Number;

    #[test]
    fn keeps_the_form_it_was_written_in() {
        let shown: Vec<String> = ["1", "1.0", "0.5", "-2", "1e3", "inf", "170.5"]
            .iter()
            .map(|s| s.parse::<Number>().unwrap().to_string())
            .collect();
        assert_eq!(shown, ["1", "1.0", "0.5", "-2", "1000.0", "inf", "170.5"]);
        assert!("abc".parse::<Number>().is_err());
        assert_eq!("1_000".parse::<Number>(), Ok(Number::Int(1000)));
        assert!("1_000_".parse::<Number>().is_err());
        assert!("".parse::<Number>().is_err());
    }
}
