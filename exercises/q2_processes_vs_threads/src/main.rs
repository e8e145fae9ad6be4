//! `cargo run -p q2_processes_vs_threads`: see the crate documentation of `q2_processes_vs_threads`.

use std::process::ExitCode;

// Out of memory (`ulimit -v`), one line and exit code 1 instead of an abort.
#[global_allocator]
static ALLOCATOR: support::alloc::ExitOnOutOfMemory =
    support::alloc::ExitOnOutOfMemory::new(env!("CARGO_PKG_NAME"));

// ANCHOR: main
fn main() -> ExitCode {
    // Workers are this binary started again; in them, this line serves tasks and never returns.
    common::init(q2_processes_vs_threads::TASKS);
    q2_processes_vs_threads::run(support::cli::parse())
}
// ANCHOR_END: main
