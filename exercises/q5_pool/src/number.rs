//! A number as the user wrote it: `1` stays an int and `1.0` a float, as in Python, where
//! `Gamma(1)` and `Gamma(1.0)` print differently.

use std::fmt;
use std::str::FromStr;

use support::python::repr_f64;

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
        if let Ok(i) = s.parse::<i64>() {
            return Ok(Number::Int(i));
        }
        s.parse::<f64>()
            .map(Number::Float)
            .map_err(|_| format!("'{s}' is not a number"))
    }
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
        assert!("".parse::<Number>().is_err());
    }
}
