//! A panic that `join` reports, then one that `let _ =` hides.

// Out of memory (`ulimit -v`), one line and exit code 1 instead of an abort.
#[global_allocator]
static ALLOCATOR: support::alloc::ExitOnOutOfMemory =
    support::alloc::ExitOnOutOfMemory::new(env!("CARGO_BIN_NAME"));

fn main() -> std::process::ExitCode {
    primer::programs::panics(support::cli::parse())
}
