//! # Question 4: what is a multiprocessing pool? Why is it used?
//!
//! A pool is a fixed set of worker processes, started once, that take tasks from a shared queue
//! until none are left. Python's `multiprocessing.Pool(3)` is one; [`common::Pool`] is the same
//! in Rust, each worker being this binary started again. This program gives a pool of 3 workers
//! 10 tasks of uneven length and prints which worker process ran each task, with a timeline per
//! worker (a text Gantt chart drawn by [`common::Trace`]). What it shows is why pools are used:
//!
//! - **Reuse.** Starting a process costs time. A pool pays that once per worker, not once per
//!   task: the same few pids come back in every line.
//! - **Load balancing.** A worker takes the next task as soon as it finishes one, so while one
//!   worker is busy with a long task the others get through the short ones.
//! - **Bounded parallelism.** However many tasks there are, at most N run at once.
//!
//! It hands work to the pool in the four ways Python's pool offers: `apply` (one task, wait for
//! it: in a loop, one task at a time), `apply_async` (submit everything, collect later), `map`
//! (all results together, in order) and `imap` (results one by one, while the rest still run).
//! Then it measures what the pool saves, running the same tasks with a new
//! [`common::Process`] for each (as many at a time as the pool has workers, so only reuse
//! differs) and on a pool of threads.
//!
//! Rust honestly: there is no GIL. Python needs processes to run Python code on several cores;
//! Rust threads already run in parallel, and a thread pool is usually the right tool for
//! CPU-bound work: nothing to start, nothing to encode. A process pool buys isolation instead
//! (`--crash`: a killed worker takes only its task with it and is replaced, where in a thread
//! it would end the whole program) and amortises process start-up, which the comparison
//! measures.
//!
//! Tasks sleep by default, so the timelines show the pool's scheduling alone, the same on 2
//! cores or 64 and on a busy machine. `--spin` makes them busy-wait instead, so they show as
//! busy in `top`; a task still spins until its wall-clock length has passed, so with more
//! workers than cores the bars keep their length while the workers share the cores.
//!
//! The code, a file per job: `cli` the command line, `sections` the four ways to hand work to
//! the pool, `compare` the comparison, `report` the printing, and [`work`] the tasks themselves.

#![deny(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod compare;
mod report;
mod sections;
pub mod work;

use std::io;
use std::process::ExitCode;

use common::{Pool, Registered, Task};
use support::out::OutputError;
use support::outln;

pub use crate::cli::{Cli, Section};
use crate::report::{Lines, join, worker_processes};
use crate::work::{Job, Ran};

// ANCHOR: tasks
/// The one function workers run: a [`Job`] in, who ran it and for how long out.
pub const RUN: Task<Job, Ran> = common::task!(work::run_job);
/// Given to [`common::init`] at the top of `main`.
pub static TASKS: &[&dyn Registered] = &[&RUN];
// ANCHOR_END: tasks

/// What can stop the program: the pool, a thread that cannot start, or output that could not
/// be written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Pool(#[from] common::Error),
    #[error("could not start a thread: {0}")]
    Thread(io::Error),
    // Not transparent: `support::cli::finish` finds an output error among the sources.
    #[error("{0}")]
    Output(#[from] OutputError),
}

/// Runs the program; returns the exit code (see [`support::cli`]).
pub fn run(cli: Cli) -> ExitCode {
    if let Err(message) = cli.check() {
        return support::cli::usage_error(message);
    }
    support::cli::finish(env!("CARGO_PKG_NAME"), explain(&cli))
}

/// Runs the sections asked for; returns whether every task succeeded.
fn explain(cli: &Cli) -> Result<bool, Error> {
    let jobs = cli.jobs();
    let lines = Lines::new(&jobs, cli.svg.as_deref());
    let workers = usize::from(cli.workers);
    let chunksize = cli.chunksize.map(|n| n as usize);
    let mut all_ok = true;
    let on_one_pool = [Section::Apply, Section::Async, Section::Map, Section::Imap];
    if on_one_pool.iter().any(|&s| cli.wants(s)) {
        // One pool for these sections: the same workers serve every call.
        let pool = Pool::new(workers)?;
        intro(cli, &jobs, Some(&pool))?;
        if cli.wants(Section::Apply) {
            all_ok &= sections::apply(&pool, &jobs, &lines)?;
        }
        if cli.wants(Section::Async) {
            all_ok &= sections::apply_async(&pool, &jobs, &lines)?;
        }
        if cli.wants(Section::Map) {
            all_ok &= sections::map(&pool, &jobs, &lines, chunksize)?;
        }
        if cli.wants(Section::Imap) {
            all_ok &= sections::imap(&pool, &jobs, &lines, chunksize, cli.unordered)?;
        }
    } else {
        intro(cli, &jobs, None)?;
    }
    if cli.wants(Section::Compare) {
        all_ok &= compare::compare(&jobs, &lines, workers)?;
    }
    Ok(all_ok && lines.pictures_ok())
}

/// What the program is about to show: the pool, the tasks, how to read a timeline.
fn intro(cli: &Cli, jobs: &[Job], pool: Option<&Pool>) -> Result<(), OutputError> {
    outln!("Question 4: what is a multiprocessing pool? Why is it used?")?;
    outln!()?;
    let n = jobs.len();
    match pool {
        Some(pool) => {
            let mut pids = pool.pids();
            pids.sort_unstable();
            outln!(
                "A pool of {} (pids {}), started once, takes {n} tasks of uneven length.",
                worker_processes(pool.workers()),
                join(&pids, ", ")
            )?;
        }
        None => outln!("{n} tasks of uneven length.")?,
    }
    let lengths: Vec<u64> = jobs.iter().map(|j| j.ms).collect();
    let total: u64 = lengths.iter().sum();
    let verb = if cli.spin { "busy-waits" } else { "sleeps" };
    outln!(
        "Each task {verb} for its length, in ms: {} ({total} ms in all).",
        join(&lengths, " ")
    )?;
    if let Some(task) = cli.crash {
        outln!("Task {task} kills its own worker process halfway through (--crash).")?;
    }
    outln!("Under each section, a timeline: a row per worker process, time left to right,")?;
    outln!("each task drawn with the last digit of its number.")
}
