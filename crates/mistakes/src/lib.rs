//! The book's chapter *Common mistakes*: each mistake is a program here that makes it for
//! real, so the chapter shows what really happens (`cargo run -p mistakes --bin NAME`) and the
//! tests in `tests/cli.rs` hold the behaviour in place.
//!
//! | program | the mistake |
//! |---|---|
//! | `forgot_init` | no `common::init` at the top of `main` |
//! | `code_before_init` | code before `common::init`, which every spawned worker runs too |
//! | `short_lived_thread` | a child tied by the parent-death signal to a thread that ends |
//! | `static_not_shared` | expecting workers to change the parent's `static` |
//! | `panic_abort` | `panic = "abort"`, which turns every panic into the end of a process |
//! | `exit_in_task` | `std::process::exit` in a task (Python's `sys.exit`) |
//! | `shared_seed` | children that start from the same random seed |
//!
//! Every program but `forgot_init` starts with `common::init(mistakes::TASKS)`.

pub mod code_before_init;
pub mod exit_in_task;
pub mod forgot_init;
pub mod panic_abort;
pub mod shared_seed;
pub mod short_lived_thread;
pub mod static_not_shared;

use common::{Registered, Task, task};

/// A task for the programs that only need some work done.
pub fn square(x: u64) -> u64 {
    x * x
}
pub const SQUARE: Task<u64, u64> = task!(square);

/// Every task of every program here: each binary registers them all.
pub static TASKS: &[&dyn Registered] = &[
    &SQUARE,
    &static_not_shared::COUNT_CALL,
    &panic_abort::FAIL_ON_3,
    &exit_in_task::EXIT_ON_3,
    &shared_seed::DRAW_WITH_FIXED_SEED,
    &shared_seed::DRAW_FROM_THE_OS,
];

/// Prints `error` as `NAME: error: …` and returns exit code 1.
pub fn fail(program: &str, error: impl std::fmt::Display) -> std::process::ExitCode {
    eprintln!("{program}: error: {error}");
    std::process::ExitCode::FAILURE
}

/// A closure that captures a variable is not a plain function, so it cannot be a `Task`:
///
/// ```compile_fail,E0308
/// let offset = 10;
/// let add_offset: common::Task<u64, u64> = common::Task::new("add_offset", move |x| x + offset);
/// ```
///
/// The rule behind it, with the standard library alone (the book shows its error):
///
/// ```compile_fail,E0308
#[doc = include_str!("../compile_fail/capturing_closure_as_fn.rs")]
/// ```
///
/// A closure that captures nothing is a plain function, and may be one, under a name you pick:
///
/// ```
/// let double: common::Task<u64, u64> = common::Task::new("double", |x| x * 2);
/// assert_eq!(double.call(21), 42);
/// ```
pub mod closures_are_not_tasks {}
