//! Code before `common::init` runs in every worker too: a worker is the program started again.

use std::process::ExitCode;

use common::Pool;
use support::out::OutputError;
use support::outln;

use crate::{Error, SQUARE};

command_line!(
    "code_before_init",
    "Code before common::init runs in every worker too"
);

/// Runs the program after `main`'s first line (`said`: whether it could print); returns the
/// exit code (see [`support::cli`]).
pub fn run(_cli: Cli, said: Result<(), OutputError>) -> ExitCode {
    support::cli::finish(NAME, said.map_err(Error::from).and_then(|()| squares()))
}

/// Squares 1 to 4 on a pool of two workers.
fn squares() -> Result<bool, Error> {
    let pool = Pool::new(2)?;
    let squares = pool.map(&SQUARE, 1..=4)?;
    outln!("squares: {squares:?}")?;
    Ok(true)
}
