//! `cargo run -p beyond_one_machine`: see the crate documentation of `beyond_one_machine`.

use std::process::ExitCode;

// Out of memory (`ulimit -v`), one line and exit code 1 instead of an abort.
#[global_allocator]
static ALLOCATOR: support::alloc::ExitOnOutOfMemory =
    support::alloc::ExitOnOutOfMemory::new(env!("CARGO_PKG_NAME"));

fn main() -> ExitCode {
    // The pool's workers (for `cost` and `--pool`) are this binary started again; in them, this
    // line serves tasks and never returns. Timely's processes are started with ordinary arguments.
    common::init(beyond_one_machine::TASKS);
    beyond_one_machine::run(support::cli::parse())
}
