//! Runs the workloads in a debug and in a release build and compares the times.

// Out of memory (`ulimit -v`), one line and exit code 1 instead of an abort.
#[global_allocator]
static ALLOCATOR: support::alloc::ExitOnOutOfMemory =
    support::alloc::ExitOnOutOfMemory::new(env!("CARGO_BIN_NAME"));

fn main() -> std::process::ExitCode {
    primer::programs::debug_vs_release(support::cli::parse())
}
