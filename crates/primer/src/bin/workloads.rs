//! Times `primer`'s workloads in whatever build this is: `cargo run -p primer --bin workloads`
//! (debug) or `cargo run --release -p primer --bin workloads`.

// Out of memory (`ulimit -v`), one line and exit code 1 instead of an abort.
#[global_allocator]
static ALLOCATOR: support::alloc::ExitOnOutOfMemory =
    support::alloc::ExitOnOutOfMemory::new(env!("CARGO_BIN_NAME"));

fn main() -> std::process::ExitCode {
    primer::programs::workloads(support::cli::parse())
}
