//! `cargo run -p q3_create_process`: see the crate documentation of `q3_create_process`.

use std::process::ExitCode;

// Out of memory (`ulimit -v`), one line and exit code 1 instead of an abort.
#[global_allocator]
static ALLOCATOR: support::alloc::ExitOnOutOfMemory =
    support::alloc::ExitOnOutOfMemory::new(env!("CARGO_PKG_NAME"));

// ANCHOR: main
fn main() -> ExitCode {
    // Workers are this binary started again; in them, this line serves tasks and never returns.
    common::init(q3_create_process::TASKS);
    q3_create_process::run(support::cli::parse())
}
// ANCHOR_END: main
