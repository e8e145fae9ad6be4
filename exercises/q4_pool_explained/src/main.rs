//! `cargo run -p q4_pool_explained`: see the crate documentation of `q4_pool_explained`.

use std::process::ExitCode;

// ANCHOR: main
fn main() -> ExitCode {
    // Workers are this binary started again; in them, this line serves tasks and never returns.
    common::init(q4_pool_explained::TASKS);
    q4_pool_explained::run(support::cli::parse())
}
// ANCHOR_END: main
