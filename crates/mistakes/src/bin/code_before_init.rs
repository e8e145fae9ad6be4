// Out of memory (`ulimit -v`), one line and exit code 1 instead of an abort.
#[global_allocator]
static ALLOCATOR: support::alloc::ExitOnOutOfMemory =
    support::alloc::ExitOnOutOfMemory::new(env!("CARGO_BIN_NAME"));

// ANCHOR: main
fn main() -> std::process::ExitCode {
    // The mistake: this line comes before `init`, so every spawned worker runs it too.
    let said = support::outln!("reading the settings, in process {}", std::process::id());
    common::init(mistakes::TASKS);
    mistakes::code_before_init::run(support::cli::parse(), said)
}
// ANCHOR_END: main
