//! Code before `common::init`: a worker started by "spawn" (the program started again) runs it
//! too; one forked from the fork server does not, but has what it left in memory, as it was at
//! `init`.

use std::process::ExitCode;

use common::{Pool, StartMethod};

use crate::SQUARE;

/// Squares 1 to 4 on a pool of two workers, started by each method in turn.
pub fn run() -> ExitCode {
    for method in [StartMethod::Spawn, StartMethod::ForkServer] {
        println!("a pool of two workers by {method}:");
        let squares = Pool::builder()
            .workers(2)
            .start_method(method)
            .build()
            .and_then(|pool| pool.map(&SQUARE, 1..=4));
        match squares {
            Ok(squares) => println!("squares: {squares:?}"),
            Err(e) => return crate::fail("code_before_init", e),
        }
    }
    ExitCode::SUCCESS
}
