//! `cargo run -p q1_why_multiprocessing`: see the crate documentation of `q1_why_multiprocessing`.

use std::process::ExitCode;

// ANCHOR: main
fn main() -> ExitCode {
    // Workers are this binary started again; in them, this line serves tasks and never returns.
    common::init(q1_why_multiprocessing::TASKS);
    q1_why_multiprocessing::run(support::cli::parse())
}
// ANCHOR_END: main
