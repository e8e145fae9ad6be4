//! Forgetting `common::init`: the pool refuses to start.

use std::process::ExitCode;

use common::Pool;
use support::outln;

use crate::{Error, SQUARE};

command_line!(
    "forgot_init",
    "Forgetting common::init: the pool refuses to start"
);

/// Runs the program; returns the exit code (see [`support::cli`]).
pub fn run(_cli: Cli) -> ExitCode {
    support::cli::finish(NAME, squares())
}

// ANCHOR: run
/// Starts a pool and squares 1 to 4. In a program whose `main` did not call `common::init`,
/// `Pool::new` fails at once with `Error::NotInitialized`.
fn squares() -> Result<bool, Error> {
    let pool = Pool::new(2)?;
    let squares = pool.map(&SQUARE, 1..=4)?;
    outln!("squares: {squares:?}")?;
    Ok(true)
}
// ANCHOR_END: run
