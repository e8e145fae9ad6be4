//! # Question 6: create 4 processes, each printing a different number
//!
//! The first answer sheet starts four `multiprocessing.Process`es, and each one draws
//! `random.randint(1, 100)` and prints it. That makes the numbers *probably* different, not
//! certainly: four independent draws from 100 values repeat one in about one run out of 17
//! (1 − 100·99·98·97 / 100⁴ ≈ 5.9%). Being different is a property of the four numbers
//! together, so only someone who sees all four can guarantee it. Here that is the parent: it
//! draws the numbers without replacement (Python's `random.sample(range(1, 101), 4)`) and hands
//! one to each child, which prints it with its process number and its own process id. The
//! alternatives are worse: children drawing from disjoint ranges are no longer uniform over
//! 1..=100, and children agreeing through shared memory need a lock and retries to reach the
//! same result. `--seed` fixes the draw, and `--processes` changes how many children there are
//! (at most 100: there are only 100 different numbers to give).
//!
//! `--numbers` is the second answer sheet: the processes print 1, 2, 3, 4 with their process
//! ids, and the parent prints `All processes have finished.` once it has joined all of them.
//!
//! Each child is a [`common::Process`]: this binary started again, running one task and
//! exiting. The parent starts all of them before waiting for any, so they run at the same time,
//! and each prints its own line: the operating system decides who runs first, so the order of
//! the lines changes from run to run.
//!
//! In Rust the same program on threads is a `std::thread::scope` with one spawn per number
//! (`--threads`), and every line then shows the same process id: threads live inside one
//! process. For printing a few lines, threads are the cheaper tool (no process to start, no
//! argument to encode); processes are the answer here because the question asks for them, and
//! because a child that crashes takes only itself down.

#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::io;
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use clap::Parser;
use common::{Outcome, Picture, Process, Registered, Span, Task, Trace, task};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use support::cli::EXIT_CODES_HELP;
use support::out::OutputError;
use support::{errln, outln};

// ANCHOR: tasks
/// Runs in child process `number`: prints the random number the parent drew for it.
///
/// `outln!` is `println!` that returns its failure (a closed pipe, a full disk) instead of
/// panicking; the child hands it to the parent, which decides how the program ends.
fn print_random(number: usize, random: u8) -> Result<(), OutputError> {
    outln!(
        "{}",
        random_line("Process", number, std::process::id(), random)
    )
}

/// Runs in a child process: the second answer sheet's `print_number`.
fn print_number(number: u32) -> Result<(), OutputError> {
    outln!("{}", number_line(std::process::id(), number))
}

/// `print_random` as a task a child process can find by name.
pub const PRINT_RANDOM: Task<(usize, u8), Result<(), OutputError>> =
    task!(print_random(number, random));
/// `print_number` as a task a child process can find by name.
pub const PRINT_NUMBER: Task<u32, Result<(), OutputError>> = task!(print_number);
/// Given to [`common::init`] at the top of `main`.
pub static TASKS: &[&dyn Registered] = &[&PRINT_RANDOM, &PRINT_NUMBER];
// ANCHOR_END: tasks

/// Four processes, each printing a different number (question 6).
#[derive(Debug, Parser)]
#[command(
    version,
    about = "Question 6: create 4 processes, each printing a different number",
    after_help = format!(
        "Examples:\n  q6_four_processes                  4 processes print 4 different random numbers\n  \
         q6_four_processes --seed 7         the same numbers every run\n  \
         q6_four_processes --processes 10   10 processes, 10 different numbers\n  \
         q6_four_processes --numbers        the second answer sheet: 1, 2, 3, 4 and the pids\n  \
         q6_four_processes --threads        the same on threads: one pid for all\n  \
         q6_four_processes --svg pictures   also draw when each process ran\n\n\
         The children print their own lines, so the order changes from run to run.\n\n\
         {EXIT_CODES_HELP}"
    )
)]
pub struct Cli {
    /// How many processes (threads with --threads); at most 100, as 1..=100 has 100 numbers
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u8).range(1..=100))]
    pub processes: u8,
    /// Seed for the random numbers: the same seed gives the same numbers [default: a fresh one]
    #[arg(long, value_name = "SEED", conflicts_with = "numbers")]
    pub seed: Option<u64>,
    /// Print 1, 2, 3, … and the process ids instead (the second answer sheet)
    #[arg(long)]
    pub numbers: bool,
    /// Run the same on threads instead of processes
    #[arg(long)]
    pub threads: bool,
    /// Also draw each process's life, from its start to its reaping, as an SVG picture:
    /// DIR/processes.svg (processes only)
    #[arg(long, value_name = "DIR", conflicts_with = "threads")]
    pub svg: Option<std::path::PathBuf>,
}

/// What can stop the program: a child process or a thread that cannot start, or output that
/// could not be written (by the parent or by a child).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Process(#[from] common::Error),
    #[error("could not start a thread: {0}")]
    Thread(io::Error),
    // Not transparent: `support::cli::finish` finds an output error among the sources.
    #[error("{0}")]
    Output(#[from] OutputError),
}

/// Runs the program; returns the exit code (see [`support::cli`]).
pub fn run(cli: Cli) -> ExitCode {
    let count = usize::from(cli.processes);
    let numbers = 1..=u32::from(cli.processes);
    let trace = Trace::new();
    let outcome = match (cli.numbers, cli.threads) {
        (false, false) => {
            let randoms = distinct_numbers(&mut generator(cli.seed), count);
            start_all_then_join(&PRINT_RANDOM, randoms.into_iter().enumerate(), &trace)
        }
        (true, false) => start_all_then_join(&PRINT_NUMBER, numbers, &trace).and_then(|failed| {
            // The parent's line, after every child has been joined.
            outln!("All processes have finished.")?;
            Ok(failed)
        }),
        (false, true) => randoms_on_threads(&distinct_numbers(&mut generator(cli.seed), count))
            .and_then(|()| {
                outln!(
                    "All {count} threads ran inside this one process (pid {}).",
                    std::process::id()
                )?;
                Ok(0)
            }),
        (true, true) => numbers_on_threads(numbers).and_then(|()| {
            outln!("All threads have finished.")?;
            Ok(0)
        }),
    };
    let drew = cli
        .svg
        .as_deref()
        .is_none_or(|dir| draw(&trace, dir, count));
    support::cli::finish(
        env!("CARGO_PKG_NAME"),
        outcome.map(|failed| failed == 0 && drew),
    )
}

// ANCHOR: distinct_numbers
/// `count` different numbers from 1..=100, in random order: Python's
/// `random.sample(range(1, 101), count)`.
///
/// ```
/// use rand::SeedableRng;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(7);
/// let numbers = q6_four_processes::distinct_numbers(&mut rng, 4);
/// assert_eq!(numbers.len(), 4);
/// assert!(numbers.iter().all(|n| (1..=100).contains(n)));
/// ```
///
/// # Panics
/// If `count` is more than 100: there are only 100 different numbers.
pub fn distinct_numbers(rng: &mut impl Rng, count: usize) -> Vec<u8> {
    assert!(count <= 100, "only 100 different numbers in 1..=100");
    rand::seq::index::sample(rng, 100, count)
        .into_iter()
        .map(|i| u8::try_from(i + 1).expect("an index below 100"))
        .collect()
}
// ANCHOR_END: distinct_numbers

/// The parent's generator: seeded with `--seed`, or from the operating system.
fn generator(seed: Option<u64>) -> StdRng {
    // StdRng's algorithm may change in a later rand release; within this build a seed is a
    // complete recipe for the numbers.
    match seed {
        Some(seed) => StdRng::seed_from_u64(seed),
        None => rand::make_rng(),
    }
}

// ANCHOR: start_all_then_join
/// Starts one child process per argument, all before waiting for any, so they run at the same
/// time; then joins each. Returns how many failed (each reported); a child that could not print
/// ends the program, as any output error. `trace` gets each child's life.
fn start_all_then_join<A: Serialize>(
    task: &Task<A, Result<(), OutputError>>,
    args: impl IntoIterator<Item = A>,
    trace: &Trace,
) -> Result<usize, Error> {
    // If one cannot start, `?` drops the ones already running, which stops them.
    let children = args
        .into_iter()
        .map(|arg| Ok((trace.now(), Process::start(task, arg)?)))
        .collect::<common::Result<Vec<_>>>()?;
    let mut failed = 0;
    let mut output = Ok(());
    for (i, (born, child)) in children.into_iter().enumerate() {
        let pid = child.pid();
        let joined = child.join();
        record_life(trace, i, pid, born, joined.is_ok());
        match joined {
            Ok(printed) => output = output.and(printed),
            Err(e) => {
                errln!("q6_four_processes: error: process {i} (pid {pid}): {e}");
                failed += 1;
            }
        }
    }
    output?;
    Ok(failed)
}
// ANCHOR_END: start_all_then_join

/// Adds child `i`'s life, from asking for it (`born`) to having reaped it (now), to `trace`.
fn record_life(trace: &Trace, i: usize, pid: u32, born: Duration, ran: bool) {
    trace.record(Span {
        index: i,
        pid,
        start: born,
        end: trace.now(),
        outcome: if ran { Outcome::Ran } else { Outcome::Failed },
    });
}

/// `--svg DIR`: the children's lives as `DIR/processes.svg`. Returns whether it was written;
/// says why not on stderr.
fn draw(trace: &Trace, dir: &std::path::Path, count: usize) -> bool {
    let file = dir.join("processes.svg");
    let title = format!("{count} child processes, a bar from asking for each to reaping it");
    match Picture::new().panel(&title, trace).save(&file) {
        Ok(()) => true,
        Err(e) => {
            errln!(
                "q6_four_processes: error: cannot write {}: {e}",
                file.display()
            );
            false
        }
    }
}

// ANCHOR: threads
/// The same on threads: one per number, all inside this process, so all with its pid.
fn randoms_on_threads(randoms: &[u8]) -> Result<(), Error> {
    on_threads(randoms.iter().enumerate(), |(number, &random)| {
        outln!(
            "{}",
            random_line("Thread", number, std::process::id(), random)
        )
    })
}

/// Runs `print` for each item, each on a thread of its own, all at once; waits for them all.
fn on_threads<T: Send>(
    items: impl IntoIterator<Item = T>,
    print: impl Fn(T) -> Result<(), OutputError> + Sync,
) -> Result<(), Error> {
    thread::scope(|s| {
        let print = &print;
        // `Builder::spawn_scoped` returns the error where `s.spawn` panics; started ones finish.
        let threads = items
            .into_iter()
            .map(|item| thread::Builder::new().spawn_scoped(s, move || print(item)))
            .collect::<io::Result<Vec<_>>>()
            .map_err(Error::Thread)?;
        // `print` cannot panic: it returns its errors. The scope joins every thread anyway.
        for thread in threads {
            thread.join().unwrap_or(Ok(()))?;
        }
        Ok(())
    })
}
// ANCHOR_END: threads

/// `--numbers` on threads.
fn numbers_on_threads(numbers: impl IntoIterator<Item = u32>) -> Result<(), Error> {
    on_threads(numbers, |number| {
        let line = number_line(std::process::id(), number);
        outln!("{line} (from a thread)")
    })
}

/// The first answer sheet's line, with the process id added:
///
/// ```
/// assert_eq!(
///     q6_four_processes::random_line("Process", 0, 4242, 93),
///     "Process number 0 (pid 4242), random number generated : 93"
/// );
/// ```
pub fn random_line(kind: &str, number: usize, pid: u32, random: u8) -> String {
    format!("{kind} number {number} (pid {pid}), random number generated : {random}")
}

/// The second answer sheet's line:
///
/// ```
/// assert_eq!(q6_four_processes::number_line(4242, 1), "Process ID: 4242, Number: 1");
/// ```
pub fn number_line(pid: u32, number: u32) -> String {
    format!("Process ID: {pid}, Number: {number}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_different_and_in_range_for_every_count() {
        let mut rng = StdRng::seed_from_u64(0);
        for count in 0..=100 {
            let mut numbers = distinct_numbers(&mut rng, count);
            assert_eq!(numbers.len(), count);
            assert!(numbers.iter().all(|n| (1..=100).contains(n)));
            numbers.sort_unstable();
            numbers.dedup();
            assert_eq!(numbers.len(), count, "a repeat among {count}");
        }
    }

    #[test]
    fn all_hundred_is_a_permutation_of_one_to_hundred() {
        let mut numbers = distinct_numbers(&mut StdRng::seed_from_u64(1), 100);
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=100).collect::<Vec<u8>>());
    }

    #[test]
    fn a_seed_fixes_the_numbers() {
        let draw = |seed| distinct_numbers(&mut generator(Some(seed)), 4);
        assert_eq!(draw(42), draw(42));
        assert_ne!(draw(42), draw(43));
    }

    #[test]
    fn every_number_is_drawn_over_many_seeds() {
        // Not just a few favourites: over 500 draws of 4, each of 1..=100 shows up.
        let mut seen = [false; 101];
        for seed in 0..500 {
            for n in distinct_numbers(&mut generator(Some(seed)), 4) {
                seen[usize::from(n)] = true;
            }
        }
        assert!(seen[1..].iter().all(|&s| s));
    }

    #[test]
    #[should_panic(expected = "only 100 different numbers")]
    fn more_than_hundred_is_refused() {
        distinct_numbers(&mut StdRng::seed_from_u64(0), 101);
    }
}
