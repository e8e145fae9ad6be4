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
//!
//! Each mistake is the program's point: a panic or an abort that a mistake causes stays. The
//! environment causes none: output follows every exercise's rules ([`support::out`]), threads
//! start with `thread::Builder`, and a usage error is one line and exit code 2.

#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::io;

use common::{Registered, Task, task};
use support::out::OutputError;

/// The command line of one program: `--help` and `--version` only. Defines `Cli` and `NAME`
/// (the program's name, for its messages) in the module that calls it.
macro_rules! command_line {
    ($name:literal, $about:literal) => {
        /// The program's name, at the start of its error messages.
        const NAME: &str = $name;

        #[doc = $about]
        #[derive(Debug, clap::Parser)]
        #[command(
                            name = $name,
                            version,
                            about = $about,
                            after_help = format!(
                                "One of the book's \"Common mistakes\", made for real.\n\n{}",
                                support::cli::EXIT_CODES_HELP
                            )
                        )]
        pub struct Cli {}
    };
}

pub mod code_before_init;
pub mod exit_in_task;
pub mod forgot_init;
pub mod panic_abort;
pub mod shared_seed;
pub mod short_lived_thread;
pub mod static_not_shared;

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

/// What can stop a program here (other than the mistake it makes on purpose).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Pool(#[from] common::Error),
    #[error("could not start a thread: {0}")]
    Thread(io::Error),
    /// Something the program does by hand (start `sleep`, fork): what, and why it failed.
    #[error("{what}: {cause}")]
    Io {
        what: &'static str,
        cause: io::Error,
    },
    #[error("{0}")]
    Failed(&'static str),
    // Not transparent: `support::cli::finish` finds an output error among the sources.
    #[error("{0}")]
    Output(#[from] OutputError),
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
