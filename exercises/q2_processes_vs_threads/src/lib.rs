//! # Question 2: what are the differences between multiprocessing and multithreading?
//!
//! The usual answer is a list of claims: processes have separate memory, cost more to start,
//! isolate crashes and talk through the kernel; threads share memory, start cheaply and talk
//! through it. This crate answers with experiments instead, run on the learner's machine, one
//! table each:
//!
//! - **memory**: a counter changed by a thread is changed for the parent; changed by a child
//!   process (a `fork()` copy, or a [`common::Process`] that is this binary started again) it is
//!   not.
//! - **sharing**: four workers add 1 to one counter. The racy version does not compile in Rust
//!   ([`must_not_compile`]); the fixes that do (a `Mutex`, an atomic, a sum per thread, a
//!   channel) are timed; four child processes each change their own copy of a `static`, and an
//!   atomic in shared memory ([`common::SharedAtomic`]) is one counter for all of them.
//! - **cost**: the median time to start a worker and wait for it, thread against process,
//!   over repeated runs.
//! - **faults**: a child that panics, aborts or gets SIGSEGV ends alone and its exit status is
//!   reported (Python's convention: 1, -6, -11); a panicking thread is caught at `join`; an
//!   abort or a segfault in a thread ends its whole process (shown in a sacrificial child).
//! - **ipc**: the three mechanisms the answer sheets name, between processes, each beside its
//!   thread equivalent: a pipe (`std::io::pipe`, [`common::Pipe`]), a queue
//!   ([`common::Queue`]) and shared memory ([`common::SharedAtomic`], [`common::Array`]), and a
//!   warm [`common::Pool`]; the round trip of one small message and one bulk transfer.
//!
//! The Rust half of the answer differs from the Python one. Rust has no global interpreter
//! lock: threads run Rust code in parallel on every core and are usually the right tool for
//! CPU-bound work, with no encoding of arguments and no copies. Processes buy something else,
//! isolation of memory and of crashes, at a cost this program measures instead of asserting.
//!
//! Every number printed comes from the run that prints it; tables of timings say which machine
//! facts they rest on (cores, kernel, debug or release build).

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod cost;
pub mod faults;
pub mod ipc;
pub mod machine;
pub mod memory;
pub mod sharing;
pub mod stats;
mod sys;
pub mod table;

use std::io;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use common::{Registered, Task, task};
use support::cli::EXIT_CODES_HELP;
use support::out::OutputError;
use support::{errln, outln};

use crate::machine::Machine;

// ANCHOR: tasks
/// Runs in a worker (thread or process) in the cost and communication parts: the smallest
/// task that still returns something to check.
pub fn plus_one(n: u64) -> u64 {
    n.wrapping_add(1)
}

pub const PLUS_ONE: Task<u64, u64> = task!(plus_one);

/// Given to [`common::init`] at the top of `main`: every task a child process may run.
pub static TASKS: &[&dyn Registered] = &[
    &PLUS_ONE,
    &memory::BUMP_STATIC,
    &memory::BUMP_ARGUMENT,
    &sharing::COUNT_OWN_STATIC,
    &sharing::COUNT_SHARED_ATOMIC,
    &sharing::COUNT_UNDER_LOCK,
    &ipc::PIPE_ECHO,
    &ipc::COMMON_PIPE_ECHO,
    &ipc::QUEUE_ECHO,
    &ipc::SHARED_ECHO,
    &ipc::BULK_RESULT,
    &faults::PANIC_IN_CHILD,
    &faults::ABORT_CHILD,
    &faults::SEGFAULT_CHILD,
    &faults::ABORT_IN_A_THREAD,
    &faults::SEGFAULT_IN_A_THREAD,
];
// ANCHOR_END: tasks

/// The differences between processes and threads, shown by experiments (question 2).
#[derive(Debug, Parser)]
#[command(
    version,
    about = "Question 2: multiprocessing vs multithreading, shown by experiments on this machine",
    long_about = "Question 2: what are the differences between multiprocessing and multithreading?\n\n\
        Five experiments, each printed as a table with a one-line reading: memory (is a change \
        seen by the parent?), sharing (one counter, four workers: what compiles, what counts \
        right, across threads and processes), cost (starting a thread vs a process), faults \
        (what a panic, an abort or a segfault takes down) and ipc (a pipe, a queue and shared \
        memory between processes, beside their thread equivalents: a round trip and a bulk \
        transfer).",
    after_help = format!(
        "Examples:\n  q2_processes_vs_threads                   all five parts\n  \
         q2_processes_vs_threads --only faults     one part\n  \
         q2_processes_vs_threads --only cost,ipc   two parts\n  \
         q2_processes_vs_threads --runs 200        more runs for steadier medians\n\n\
         The deliberate crashes of the faults part are expected: exit code 0 means every \
         demonstration behaved as it should.\n\n{EXIT_CODES_HELP}"
    )
)]
pub struct Cli {
    /// Run only these parts (comma-separated or repeated) [default: all five]
    #[arg(long, value_enum, value_name = "PART", value_delimiter = ',')]
    pub only: Vec<Part>,
    /// Start-and-join runs of each kind of worker, for the cost part
    #[arg(long, value_name = "N", default_value_t = 50,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub runs: u32,
    /// Additions to the counter by each of the four workers, for the sharing part
    #[arg(long, value_name = "N", default_value_t = 100_000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub increments: u64,
    /// Round trips through each channel, for the ipc part
    #[arg(long, value_name = "N", default_value_t = 2000,
          value_parser = clap::value_parser!(u32).range(1..=100_000_000))]
    pub round_trips: u32,
    /// Size of the bulk transfer of the ipc part, in MiB
    #[arg(long, value_name = "MIB", default_value_t = 64,
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub bulk_mib: u32,
}

/// The parts of the answer, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Part {
    /// Is a change made by a worker seen by the parent?
    Memory,
    /// Four workers, one counter: what compiles, and what counts right?
    Sharing,
    /// How long does it take to start a thread, and a process?
    Cost,
    /// What does a panic, an abort or a segfault take down?
    Faults,
    /// How long does a message take to go and come back?
    Ipc,
}

impl Part {
    /// The parts `--only` asked for, each once, in running order; all of them if none.
    pub fn selected(only: &[Part]) -> Vec<Part> {
        if only.is_empty() {
            return Part::value_variants().to_vec();
        }
        let mut parts = only.to_vec();
        parts.sort();
        parts.dedup();
        parts
    }
}

/// What went wrong while running a part (as opposed to a demonstration that ran and showed
/// something unexpected, which is an [`Outcome`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Pool(#[from] common::Error),
    #[error("{what}: {source}")]
    Io {
        what: &'static str,
        source: io::Error,
    },
    #[error("{what}: {detail}")]
    Failed { what: &'static str, detail: String },
    #[error("{what}: answered {got} where {expected} was expected")]
    WrongAnswer {
        what: &'static str,
        expected: u64,
        got: u64,
    },
    /// The program's own output could not be written: it stops there.
    #[error("{0}")]
    Output(#[from] OutputError),
}

impl Error {
    /// For `map_err`: an I/O error while doing `what`.
    pub fn io(what: &'static str) -> impl FnOnce(io::Error) -> Error {
        move |source| Error::Io { what, source }
    }

    pub fn failed(what: &'static str, detail: String) -> Error {
        Error::Failed { what, detail }
    }

    /// A thread could not be started (too many threads or processes, no memory for a stack).
    pub fn thread(source: io::Error) -> Error {
        Error::Io {
            what: "could not start a thread",
            source,
        }
    }
}

/// `n` and the noun, in the singular for one: `1 run`, `50 runs`.
pub(crate) fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What a part found that a demonstration did not expect (a thread's change not seen, a
/// child that survived its segfault…). Empty when everything behaved as it should.
#[derive(Debug, Default)]
pub struct Outcome {
    pub unexpected: Vec<String>,
}

/// Runs the selected parts; returns the exit code (see [`support::cli`]): 1 if a part could
/// not run or a demonstration did not behave as expected.
pub fn run(cli: Cli) -> ExitCode {
    support::cli::finish(env!("CARGO_PKG_NAME"), run_parts(&cli))
}

/// Runs the parts in turn; returns whether every one ran as expected. A part that fails is
/// reported and the next one runs; output that cannot be written stops everything.
fn run_parts(cli: &Cli) -> Result<bool, OutputError> {
    let machine = Machine::detect();
    outln!("Question 2: what are the differences between multiprocessing and multithreading?")?;
    outln!("Machine: {machine}.")?;
    let mut failed = false;
    for part in Part::selected(&cli.only) {
        outln!()?;
        let name = part
            .to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default();
        outln!("== {name} ==")?;
        let outcome = match part {
            Part::Memory => memory::run(),
            Part::Sharing => sharing::run(cli.increments, &machine),
            Part::Cost => cost::run(cli.runs as usize, &machine),
            Part::Faults => faults::run(),
            Part::Ipc => ipc::run(cli.round_trips as usize, cli.bulk_mib as usize, &machine),
        };
        match outcome {
            Ok(outcome) => {
                for line in &outcome.unexpected {
                    outln!("UNEXPECTED: {line}")?;
                    errln!("q2_processes_vs_threads: unexpected: {line}");
                }
                failed |= !outcome.unexpected.is_empty();
            }
            Err(Error::Output(e)) => return Err(e),
            Err(e) => {
                errln!("q2_processes_vs_threads: error: {name}: {e}");
                failed = true;
            }
        }
    }
    Ok(!failed)
}

/// Four threads adding 1 to one plain integer does not compile: the closure of each needs the
/// counter mutably, and only one may have it at a time (`exercises/q2_processes_vs_threads/
/// compile_fail/racy_counter.rs`, shown in the book with the compiler's error).
///
/// ```compile_fail,E0499
#[doc = include_str!("../compile_fail/racy_counter.rs")]
/// ```
pub mod must_not_compile {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_run_once_each_in_order() {
        use Part::*;
        assert_eq!(Part::selected(&[]), [Memory, Sharing, Cost, Faults, Ipc]);
        assert_eq!(Part::selected(&[Ipc, Memory, Ipc]), [Memory, Ipc]);
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from(["q2", "--only", "faults,ipc", "--runs", "3"]).unwrap();
        assert_eq!(cli.only, [Part::Faults, Part::Ipc]);
        assert_eq!((cli.runs, cli.round_trips), (3, 2000));
    }
}
