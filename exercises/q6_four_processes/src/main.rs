//! `cargo run -p q6_four_processes`: see the crate documentation of `q6_four_processes`.

use std::process::ExitCode;

// Out of memory (`ulimit -v`), one line and exit code 1 instead of an abort.
#[global_allocator]
static ALLOCATOR: support::alloc::ExitOnOutOfMemory =
    support::alloc::ExitOnOutOfMemory::new(env!("CARGO_PKG_NAME"));

// ANCHOR: main
fn main() -> ExitCode {
    // Workers are this binary started again; in them, this line serves tasks and never returns.
    common::init(q6_four_processes::TASKS);
    q6_four_processes::run(support::cli::parse())
}
// ANCHOR_END: main
