//! Forgetting `common::init`: the pool refuses to start.

use std::process::ExitCode;

use common::Pool;

use crate::SQUARE;

// ANCHOR: run
/// Starts a pool and squares 1 to 4. In a program whose `main` did not call `common::init`,
/// `Pool::new` fails at once with `Error::NotInitialized`.
pub fn run() -> ExitCode {
    let squares = Pool::new(2).and_then(|pool| pool.map(&SQUARE, 1..=4));
    match squares {
        Ok(squares) => {
            println!("squares: {squares:?}");
            ExitCode::SUCCESS
        }
        Err(e) => crate::fail("forgot_init", e),
    }
}
// ANCHOR_END: run
