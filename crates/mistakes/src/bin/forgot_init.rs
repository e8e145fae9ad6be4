// Out of memory (`ulimit -v`), one line and exit code 1 instead of an abort.
#[global_allocator]
static ALLOCATOR: support::alloc::ExitOnOutOfMemory =
    support::alloc::ExitOnOutOfMemory::new(env!("CARGO_BIN_NAME"));

// ANCHOR: main
fn main() -> std::process::ExitCode {
    // The mistake: `common::init(mistakes::TASKS);` belongs here, as the first line.
    mistakes::forgot_init::run(support::cli::parse())
}
// ANCHOR_END: main
