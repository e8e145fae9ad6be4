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
//! cores or 64 and on a busy machine. `--spin` makes them busy-wait instead: CPU-bound work,
//! where more workers than cores stretch every bar.

pub mod work;

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use common::{AsyncResult, Call, Error, Pool, Process, Registered, Span, Task, ThreadPool, Trace};
use support::cli::{EXIT_CODES_HELP, EXIT_USAGE, exit_code};

use crate::work::{Job, Ran, Work};

// ANCHOR: tasks
/// The one function workers run: a [`Job`] in, who ran it and for how long out.
pub const RUN: Task<Job, Ran> = common::task!(work::run_job);
/// Given to [`common::init`] at the top of `main`.
pub static TASKS: &[&dyn Registered] = &[&RUN];
// ANCHOR_END: tasks

/// Columns of every timeline.
const TIMELINE_WIDTH: usize = 60;
/// Beyond this many rows (processes) a timeline is too long to read, so it is left out.
const MAX_TIMELINE_ROWS: usize = 32;

/// A pool of worker processes at work (question 4).
#[derive(Debug, Parser)]
#[command(
    version,
    about = "Question 4: what a pool of worker processes is, and why it is used",
    after_help = format!(
        "Task i works for [3 8 2 1 5 2 7 1 4 2][i % 10] units of --unit-ms.\n\n\
         Examples:\n  \
         q4_pool_explained                            every section: 3 workers, 10 tasks\n  \
         q4_pool_explained --only map,imap            just those two sections\n  \
         q4_pool_explained --only imap --unordered    results in the order they finish\n  \
         q4_pool_explained --only map --chunksize 4   4 tasks a message: worse balance\n  \
         q4_pool_explained --spin --workers 8         CPU-bound, more workers than cores\n  \
         q4_pool_explained --crash 3                  task 3 kills its worker; the pool goes on\n  \
         q4_pool_explained --only compare --unit-ms 0 --tasks 300\n                                               \
         tiny tasks: process start-up is what counts\n\n\
         {EXIT_CODES_HELP}"
    )
)]
pub struct Cli {
    /// Worker processes in the pool (and processes at a time without one)
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
    pub workers: u16,
    /// Number of tasks
    #[arg(long, value_name = "M", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    pub tasks: u16,
    /// Milliseconds in one unit of work
    #[arg(long, value_name = "MS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pub unit_ms: u64,
    /// Tasks busy-wait (CPU-bound) instead of sleeping
    #[arg(long)]
    pub spin: bool,
    /// Run only these sections, comma-separated [default: all]
    #[arg(long, value_enum, value_name = "SECTION", value_delimiter = ',')]
    pub only: Vec<Section>,
    /// Tasks sent to a worker in one message by map and imap [default: map: Python's, imap: 1]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub chunksize: Option<u32>,
    /// Use imap_unordered: results in the order they finish
    #[arg(long)]
    pub unordered: bool,
    /// Task number TASK kills its own worker process halfway through
    #[arg(long, value_name = "TASK")]
    pub crash: Option<u16>,
}

/// A part of the program; `--only` picks some.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Section {
    /// pool.apply in a loop: one task at a time
    Apply,
    /// pool.apply_async: submit every task, collect the results later
    #[value(name = "async", alias = "apply_async")]
    Async,
    /// pool.map: every result at once, in input order
    Map,
    /// pool.imap: results one by one as they are ready
    Imap,
    /// the same tasks on a new pool, one process per task, and threads
    Compare,
}

impl Cli {
    /// Checks what clap cannot: `--crash` must name one of the tasks.
    pub fn check(&self) -> Result<(), String> {
        match self.crash {
            Some(task) if task >= self.tasks => Err(format!(
                "invalid value '{task}' for '--crash <TASK>': the {} tasks are numbered 0 to {}",
                self.tasks,
                self.tasks - 1
            )),
            _ => Ok(()),
        }
    }

    fn wants(&self, section: Section) -> bool {
        self.only.is_empty() || self.only.contains(&section)
    }

    fn jobs(&self) -> Vec<Job> {
        let work = if self.spin { Work::Spin } else { Work::Sleep };
        let crash = self.crash.map(usize::from);
        work::plan(usize::from(self.tasks), self.unit_ms, work, crash)
    }
}

/// Runs the program; returns the exit code (see [`support::cli`]).
pub fn run(cli: Cli) -> ExitCode {
    if let Err(message) = cli.check() {
        eprintln!("error: {message} (see --help)");
        return ExitCode::from(EXIT_USAGE);
    }
    match explain(&cli) {
        Ok(all_ok) => exit_code(!all_ok),
        Err(e) => {
            eprintln!("q4_pool_explained: error: {e}");
            exit_code(true)
        }
    }
}

/// Runs the sections asked for; returns whether every task succeeded.
fn explain(cli: &Cli) -> common::Result<bool> {
    let jobs = cli.jobs();
    let lines = Lines::new(&jobs);
    let workers = usize::from(cli.workers);
    let chunksize = cli.chunksize.map(|n| n as usize);
    let mut all_ok = true;
    let on_one_pool = [Section::Apply, Section::Async, Section::Map, Section::Imap];
    if on_one_pool.iter().any(|&s| cli.wants(s)) {
        // One pool for these sections: the same workers serve every call.
        let pool = Pool::new(workers)?;
        intro(cli, &jobs, Some(&pool));
        if cli.wants(Section::Apply) {
            all_ok &= apply(&pool, &jobs, &lines);
        }
        if cli.wants(Section::Async) {
            all_ok &= apply_async(&pool, &jobs, &lines);
        }
        if cli.wants(Section::Map) {
            all_ok &= map(&pool, &jobs, &lines, chunksize);
        }
        if cli.wants(Section::Imap) {
            all_ok &= imap(&pool, &jobs, &lines, chunksize, cli.unordered);
        }
    } else {
        intro(cli, &jobs, None);
    }
    if cli.wants(Section::Compare) {
        all_ok &= compare(&jobs, &lines, workers)?;
    }
    Ok(all_ok)
}

fn intro(cli: &Cli, jobs: &[Job], pool: Option<&Pool>) {
    println!("Question 4: what is a multiprocessing pool? Why is it used?");
    println!();
    let n = jobs.len();
    match pool {
        Some(pool) => {
            let mut pids = pool.pids();
            pids.sort_unstable();
            println!(
                "A pool of {} (pids {}), started once, takes {n} tasks of uneven length.",
                worker_processes(pool.workers()),
                join(&pids, ", ")
            );
        }
        None => println!("{n} tasks of uneven length."),
    }
    let lengths: Vec<u64> = jobs.iter().map(|j| j.ms).collect();
    let total: u64 = lengths.iter().sum();
    let verb = if cli.spin { "busy-waits" } else { "sleeps" };
    println!(
        "Each task {verb} for its length, in ms: {} ({total} ms in all).",
        join(&lengths, " ")
    );
    if let Some(task) = cli.crash {
        println!("Task {task} kills its own worker process halfway through (--crash).");
    }
    println!("Under each section, a timeline: a row per worker process, time left to right,");
    println!("each task drawn with the last digit of its number.");
}

// ANCHOR: apply
/// `apply` runs one task in a worker and waits for it: in a loop, one task at a time.
fn apply(pool: &Pool, jobs: &[Job], lines: &Lines) -> bool {
    heading("pool.apply: one task at a time; each call waits for its result");
    let trace = Trace::new();
    let clock = Instant::now();
    let mut results = Vec::new();
    for job in jobs {
        let one = OneCall::new(&trace);
        let result = pool.trace(&one.trace).apply(&RUN, *job);
        one.copy_into(&trace, job.index);
        lines.print(Some(clock.elapsed()), job, &result);
        results.push(result);
    }
    println!(
        "{} in {} ms, one after another:",
        ran_on(&results),
        clock.elapsed().as_millis()
    );
    println!("apply waits for its result, so only one worker is busy at a time.");
    print_timeline(&trace);
    results.iter().all(Result::is_ok)
}
// ANCHOR_END: apply

// ANCHOR: apply_async
/// `apply_async` returns at once with a handle; the workers run the tasks meanwhile.
fn apply_async(pool: &Pool, jobs: &[Job], lines: &Lines) -> bool {
    heading("pool.apply_async: submit every task at once, collect the results later");
    let trace = Trace::new();
    let clock = Instant::now();
    let handles: Vec<(OneCall, common::Result<AsyncResult<Ran>>)> = jobs
        .iter()
        .map(|job| {
            let one = OneCall::new(&trace);
            let handle = pool.trace(&one.trace).apply_async(&RUN, *job);
            (one, handle)
        })
        .collect();
    println!(
        "apply_async returned {} handles in {:.1} ms; get() on each, in the order submitted:",
        handles.len(),
        clock.elapsed().as_secs_f64() * 1e3
    );
    let mut results = Vec::new();
    for (job, (one, handle)) in jobs.iter().zip(handles) {
        let result = handle.and_then(AsyncResult::get);
        one.copy_into(&trace, job.index);
        lines.print(Some(clock.elapsed()), job, &result);
        results.push(result);
    }
    println!(
        "{} in {} ms, side by side.",
        ran_on(&results),
        clock.elapsed().as_millis()
    );
    print_timeline(&trace);
    results.iter().all(Result::is_ok)
}
// ANCHOR_END: apply_async

// ANCHOR: map
/// `map` hands out every task and returns when all are done: every result, in input order.
fn map(pool: &Pool, jobs: &[Job], lines: &Lines, chunksize: Option<usize>) -> bool {
    heading("pool.map: every task, then every result at once, in input order");
    let trace = Trace::new();
    let clock = Instant::now();
    let outcome = with_chunksize(pool.trace(&trace), chunksize).map(&RUN, jobs.iter().copied());
    let took = clock.elapsed().as_millis();
    let all_ok = match outcome {
        Ok(results) => {
            let results: Vec<_> = results.into_iter().map(Ok).collect();
            println!(
                "map returned after {took} ms with all {} results:",
                results.len()
            );
            for (job, result) in jobs.iter().zip(&results) {
                lines.print(None, job, result);
            }
            println!("{}.", ran_on(&results));
            true
        }
        Err(e) => {
            let task = e
                .index()
                .map(|i| format!(", on task {i}"))
                .unwrap_or_default();
            println!("map failed after {took} ms{task}: {}", failure(&e));
            println!(
                "(as in Python, map returns every result or one error; imap reports each task)"
            );
            false
        }
    };
    print_timeline(&trace);
    all_ok
}
// ANCHOR_END: map

// ANCHOR: imap
/// `imap` yields each result as soon as it and every one before it are done; `imap_unordered`
/// as soon as it is done.
fn imap(
    pool: &Pool,
    jobs: &[Job],
    lines: &Lines,
    chunksize: Option<usize>,
    unordered: bool,
) -> bool {
    let trace = Trace::new();
    let call = with_chunksize(pool.trace(&trace), chunksize);
    let results = if unordered {
        heading("pool.imap_unordered: each result as soon as its task is done");
        call.imap_unordered(&RUN, jobs.iter().copied())
    } else {
        heading("pool.imap: results one by one, in input order, while the rest still run");
        call.imap(&RUN, jobs.iter().copied())
    };
    let clock = Instant::now();
    let mut all = Vec::new();
    for (position, result) in results.enumerate() {
        let index = match &result {
            Ok(ran) => ran.index,
            Err(e) if unordered => e.index().unwrap_or(position),
            Err(_) => position,
        };
        lines.print(Some(clock.elapsed()), &jobs[index], &result);
        all.push(result);
    }
    println!("{} in {} ms.", ran_on(&all), clock.elapsed().as_millis());
    if !unordered {
        println!("A result that is ready early waits for those before it (try --unordered).");
    }
    print_timeline(&trace);
    all.iter().all(Result::is_ok)
}
// ANCHOR_END: imap

/// Applies `--chunksize` to a call, if given (otherwise each method keeps its own default).
fn with_chunksize(call: Call<'_>, chunksize: Option<usize>) -> Call<'_> {
    match chunksize {
        Some(n) => call.chunksize(n),
        None => call,
    }
}

/// A trace for one `apply`, to be copied into a section's trace under the task's number.
///
/// A traced `apply` records its single task as number 0, so each call gets a trace of its own,
/// started `offset` after the section's; both read the same clock, so adding `offset` places
/// the span on the section's timeline.
struct OneCall {
    trace: Trace,
    offset: Duration,
}

impl OneCall {
    fn new(section: &Trace) -> Self {
        let offset = section.now();
        OneCall {
            trace: Trace::new(),
            offset,
        }
    }

    fn copy_into(&self, section: &Trace, index: usize) {
        for span in self.trace.spans() {
            section.record(Span {
                index,
                start: span.start + self.offset,
                end: span.end + self.offset,
                ..span
            });
        }
    }
}

/// One way of running the tasks in the comparison, and what it cost.
struct Way {
    label: String,
    /// Processes started, or `None` if the way was skipped.
    processes: Option<usize>,
    took: Duration,
}

// ANCHOR: compare
/// The same tasks three ways: a new pool, a new process per task, a pool of threads.
fn compare(jobs: &[Job], lines: &Lines, workers: usize) -> common::Result<bool> {
    heading(&format!(
        "compare: the same {} tasks, three ways",
        jobs.len()
    ));
    let mut ways = Vec::new();

    let trace = Trace::new();
    let clock = Instant::now();
    let (results, processes, start_up) = on_a_new_pool(jobs, workers, &trace)?;
    let took = clock.elapsed();
    let label = format!("pool of {}", worker_processes(workers));
    println!(
        "{label}: {} ms, of which {} ms starting the workers",
        took.as_millis(),
        start_up.as_millis()
    );
    print_failures(lines, jobs, &results);
    print_timeline(&trace);
    let mut all_ok = results.iter().all(Result::is_ok);
    ways.push(Way {
        label,
        processes: Some(processes),
        took,
    });

    let trace = Trace::new();
    let clock = Instant::now();
    let runs = process_per_task(jobs, workers, &trace);
    let took = clock.elapsed();
    let label = "one new process per task".to_owned();
    println!(
        "{label}, {workers} at a time: {} ms (a bar is one process, from start to reaped)",
        took.as_millis()
    );
    let results: Vec<_> = runs.iter().map(|r| r.result.clone()).collect();
    print_failures(lines, jobs, &results);
    print_timeline(&trace);
    all_ok &= results.iter().all(Result::is_ok);
    let started = runs.iter().filter(|r| r.pid.is_some()).count();
    ways.push(Way {
        label,
        processes: Some(started),
        took,
    });

    let label = format!("pool of {workers} threads");
    if jobs.iter().any(|j| j.crash) {
        println!("{label}: skipped, because the task that kills its process would end this one");
        ways.push(Way {
            label,
            processes: None,
            took: Duration::ZERO,
        });
    } else {
        let clock = Instant::now();
        let results = ThreadPool::new(workers)?.map(&RUN, jobs.iter().copied());
        let took = clock.elapsed();
        println!(
            "{label}: {} ms, every task in this process (pid {})",
            took.as_millis(),
            std::process::id()
        );
        all_ok &= results.is_ok();
        ways.push(Way {
            label,
            processes: Some(0),
            took,
        });
    }

    println!();
    print_table(&ways);
    // What one process costs beyond its task: start-up, exit and reaping, measured above.
    let overheads: Vec<Duration> = runs
        .iter()
        .filter_map(|r| Some(r.life.saturating_sub(r.result.as_ref().ok()?.took)))
        .collect();
    if !overheads.is_empty() {
        let mean = overheads.iter().sum::<Duration>() / overheads.len() as u32;
        println!(
            "A process started for one task cost {:.1} ms beyond the task itself (start-up, exit,",
            mean.as_secs_f64() * 1e3
        );
        println!(
            "reaping); the pool paid for {} processes, one process per task for {started}.",
            ways[0].processes.unwrap_or(0)
        );
    }
    println!("Threads start no process and run Rust code in parallel too: for CPU-bound work they");
    match jobs.iter().find(|j| j.crash) {
        Some(job) => println!(
            "are usually the better tool. Processes buy isolation: task {} killed its worker,\n\
             and the pool replaced it and went on.",
            job.index
        ),
        None => {
            println!("are usually the better tool. A process pool buys isolation (try --crash).")
        }
    }
    Ok(all_ok)
}
// ANCHOR_END: compare

// ANCHOR: on_a_new_pool
/// Starts a pool for these tasks alone (so its start-up counts), runs them and waits for the
/// workers to exit. Returns the results, the processes it started and its start-up time.
fn on_a_new_pool(
    jobs: &[Job],
    workers: usize,
    trace: &Trace,
) -> common::Result<(Vec<common::Result<Ran>>, usize, Duration)> {
    let clock = Instant::now();
    let pool = Pool::new(workers)?;
    let start_up = clock.elapsed();
    let mut pids: BTreeSet<u32> = pool.pids().into_iter().collect();
    let results = pool.trace(trace).imap(&RUN, jobs.iter().copied()).collect();
    // A worker killed by its task is replaced: the replacement is a process started too.
    pids.extend(pool.pids());
    pool.join();
    pids.extend(trace.spans().iter().map(|s| s.pid));
    Ok((results, pids.len(), start_up))
}
// ANCHOR_END: on_a_new_pool

/// One task run in a process of its own.
struct PerTask {
    result: common::Result<Ran>,
    /// The process's pid, if it started.
    pid: Option<u32>,
    /// From asking for the process to having reaped it.
    life: Duration,
}

// ANCHOR: process_per_task
/// Runs each task in a new process, `workers` at a time, so that the only difference from the
/// pool is that no process is reused. Each process's whole life goes into `trace`.
fn process_per_task(jobs: &[Job], workers: usize, trace: &Trace) -> Vec<PerTask> {
    let next = AtomicUsize::new(0);
    let mut runs: Vec<(usize, PerTask)> = std::thread::scope(|scope| {
        let runners: Vec<_> = (0..workers.min(jobs.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut runs = Vec::new();
                    while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let start = trace.now();
                        let (pid, result) = match Process::start(&RUN, *job) {
                            Ok(process) => (Some(process.pid()), process.join()),
                            Err(e) => (None, Err(e)),
                        };
                        let end = trace.now();
                        if let Some(pid) = pid {
                            let index = job.index;
                            trace.record(Span {
                                index,
                                pid,
                                start,
                                end,
                            });
                        }
                        let life = end - start;
                        runs.push((job.index, PerTask { result, pid, life }));
                    }
                    runs
                })
            })
            .collect();
        runners
            .into_iter()
            .flat_map(|runner| {
                runner
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            })
            .collect()
    });
    runs.sort_by_key(|(index, _)| *index);
    runs.into_iter().map(|(_, run)| run).collect()
}
// ANCHOR_END: process_per_task

fn print_table(ways: &[Way]) {
    let width = ways.iter().map(|w| w.label.len()).max().unwrap_or(0);
    println!("  {:width$}  processes started      time", "");
    for way in ways {
        match way.processes {
            Some(n) => println!(
                "  {:width$}  {n:>17}  {:>5} ms",
                way.label,
                way.took.as_millis()
            ),
            None => println!("  {:width$}  {:>17}  {:>8}", way.label, "-", "skipped"),
        }
    }
}

fn print_failures(lines: &Lines, jobs: &[Job], results: &[common::Result<Ran>]) {
    for (job, result) in jobs.iter().zip(results) {
        if result.is_err() {
            lines.print(None, job, result);
        }
    }
}

/// Prints `trace`'s timeline, unless it would have too many rows to read.
fn print_timeline(trace: &Trace) {
    let rows = trace
        .spans()
        .iter()
        .map(|s| s.pid)
        .collect::<BTreeSet<_>>()
        .len();
    if rows > MAX_TIMELINE_ROWS {
        println!("(timeline left out: {rows} processes, more rows than {MAX_TIMELINE_ROWS})");
    } else {
        print!("{}", trace.timeline(TIMELINE_WIDTH));
    }
}

fn heading(title: &str) {
    println!();
    println!("== {title} ==");
}

/// Prints one line per task, columns aligned for the whole list.
struct Lines {
    index_width: usize,
    ms_width: usize,
}

impl Lines {
    fn new(jobs: &[Job]) -> Self {
        let digits = |n: u64| n.to_string().len();
        Lines {
            index_width: digits(jobs.len().saturating_sub(1) as u64),
            ms_width: digits(jobs.iter().map(|j| j.ms).max().unwrap_or(0)),
        }
    }

    fn print(&self, at: Option<Duration>, job: &Job, result: &common::Result<Ran>) {
        println!("{}", self.line(at, job, result));
    }

    /// `   140 ms  task 1 (160 ms) ran on pid 4242`; the time is when the result arrived.
    fn line(&self, at: Option<Duration>, job: &Job, result: &common::Result<Ran>) -> String {
        let at = at.map_or_else(|| "  ".to_owned(), |t| format!("{:>6} ms  ", t.as_millis()));
        let task = format!(
            "task {:>iw$} ({:>mw$} ms)",
            job.index,
            job.ms,
            iw = self.index_width,
            mw = self.ms_width
        );
        match result {
            Ok(ran) => format!("{at}{task} ran on pid {}", ran.pid),
            Err(e) => format!("{at}{task} failed: {}", failure(e)),
        }
    }
}

/// An error in words that fit after "task 3 failed: ".
fn failure(error: &Error) -> String {
    match error {
        Error::WorkerDied { pid, exit, .. } => format!("worker process {pid} died: {exit}"),
        other => other.to_string(),
    }
}

/// `10 tasks on 3 worker processes`: how many distinct processes ran the successful tasks.
fn ran_on(results: &[common::Result<Ran>]) -> String {
    let ok: Vec<&Ran> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    let pids: BTreeSet<u32> = ok.iter().map(|r| r.pid).collect();
    let tasks = if ok.len() == 1 { "task" } else { "tasks" };
    let mut text = format!("{} {tasks} on {}", ok.len(), worker_processes(pids.len()));
    let failed = results.len() - ok.len();
    if failed > 0 {
        text.push_str(&format!(" ({failed} failed)"));
    }
    text
}

fn worker_processes(n: usize) -> String {
    if n == 1 {
        "1 worker process".to_owned()
    } else {
        format!("{n} worker processes")
    }
}

fn join<T: ToString>(items: &[T], separator: &str) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(separator)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn crash_must_name_a_task() {
        let cli = Cli::parse_from(["q4", "--tasks", "4", "--crash", "3"]);
        assert_eq!(cli.check(), Ok(()));
        let cli = Cli::parse_from(["q4", "--tasks", "4", "--crash", "4"]);
        assert_eq!(
            cli.check().unwrap_err(),
            "invalid value '4' for '--crash <TASK>': the 4 tasks are numbered 0 to 3"
        );
    }

    #[test]
    fn only_takes_a_list_and_defaults_to_everything() {
        let cli = Cli::parse_from(["q4", "--only", "map,apply_async"]);
        assert_eq!(cli.only, [Section::Map, Section::Async]);
        assert!(cli.wants(Section::Async) && !cli.wants(Section::Apply));
        assert!(Cli::parse_from(["q4"]).wants(Section::Compare));
    }

    #[test]
    fn task_lines_line_up() {
        let jobs = work::plan(12, 20, Work::Sleep, None);
        let lines = Lines::new(&jobs);
        let ran = |index, pid| {
            Ok(Ran {
                index,
                pid,
                took: Duration::ZERO,
            })
        };
        assert_eq!(
            lines.line(Some(Duration::from_millis(61)), &jobs[0], &ran(0, 7)),
            "    61 ms  task  0 ( 60 ms) ran on pid 7"
        );
        assert_eq!(
            lines.line(None, &jobs[11], &ran(11, 8)),
            "  task 11 (160 ms) ran on pid 8"
        );
        let died = Err(Error::WorkerDied {
            index: Some(3),
            pid: 9,
            exit: common::Exit::Signal(9),
        });
        assert_eq!(
            lines.line(None, &jobs[3], &died),
            "  task  3 ( 20 ms) failed: worker process 9 died: killed by signal 9 (SIGKILL)"
        );
    }

    #[test]
    fn ran_on_counts_processes_and_failures() {
        let ok = |pid| {
            Ok(Ran {
                index: 0,
                pid,
                took: Duration::ZERO,
            })
        };
        let results = vec![ok(1), ok(2), ok(1), Err(Error::PoolTerminated)];
        assert_eq!(ran_on(&results), "3 tasks on 2 worker processes (1 failed)");
        assert_eq!(ran_on(&[ok(5)]), "1 task on 1 worker process");
    }
}
