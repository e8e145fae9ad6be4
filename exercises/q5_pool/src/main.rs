//! `cargo run -p q5_pool`: see the crate documentation of `q5_pool`.

use std::process::ExitCode;

// ANCHOR: main
fn main() -> ExitCode {
    // Workers are this binary started again; in them, this line serves tasks and never returns.
    common::init(q5_pool::TASKS);
    q5_pool::run(support::cli::parse())
}
// ANCHOR_END: main
