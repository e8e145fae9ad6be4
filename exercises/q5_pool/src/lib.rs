//! # Question 5: how can we create a pool of worker processes?
//!
//! Python answers with `multiprocessing.Pool(processes=4)` and `pool.map(calc_gamma, values)`:
//! four worker processes share the list, and the results come back in order. This crate gives
//! the same answer with [`common::Pool`]: four worker processes (this binary, started again),
//! the gamma function mapped over `[0.5, 1, 2, …, 10]`, and the reference table printed line by
//! line, bit for bit as Python prints it.
//!
//! Two differences from the Python program are deliberate. Results are printed as they arrive
//! (`imap`, still in input order) so one bad value (a pole, an overflow, a killed worker) is
//! reported on its own line instead of sinking the whole table. And `--threads` runs the same
//! map on a thread pool: in Rust, threads compute in parallel too, and need no encoding.
//!
//! `q5_pool square` is the second answer sheet's program: `pool.map` of squares on a pool of 3.
//!
//! `--trace` adds, after the results, a timeline of which worker process ran each value and when
//! ([`common::Trace`]): a row per worker pid, so the four workers and their reuse are visible.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod gamma;
pub mod number;

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use common::{Call, Pool, Registered, Task, ThreadPool, Trace, task};
use support::cli::{EXIT_CODES_HELP, MAX_WORKERS};
use support::cpu::busy_wait;
use support::out::OutputError;
use support::outln;

use crate::gamma::MathError;
use crate::number::Number;

// ANCHOR: tasks
/// Runs in a worker: Γ(x), after the optional busy-wait set by `--work-ms`.
fn calc_gamma(x: f64) -> Result<f64, MathError> {
    // Spins rather than sleeps, so `--work-ms` shows the worker busy in `top`.
    busy_wait(Duration::from_millis(WORK_MS.load(Ordering::Relaxed)));
    gamma::gamma(x)
}

/// Runs in a worker: the second answer sheet's `calculate_square` (i128: Python ints never overflow).
fn calculate_square(n: i64) -> i128 {
    busy_wait(Duration::from_millis(WORK_MS.load(Ordering::Relaxed)));
    i128::from(n) * i128::from(n)
}

/// The pool's initializer: every worker runs it once, with `--work-ms`.
fn set_work_ms(ms: u64) {
    WORK_MS.store(ms, Ordering::Relaxed);
}

/// The functions workers can run, by name.
pub const GAMMA: Task<f64, Result<f64, MathError>> = task!(calc_gamma);
pub const SQUARE: Task<i64, i128> = task!(calculate_square);
pub const SET_WORK_MS: Task<u64, ()> = task!(set_work_ms);
/// Given to [`common::init`] at the top of `main`.
pub static TASKS: &[&dyn Registered] = &[&GAMMA, &SQUARE, &SET_WORK_MS];
// ANCHOR_END: tasks

/// Milliseconds of busy work per task; each worker process has its own copy.
static WORK_MS: AtomicU64 = AtomicU64::new(0);

/// The gamma function on a pool of worker processes (question 5).
#[derive(Debug, Parser)]
#[command(
    version,
    about = "Question 5: a pool of worker processes maps the gamma function over a list",
    after_help = format!(
        "Examples:\n  q5_pool                      the reference table, on 4 worker processes\n  \
         q5_pool 2.5 7 170.5          your own values\n  \
         q5_pool --threads            the same map on 4 threads\n  \
         q5_pool --work-ms 3000       slow tasks: watch the workers in `top`\n  \
         q5_pool --trace --work-ms 50 which worker ran each value, and when\n  \
         q5_pool --svg DIR            the same timeline as a picture too, DIR/trace.svg\n  \
         q5_pool square               the second answer sheet: squares on a pool of 3\n\n{EXIT_CODES_HELP}"
    )
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub values: Values,
    #[command(flatten)]
    pub options: Options,
}

/// Options shared by both programs.
#[derive(Debug, Clone, Args)]
pub struct Options {
    /// Number of worker processes (threads with --threads), at most 256 [default: 4; square: 3]
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=MAX_WORKERS))]
    pub workers: Option<u16>,
    /// Run the same map on a thread pool instead of worker processes
    #[arg(long, global = true)]
    pub threads: bool,
    #[arg(long, global = true, value_name = "MS", default_value_t = 0, help = WORK_MS_HELP)]
    pub work_ms: u64,
    /// After the results, draw which worker process ran each value, and when
    #[arg(long, global = true)]
    pub trace: bool,
    /// Also draw the timeline as an SVG picture, DIR/trace.svg (implies --trace)
    #[arg(long, global = true, value_name = "DIR")]
    pub svg: Option<std::path::PathBuf>,
}

impl Options {
    /// Whether to trace: `--trace`, or `--svg`, which draws the trace.
    pub fn traced(&self) -> bool {
        self.trace || self.svg.is_some()
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The second answer sheet: squares of numbers on a pool of 3
    #[command(after_help = EXIT_CODES_HELP)]
    Square {
        /// Numbers to square [default: 1 2 3 4 5]
        #[arg(allow_negative_numbers = true, value_name = "NUMBER", value_parser = number::parse_int)]
        numbers: Vec<i64>,
    },
}

/// The reference program's list: `[0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]`.
pub fn default_values() -> Vec<Number> {
    std::iter::once(Number::Float(0.5))
        .chain((1..=10).map(Number::Int))
        .collect()
}

/// The values to map, as every program of the gamma map takes them (this one and
/// `beyond_one_machine`): numbers on the command line, or the reference list when none is given.
#[derive(Debug, Clone, Args)]
pub struct Values {
    /// Values for the gamma function [default: 0.5 1 2 3 4 5 6 7 8 9 10]
    #[arg(allow_negative_numbers = true, value_name = "VALUE")]
    pub values: Vec<Number>,
}

impl Values {
    /// The values given, or [`default_values`] when none were.
    pub fn or_default(self) -> Vec<Number> {
        if self.values.is_empty() {
            default_values()
        } else {
            self.values
        }
    }
}

/// The help of `--work-ms`, in every program of the gamma map: the busy work [`SET_WORK_MS`]
/// sets, on top of Γ itself.
pub const WORK_MS_HELP: &str =
    "Make every task also spin this many milliseconds of wall time (busy, so it shows in `top`)";

/// What can stop the program: the pool, or output that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Pool(#[from] common::Error),
    // Not transparent: `support::cli::finish` finds an output error among the sources.
    #[error("{0}")]
    Output(#[from] OutputError),
}

/// Runs the program; returns the exit code (see [`support::cli`]).
pub fn run(cli: Cli) -> ExitCode {
    let outcome = match cli.command {
        Some(Command::Square { numbers }) => {
            let numbers = if numbers.is_empty() {
                vec![1, 2, 3, 4, 5]
            } else {
                numbers
            };
            squares(&numbers, &cli.options)
        }
        None => {
            let values = cli.values.or_default();
            if cli.options.threads {
                gamma_table_on_threads(&values, &cli.options)
            } else {
                gamma_table(&values, &cli.options)
            }
        }
    };
    support::cli::finish(env!("CARGO_PKG_NAME"), outcome)
}

// ANCHOR: gamma_table
/// Prints `Gamma(x) = Γ(x)` for each value, in order, as the workers' results come in.
fn gamma_table(values: &[Number], options: &Options) -> Result<bool, Error> {
    let workers = usize::from(options.workers.unwrap_or(4));
    let (pool, trace) = worker_pool(workers, options)?;
    let xs = values.iter().map(|v| v.as_f64());
    let mut all_ok = print_table(values, traced(&pool, trace.as_ref()).imap(&GAMMA, xs))?;
    if let Some(trace) = &trace {
        all_ok &= print_timeline(Some(trace), options, workers)?;
    }
    Ok(all_ok)
}

/// Prints a line per value as its result arrives. Both return whether every value succeeded.
fn print_table(
    values: &[Number],
    results: impl Iterator<Item = common::Result<Result<f64, MathError>>>,
) -> Result<bool, OutputError> {
    let mut all_ok = true;
    for (value, result) in values.iter().zip(results) {
        all_ok &= matches!(result, Ok(Ok(_)));
        let line = match result {
            Ok(gamma) => gamma_line(value, &gamma),
            Err(pool_error) => gamma_line(value, &Err::<f64, _>(pool_error)),
        };
        // `outln!` is `println!` that returns an error instead of panicking (a closed pipe, a
        // full disk): the `?` stops the program there.
        outln!("{line}")?;
    }
    Ok(all_ok)
}
// ANCHOR_END: gamma_table

/// `--threads`: the same table from a pool of threads, all in this process.
fn gamma_table_on_threads(values: &[Number], options: &Options) -> Result<bool, Error> {
    let workers = usize::from(options.workers.unwrap_or(4));
    // No initializer on threads: they share this process's `WORK_MS`.
    set_work_ms(options.work_ms);
    let threads = ThreadPool::new(workers)?;
    let all_ok = print_table(
        values,
        threads.imap(&GAMMA, values.iter().map(|v| v.as_f64())),
    )?;
    if options.traced() {
        print_timeline(None, options, workers)?;
    }
    Ok(all_ok)
}

/// One line of the table: `Gamma(x) = Γ(x)` as Python prints it, or `Gamma(x): why` when the
/// value failed (a math error, or the pool's error for a worker that died).
///
/// ```
/// use q5_pool::{gamma::MathError, gamma_line, number::Number};
/// assert_eq!(gamma_line(&Number::Int(4), &Ok::<_, MathError>(6.0)), "Gamma(4) = 6.0");
/// assert_eq!(gamma_line(&Number::Int(0), &Err::<f64, _>(MathError::Domain)), "Gamma(0): math domain error");
/// ```
pub fn gamma_line<E: std::fmt::Display>(value: &Number, result: &Result<f64, E>) -> String {
    match result {
        Ok(gamma) => format!("Gamma({value}) = {}", support::python::repr_f64(*gamma)),
        Err(why) => format!("Gamma({value}): {why}"),
    }
}

// ANCHOR: worker_pool
/// A pool of `workers` processes, each told `--work-ms` by the pool's initializer, and the
/// trace `--trace` asks for (started once the workers are up, so the timeline shows the tasks,
/// not the start-up).
fn worker_pool(workers: usize, options: &Options) -> common::Result<(Pool, Option<Trace>)> {
    let pool = Pool::builder()
        .workers(workers)
        .initializer(&SET_WORK_MS, options.work_ms)
        .build()?;
    Ok((pool, options.traced().then(Trace::new)))
}
// ANCHOR_END: worker_pool

/// A call on `pool`, recording into `trace` if there is one.
fn traced<'p>(pool: &'p Pool, trace: Option<&Trace>) -> Call<'p> {
    let call = pool.call();
    match trace {
        Some(trace) => call.trace(trace),
        None => call,
    }
}

// ANCHOR: print_timeline
/// `--trace`: a row per worker process, time left to right, each value drawn with the last
/// digit of its position in the list. Threads have no timeline: they all share this process.
/// Returns whether the picture `--svg` asks for, if any, was written.
fn print_timeline(
    trace: Option<&Trace>,
    options: &Options,
    workers: usize,
) -> Result<bool, OutputError> {
    outln!()?;
    let Some(trace) = trace else {
        outln!("No timeline: --trace covers worker processes only, and with --threads every")?;
        outln!(
            "value ran in this process (pid {}), on {workers} threads.",
            std::process::id()
        )?;
        return Ok(true);
    };
    outln!(
        "Which worker process ran each value, and when (a value is the last digit of its position):"
    )?;
    support::out!("{}", trace.timeline(60))?;
    let used: BTreeSet<u32> = trace.spans().iter().map(|span| span.pid).collect();
    if used.len() < workers {
        outln!(
            "Only {} of the {workers} workers ran a value: each takes microseconds, so the first",
            used.len()
        )?;
        outln!("workers to ask finish them all before the others do. Try --work-ms 50.")?;
    }
    Ok(save_picture(trace, options.svg.as_deref(), workers))
}
// ANCHOR_END: print_timeline

/// `--svg DIR`: the timeline as `DIR/trace.svg`. Returns whether it was written (or not asked
/// for).
fn save_picture(trace: &Trace, dir: Option<&std::path::Path>, workers: usize) -> bool {
    let Some(dir) = dir else { return true };
    let file = dir.join("trace.svg");
    let title = format!("a pool of {workers} worker processes, one bar per value");
    match common::Picture::new().panel(&title, trace).save(&file) {
        Ok(()) => true,
        Err(e) => {
            support::errln!("q5_pool: error: cannot write {}: {e}", file.display());
            false
        }
    }
}

// ANCHOR: squares
/// The second answer sheet's program: `pool.map(calculate_square, numbers)` on a pool of 3.
fn squares(numbers: &[i64], options: &Options) -> Result<bool, Error> {
    let workers = usize::from(options.workers.unwrap_or(3));
    set_work_ms(options.work_ms);
    let (squared, trace) = if options.threads {
        let threads = ThreadPool::new(workers)?;
        (threads.map(&SQUARE, numbers.iter().copied())?, None)
    } else {
        let (pool, trace) = worker_pool(workers, options)?;
        let squared = traced(&pool, trace.as_ref()).map(&SQUARE, numbers.iter().copied())?;
        (squared, trace)
    };
    outln!("Original numbers: {numbers:?}")?;
    outln!("Squared numbers: {squared:?}")?;
    if options.traced() {
        return Ok(print_timeline(trace.as_ref(), options, workers)?);
    }
    Ok(true)
}
// ANCHOR_END: squares
