// Out of memory (`ulimit -v`), one line and exit code 1 instead of an abort.
#[global_allocator]
static ALLOCATOR: support::alloc::ExitOnOutOfMemory =
    support::alloc::ExitOnOutOfMemory::new(env!("CARGO_BIN_NAME"));

fn main() -> std::process::ExitCode {
    // Workers are this binary started again; in them, this line serves tasks and never returns.
    common::init(mistakes::TASKS);
    mistakes::exit_in_task::run(support::cli::parse())
}
