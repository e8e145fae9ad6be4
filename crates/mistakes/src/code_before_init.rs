//! Code before `common::init`: a worker started by "spawn" (the program started again) runs it
//! too; one forked from the fork server does not, but has what it left in memory, as it was at
//! `init`.

use std::process::ExitCode;

use common::{Pool, StartMethod};
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

/// Squares 1 to 4 on a pool of two workers, started by each method in turn.
fn squares() -> Result<bool, Error> {
    for method in [StartMethod::Spawn, StartMethod::ForkServer] {
        outln!("a pool of two workers by {method}:")?;
        let pool = Pool::builder().workers(2).start_method(method).build()?;
        let squares = pool.map(&SQUARE, 1..=4)?;
        outln!("squares: {squares:?}")?;
    }
    Ok(true)
}
