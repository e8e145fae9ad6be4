//! Command-line conventions shared by every exercise.
//!
//! | exit code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | the program ran, but some task or value failed (each failure is printed) |
//! | 2 | usage error: bad option or value (one line on stderr) |
//!
//! Output that cannot be written follows the same scheme ([`crate::out`]): a write error is one
//! line on stderr and exit code 1, and a reader that goes away (`| head`) ends the program
//! quietly, by SIGPIPE, as it ends `cat`.

use std::error::Error;
use std::ffi::OsString;
use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use crate::errln;
use crate::out::{self, OutputError};

/// Some task or value failed; the program printed why.
pub const EXIT_FAILURE: u8 = 1;
/// The command line was wrong.
pub const EXIT_USAGE: u8 = 2;

/// The most workers (processes or threads) an exercise starts at once: far beyond any core
/// count these exercises are run on, and a bound on what a mistyped `--workers 60000` can start.
/// For clap: `value_parser!(u16).range(1..=MAX_WORKERS)`.
pub const MAX_WORKERS: i64 = 256;

/// The text every exercise appends to `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes: 0 success, 1 some task or value failed (or the output could not be written),
2 usage error. A reader that stops early (`| head`) ends the program quietly, by SIGPIPE
(a shell shows status 141), as it ends `cat`.";

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
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    match T::try_parse_from(&args) {
        Ok(cli) => Ok(cli),
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            // Help that was not written is no success: the same rule as any other output.
            let written = e
                .print()
                .and_then(|()| io::stdout().flush())
                .map_err(|e| OutputError::from_io(&e));
            match written {
                Ok(()) => Err(0),
                Err(OutputError::Closed) => out::end_quietly(),
                Err(e) => {
                    errln!("{}: error: {e}", T::command().get_name());
                    Err(EXIT_FAILURE)
                }
            }
        }
        Err(e) => {
            // Exit code 2 even if stderr cannot take the line: the code is the message then.
            errln!("{}", name_the_word(one_line(&e), &e, &args));
            Err(EXIT_USAGE)
        }
    }
}

/// Clap's message on one line, without its usage block but with its hints: `error: <what>`,
/// then clap's `tip:` and `[possible values: …]` if it gave them, then `(see --help)`.
fn one_line(error: &clap::Error) -> String {
    let text = error.render().to_string();
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"));
    let mut line = lines.next().unwrap_or("error: bad arguments").to_owned();
    for hint in lines {
        // `[possible values: a, b]` reads as part of the line before it; a tip as its own clause.
        line.push_str(if hint.starts_with('[') { " " } else { "; " });
        line.push_str(hint);
    }
    format!("{line} (see --help)")
}

/// Clap names the first letter of an unknown cluster of short flags: for `-inf` it says
/// "unexpected argument '-i'" and suggests `-- -i`. Name the whole word the user typed instead,
/// so the tip (`-- -inf`) is one they can use.
fn name_the_word(line: String, error: &clap::Error, args: &[OsString]) -> String {
    use clap::error::{ContextKind, ContextValue};
    if error.kind() != ErrorKind::UnknownArgument {
        return line;
    }
    let Some(ContextValue::String(flag)) = error.get(ContextKind::InvalidArg) else {
        return line;
    };
    if flag.starts_with("--") || flag.len() != 2 {
        return line;
    }
    let word = args
        .iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .filter_map(|a| a.to_str())
        .find(|a| a.len() > 2 && a.starts_with(flag.as_str()) && !a.starts_with("--"));
    match word {
        Some(word) => line
            .replace(&format!("'{flag}'"), &format!("'{word}'"))
            .replace(&format!("'-- {flag}'"), &format!("'-- {word}'")),
        None => line,
    }
}

/// Prints a usage error found after parsing (a check clap cannot make) in the same one-line
/// shape as clap's, and returns exit code 2.
///
/// ```
/// let code = support::cli::usage_error("invalid value 'x' for '--y <Y>': too big");
/// assert_eq!(code, std::process::ExitCode::from(support::cli::EXIT_USAGE));
/// ```
pub fn usage_error(message: impl fmt::Display) -> ExitCode {
    errln!("error: {message} (see --help)");
    ExitCode::from(EXIT_USAGE)
}

/// How every exercise's `run` ends: `Ok(all_ok)` is exit code 0 or 1; an error is one line,
/// `PROGRAM: error: <what>`, and exit code 1, except that a reader who went away
/// ([`OutputError::Closed`], found among the error's sources too) ends the program quietly
/// ([`out::end_quietly`]). Standard output is flushed first, so nothing is lost unnoticed.
pub fn finish<E>(program: &str, outcome: Result<bool, E>) -> ExitCode
where
    E: Into<Box<dyn Error + 'static>>,
{
    let error: Box<dyn Error> = match outcome.map(|all_ok| (all_ok, out::flush())) {
        Ok((all_ok, Ok(()))) => return exit_code(!all_ok),
        Ok((_, Err(e))) => Box::new(e),
        Err(e) => e.into(),
    };
    if out::output_error(&*error) == Some(&OutputError::Closed) {
        out::end_quietly();
    }
    errln!("{program}: error: {error}");
    ExitCode::from(EXIT_FAILURE)
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
    fn hints_stay_on_the_line() {
        #[derive(Parser, Debug)]
        struct Hinted {
            #[arg(long)]
            workers: Option<u32>,
            #[arg(long, value_enum)]
            only: Option<Part>,
        }
        #[derive(clap::ValueEnum, Clone, Debug)]
        enum Part {
            Map,
            Imap,
        }
        let line = |args: &[&str]| one_line(&Hinted::try_parse_from(args).unwrap_err());
        let typo = line(&["demo", "--wrkers", "3"]);
        assert!(
            typo.starts_with("error: unexpected argument '--wrkers' found; tip: ")
                && typo.contains("'--workers'")
                && typo.ends_with(" (see --help)"),
            "{typo}"
        );
        let values = line(&["demo", "--only", "foo"]);
        assert_eq!(
            values,
            "error: invalid value 'foo' for '--only <ONLY>' [possible values: map, imap] (see --help)"
        );
        assert!(is_usage_error(&format!("{typo}\n")) && is_usage_error(&format!("{values}\n")));
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
