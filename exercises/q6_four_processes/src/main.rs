//! `cargo run -p q6_four_processes`: see the crate documentation of `q6_four_processes`.

use std::process::ExitCode;

// ANCHOR: main
fn main() -> ExitCode {
    // Workers are this binary started again; in them, this line serves tasks and never returns.
    common::init(q6_four_processes::TASKS);
    q6_four_processes::run(support::cli::parse())
}
// ANCHOR_END: main
