//! Writing output so that nothing in the environment can turn it into a panic.
//!
//! `println!` panics when its write fails, and its write fails for ordinary reasons: the reader
//! went away (`prog | head -1`: a broken pipe), the disk is full (`prog > /dev/full`), the
//! terminal hung up. So the exercises never use it. They write with [`outln!`], which returns
//! the failure as an [`OutputError`] for `?` to carry up, and end through
//! [`cli::finish`](crate::cli::finish), which applies one rule:
//!
//! - **The reader went away** ([`OutputError::Closed`]): nobody wants the rest, so the program
//!   stops and ends quietly, the way `cat` or `seq` end in a pipe: killed by SIGPIPE, which a
//!   shell reports as status 141. No message, and not a success: the output is incomplete.
//! - **Any other write error** ([`OutputError::Failed`]): one line on standard error naming it,
//!   and exit code 1.
//!
//! Messages to standard error go through [`errln!`]: if even those cannot be written there is
//! nobody left to tell, and the exit code still says what happened.
//!
//! An `OutputError` is also a plain serde value, so a task that prints in a worker process
//! returns its `Result<(), OutputError>` to the parent: a child's broken pipe then ends the
//! parent quietly too, instead of showing up as a failed or panicked task.

use std::error::Error;
use std::fmt;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

/// Why standard output could not be written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutputError {
    /// The reader went away (a broken pipe): end quietly.
    Closed,
    /// The write failed for another reason (a full disk, an I/O error): the operating system's
    /// words for it.
    Failed(String),
}

impl OutputError {
    /// Sorts an I/O error from writing standard output.
    pub fn from_io(error: &io::Error) -> Self {
        if error.kind() == io::ErrorKind::BrokenPipe {
            OutputError::Closed
        } else {
            OutputError::Failed(error.to_string())
        }
    }
}

impl From<io::Error> for OutputError {
    fn from(error: io::Error) -> Self {
        OutputError::from_io(&error)
    }
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputError::Closed => {
                f.write_str("cannot write to standard output: its reader went away")
            }
            OutputError::Failed(reason) => write!(f, "cannot write to standard output: {reason}"),
        }
    }
}

impl Error for OutputError {}

/// Writes `args` to standard output and flushes it, so a failure is known now, at the line that
/// caused it. What [`out!`] and [`outln!`] call.
pub fn write(args: fmt::Arguments<'_>) -> Result<(), OutputError> {
    let mut stdout = io::stdout().lock();
    stdout.write_fmt(args)?;
    stdout.flush()?;
    Ok(())
}

/// [`write`], then a newline, under one lock: lines from several threads never interleave.
pub fn write_line(args: fmt::Arguments<'_>) -> Result<(), OutputError> {
    let mut stdout = io::stdout().lock();
    stdout.write_fmt(args)?;
    stdout.write_all(b"\n")?;
    stdout.flush()?;
    Ok(())
}

/// Writes one line to standard error, ignoring a failure: there is nobody left to tell. What
/// [`errln!`] calls.
///
/// The line is made first and written at once: standard error has no buffer, so writing it
/// piece by piece would let the lines of processes that share it (a parent and its children)
/// cut into each other.
pub fn error_line(args: fmt::Arguments<'_>) {
    let mut line = fmt::format(args);
    line.push('\n');
    let _ = io::stderr().lock().write_all(line.as_bytes());
}

/// Flushes standard output: anything a library left in its buffer is written (or fails) now,
/// not silently at exit.
pub fn flush() -> Result<(), OutputError> {
    Ok(io::stdout().flush()?)
}

/// The [`OutputError`] behind `error`, if there is one: `error` itself or one of its sources.
///
/// ```
/// use support::out::{OutputError, output_error};
/// let error: Box<dyn std::error::Error> = Box::new(OutputError::Closed);
/// assert_eq!(output_error(&*error), Some(&OutputError::Closed));
/// let other = std::io::Error::other("elsewhere");
/// assert_eq!(output_error(&other), None);
/// ```
pub fn output_error<'e>(error: &'e (dyn Error + 'static)) -> Option<&'e OutputError> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(output) = e.downcast_ref::<OutputError>() {
            return Some(output);
        }
        cause = e.source();
    }
    None
}

/// Ends the process quietly because its reader went away: by SIGPIPE, as a program that does
/// not ignore that signal would have ended at its failed write (Rust programs ignore it, which
/// is why the write fails instead). A shell reports status 141; `set -o pipefail` sees a
/// failure, as it does for `seq 1000000 | head -1`.
///
/// Call it only once everything that must be cleaned up has been (files, child processes): it
/// does not return.
pub fn end_quietly() -> ! {
    // SAFETY: SIG_DFL installs no code of ours; `set` is initialised by sigemptyset before it is
    // read; unblocking and raising a signal have no memory-safety preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(libc::SIGPIPE);
    }
    // Not reached: SIGPIPE's default action ends the process. Should it not, the status a shell
    // would have shown.
    std::process::exit(128 + libc::SIGPIPE)
}

/// `print!` that returns an [`OutputError`] instead of panicking.
///
/// ```
/// fn greet() -> Result<(), support::out::OutputError> {
///     support::out!("Hello, ")?;
///     support::outln!("{}!", "world")?;
///     Ok(())
/// }
/// greet().unwrap();
/// ```
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::write(::std::format_args!($($arg)*))
    };
}

/// `println!` that returns an [`OutputError`] instead of panicking; see the [module
/// documentation](crate::out).
#[macro_export]
macro_rules! outln {
    () => {
        $crate::out::write_line(::std::format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::out::write_line(::std::format_args!($($arg)*))
    };
}

/// `eprintln!` that never panics: a line that cannot be written to standard error is dropped.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::out::error_line(::std::format_args!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_pipe_is_closed_and_anything_else_failed() {
        let closed = io::Error::from(io::ErrorKind::BrokenPipe);
        assert_eq!(OutputError::from_io(&closed), OutputError::Closed);
        let full = io::Error::from_raw_os_error(libc::ENOSPC);
        assert_eq!(
            OutputError::from(full).to_string(),
            "cannot write to standard output: No space left on device (os error 28)"
        );
    }

    #[test]
    fn an_output_error_is_found_among_the_sources() {
        #[derive(Debug)]
        struct Outer(OutputError);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "printing the table: {}", self.0)
            }
        }
        impl Error for Outer {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                Some(&self.0)
            }
        }
        let outer = Outer(OutputError::Failed("full".into()));
        assert_eq!(
            output_error(&outer),
            Some(&OutputError::Failed("full".into()))
        );
    }
}
