//! Command-line conventions shared by every exercise.
//!
//! | exit code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | the program ran, but some task or value failed (each failure is printed) |
//! | 2 | usage error: bad option or value (one line on stderr) |

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

/// Some task or value failed; the program printed why.
pub const EXIT_FAILURE: u8 = 1;
/// The command line was wrong.
pub const EXIT_USAGE: u8 = 2;

/// The most workers (processes or threads) an exercise starts at once: far beyond any core
/// count these exercises are run on, and a bound on what a mistyped `--workers 60000` can start.
/// For clap: `value_parser!(u16).range(1..=MAX_WORKERS)`.
pub const MAX_WORKERS: i64 = 256;

/// The text every exercise appends to `--help`.
pub const EXIT_CODES_HELP: &str =
    "Exit codes: 0 success, 1 some task or value failed, 2 usage error.";

/// Parses the process's arguments. A usage error prints one line to stderr and exits with
/// [`EXIT_USAGE`]; `--help` and `--version` print and exit 0.
pub fn parse<T: Parser>() -> T {
    match try_parse_from(std::env::args_os()) {
        Ok(cli) => cli,
        Err(exit) => std::process::exit(i32::from(exit)),
    }
}

/// [`parse`] on explicit arguments: `Err` carries the exit code after the message is printed.
pub fn try_parse_from<T, I>(args: I) -> Result<T, u8>
where
    T: Parser,
    I: IntoIterator,
    I::Item: Into<OsString> + Clone,
{
    match T::try_parse_from(args) {
        Ok(cli) => Ok(cli),
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            Err(0)
        }
        Err(e) => {
            eprintln!("{}", one_line(&e));
            Err(EXIT_USAGE)
        }
    }
}

/// Clap's message without its usage block: `error: <what> (see --help)`.
fn one_line(error: &clap::Error) -> String {
    let text = error.render().to_string();
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("error: bad arguments");
    format!("{} (see --help)", first.trim_end())
}

/// Whether `stderr` is exactly what [`parse`] prints for a usage error: one line,
/// `error: <what> (see --help)`. For tests of every exercise's bad input.
///
/// ```
/// assert!(support::cli::is_usage_error("error: unexpected argument '--x' found (see --help)\n"));
/// assert!(!support::cli::is_usage_error("error: two\nlines (see --help)\n"));
/// ```
pub fn is_usage_error(stderr: &str) -> bool {
    stderr.lines().count() == 1
        && stderr.starts_with("error: ")
        && stderr.ends_with(" (see --help)\n")
}

/// `ExitCode` for "some task or value failed" when `failed`, success otherwise.
pub fn exit_code(failed: bool) -> ExitCode {
    if failed {
        ExitCode::from(EXIT_FAILURE)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Parser, Debug)]
    struct Demo {
        #[arg(long)]
        count: u32,
    }

    #[test]
    fn usage_errors_are_one_line_and_exit_2() {
        assert_eq!(
            try_parse_from::<Demo, _>(["demo", "--count", "x"]).unwrap_err(),
            EXIT_USAGE
        );
        let err = Demo::try_parse_from(["demo", "--count", "x"]).unwrap_err();
        let line = one_line(&err);
        assert!(
            line.starts_with("error: invalid value 'x' for '--count <COUNT>'"),
            "{line}"
        );
        assert!(!line.contains('\n'));
        assert_eq!(
            try_parse_from::<Demo, _>(["demo", "--count", "3"])
                .unwrap()
                .count,
            3
        );
    }
}
