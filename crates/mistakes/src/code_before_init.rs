//! Code before `common::init` runs in every worker too: a worker is the program started again.

use std::process::ExitCode;

use common::Pool;

use crate::SQUARE;

/// Squares 1 to 4 on a pool of two workers.
pub fn run() -> ExitCode {
    let squares = Pool::new(2).and_then(|pool| pool.map(&SQUARE, 1..=4));
    match squares {
        Ok(squares) => {
            println!("squares: {squares:?}");
            ExitCode::SUCCESS
        }
        Err(e) => crate::fail("code_before_init", e),
    }
}
