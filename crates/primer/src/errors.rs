//! `Result` and `?`: failures are values, and `?` passes them up.

use std::fmt;
use std::num::ParseIntError;

/// Why a line of settings could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum SettingsError {
    /// The line has no `=`.
    NoEquals(String),
    /// The value is not a number.
    NotANumber(String, ParseIntError),
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsError::NoEquals(line) => write!(f, "`{line}` has no `=`"),
            SettingsError::NotANumber(line, e) => write!(f, "`{line}`: {e}"),
        }
    }
}

impl std::error::Error for SettingsError {}

// ANCHOR: question_mark
/// Reads `workers = 4` into `("workers", 4)`. Each step that can fail returns a `Result`;
/// `?` takes the value out of an `Ok`, or returns the `Err` to the caller at once.
pub fn parse_setting(line: &str) -> Result<(&str, u32), SettingsError> {
    let (name, value) = line
        .split_once('=')
        .ok_or_else(|| SettingsError::NoEquals(line.to_owned()))?;
    let value = value
        .trim()
        .parse()
        .map_err(|e| SettingsError::NotANumber(line.to_owned(), e))?;
    Ok((name.trim(), value))
}

/// Reads every line, stopping at the first that fails: collecting `Result`s into a `Result`
/// gives `Ok` with all the values, or the first `Err`.
pub fn parse_settings(text: &str) -> Result<Vec<(&str, u32)>, SettingsError> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(parse_setting)
        .collect()
}
// ANCHOR_END: question_mark

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_lines_give_values() {
        assert_eq!(parse_setting("workers = 4"), Ok(("workers", 4)));
        assert_eq!(
            parse_settings("workers = 4\n\nchunksize=8\n"),
            Ok(vec![("workers", 4), ("chunksize", 8)])
        );
    }

    #[test]
    fn the_first_bad_line_is_the_error() {
        assert_eq!(
            parse_settings("workers = 4\nfast\nchunksize = x\n"),
            Err(SettingsError::NoEquals("fast".into()))
        );
        let err = parse_setting("workers = four").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`workers = four`: invalid digit found in string"
        );
    }
}
