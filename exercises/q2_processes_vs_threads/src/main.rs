//! `cargo run -p q2_processes_vs_threads`: see the crate documentation of `q2_processes_vs_threads`.

use std::process::ExitCode;

// ANCHOR: main
fn main() -> ExitCode {
    // Workers are this binary started again; in them, this line serves tasks and never returns.
    common::init(q2_processes_vs_threads::TASKS);
    q2_processes_vs_threads::run(support::cli::parse())
}
// ANCHOR_END: main
