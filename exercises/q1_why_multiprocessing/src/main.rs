//! `cargo run -p q1_why_multiprocessing`: see the crate documentation of `q1_why_multiprocessing`.

use std::process::ExitCode;

// Out of memory (`ulimit -v`), one line and exit code 1 instead of an abort.
#[global_allocator]
static ALLOCATOR: support::alloc::ExitOnOutOfMemory =
    support::alloc::ExitOnOutOfMemory::new(env!("CARGO_PKG_NAME"));

// ANCHOR: main
fn main() -> ExitCode {
    // Workers are this binary started again; in them, this line serves tasks and never returns.
    common::init(q1_why_multiprocessing::TASKS);
    q1_why_multiprocessing::run(support::cli::parse())
}
// ANCHOR_END: main
