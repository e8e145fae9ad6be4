//! The comparison: the same tasks on a new pool, in a new process each, and on a pool of
//! threads, with what each cost.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Outcome, Pool, Process, Span, ThreadPool, Trace};
use support::out::OutputError;
use support::outln;

use crate::report::{Lines, heading, worker_processes};
use crate::work::{Job, Ran};
use crate::{Error, RUN};

/// One way of running the tasks in the comparison, and what it cost.
struct Way {
    label: String,
    /// Processes started, or `None` if the way was skipped.
    processes: Option<usize>,
    took: Duration,
}

// ANCHOR: compare
/// The same tasks three ways: a new pool, a new process per task, a pool of threads.
pub(crate) fn compare(jobs: &[Job], lines: &Lines, workers: usize) -> Result<bool, Error> {
    heading(&format!(
        "compare: the same {} tasks, three ways",
        jobs.len()
    ))?;
    let mut ways = Vec::new();

    let trace = Trace::new();
    let clock = Instant::now();
    let (results, processes, start_up) = on_a_new_pool(jobs, workers, &trace)?;
    let took = clock.elapsed();
    let label = format!("pool of {}", worker_processes(workers));
    outln!(
        "{label}: {} ms, of which {} ms starting the workers",
        took.as_millis(),
        start_up.as_millis()
    )?;
    lines.print_failures(jobs, &results)?;
    lines.timeline(&trace, "compare_pool", &format!("a new {label}"))?;
    let mut all_ok = results.iter().all(Result::is_ok);
    ways.push(Way {
        label,
        processes: Some(processes),
        took,
    });

    let trace = Trace::new();
    let clock = Instant::now();
    let runs = process_per_task(jobs, workers, &trace)?;
    let took = clock.elapsed();
    let label = "one new process per task".to_owned();
    outln!(
        "{label}, {workers} at a time: {} ms (a bar is one process, from start to reaped)",
        took.as_millis()
    )?;
    let results: Vec<_> = runs.iter().map(|r| r.result.clone()).collect();
    lines.print_failures(jobs, &results)?;
    lines.timeline(
        &trace,
        "compare_per_task",
        &format!("{label}, {workers} at a time (a bar is a process's life)"),
    )?;
    all_ok &= results.iter().all(Result::is_ok);
    let started = runs.iter().filter(|r| r.pid.is_some()).count();
    ways.push(Way {
        label,
        processes: Some(started),
        took,
    });

    let label = format!("pool of {workers} threads");
    if jobs.iter().any(|j| j.crash) {
        outln!("{label}: skipped, because the task that kills its process would end this one")?;
        ways.push(Way {
            label,
            processes: None,
            took: Duration::ZERO,
        });
    } else {
        let clock = Instant::now();
        let results = ThreadPool::new(workers)?.map(&RUN, jobs.iter().copied());
        let took = clock.elapsed();
        outln!(
            "{label}: {} ms, every task in this process (pid {})",
            took.as_millis(),
            std::process::id()
        )?;
        all_ok &= results.is_ok();
        ways.push(Way {
            label,
            processes: Some(0),
            took,
        });
    }

    outln!()?;
    print_table(&ways)?;
    print_summary(jobs, &ways, &runs)?;
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
    let results = pool.trace(trace).imap(&RUN, jobs.iter().copied()).collect();
    // Replacements for workers killed by their task count too.
    let started = pool.spawned();
    pool.join();
    Ok((results, started, start_up))
}
// ANCHOR_END: on_a_new_pool

/// One task run in a process of its own.
struct PerTask {
    index: usize,
    result: common::Result<Ran>,
    /// The process's pid, if it started.
    pid: Option<u32>,
    /// From asking for the process to having reaped it.
    life: Duration,
}

// ANCHOR: process_per_task
/// Runs each task in a new process, `workers` at a time, so that the only difference from the
/// pool is that no process is reused. Each process's whole life goes into `trace`.
fn process_per_task(jobs: &[Job], workers: usize, trace: &Trace) -> Result<Vec<PerTask>, Error> {
    let next = AtomicUsize::new(0);
    // Each runner starts a process for the next task, and waits for it, until none is left.
    on_runners(workers.min(jobs.len()), || {
        let mut runs = Vec::new();
        while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
            let start = trace.now();
            let (pid, result) = match Process::start(&RUN, *job) {
                Ok(process) => (Some(process.pid()), process.join()),
                Err(e) => (None, Err(e)),
            };
            let life = trace.now() - start;
            let run = PerTask {
                index: job.index,
                result,
                pid,
                life,
            };
            record_life(trace, start, &run);
            runs.push(run);
        }
        runs
    })
}
// ANCHOR_END: process_per_task

/// Runs `runner` on `n` threads at once; returns all they ran, in task order. A thread that
/// cannot start is an error; those already running finish first (the scope waits for them), so
/// no process is left behind.
fn on_runners(n: usize, runner: impl Fn() -> Vec<PerTask> + Sync) -> Result<Vec<PerTask>, Error> {
    let mut runs: Vec<PerTask> = std::thread::scope(|scope| {
        let runners = (0..n)
            .map(|_| std::thread::Builder::new().spawn_scoped(scope, &runner))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Error::Thread)?;
        Ok::<_, Error>(
            runners
                .into_iter()
                .flat_map(|runner| {
                    runner
                        .join()
                        .unwrap_or_else(|p| std::panic::resume_unwind(p))
                })
                .collect(),
        )
    })?;
    runs.sort_by_key(|run| run.index);
    Ok(runs)
}

/// Adds the life of `run`'s process, from asking for it (at `start`) to having reaped it, to
/// `trace`, as a span of its task.
fn record_life(trace: &Trace, start: Duration, run: &PerTask) {
    let Some(pid) = run.pid else { return };
    let outcome = match &run.result {
        Ok(_) => Outcome::Ran,
        Err(common::Error::WorkerDied { .. }) => Outcome::Killed,
        Err(_) => Outcome::Failed,
    };
    trace.record(Span {
        index: run.index,
        pid,
        start,
        end: start + run.life,
        outcome,
    });
}

/// After the table: what a process cost beyond its task, the `Reading:` of pool against one
/// process per task (`ways[0]` and `ways[1]`), and what threads and processes are for.
fn print_summary(jobs: &[Job], ways: &[Way], runs: &[PerTask]) -> Result<(), OutputError> {
    // What one process costs beyond its task: start-up, exit and reaping, measured above.
    let overheads: Vec<Duration> = runs
        .iter()
        .filter_map(|r| Some(r.life.saturating_sub(r.result.as_ref().ok()?.took)))
        .collect();
    if !overheads.is_empty() {
        let mean = overheads.iter().sum::<Duration>() / overheads.len() as u32;
        outln!(
            "A process started for one task cost {:.1} ms beyond the task itself (start-up, exit,",
            mean.as_secs_f64() * 1e3
        )?;
        outln!(
            "reaping); the pool paid for {} processes, one process per task for {}.",
            ways[0].processes.unwrap_or(0),
            ways[1].processes.unwrap_or(0)
        )?;
    }
    outln!("Reading: {}", per_task_reading(ways[1].took, ways[0].took))?;
    outln!("Threads start no process and run Rust code in parallel too: for CPU-bound work they")?;
    match jobs.iter().find(|j| j.crash) {
        Some(job) => outln!(
            "are usually the better tool. Processes buy isolation: task {} killed its worker,\n\
             and the pool replaced it and went on.",
            job.index
        ),
        None => outln!("are usually the better tool. A process pool buys isolation (try --crash)."),
    }
}

/// One process per task (`per_task`) against the new pool (`pool`), in words.
///
/// Within a factor of 1.25 either way the two count as alike: a run on a shared machine is not
/// measured closer than that.
fn per_task_reading(per_task: Duration, pool: Duration) -> String {
    let ratio = per_task.as_secs_f64() / pool.as_secs_f64().max(1e-9);
    if ratio >= 1.25 {
        format!(
            "one new process per task took {ratio:.1} times as long as the pool: it started a \
             process for every task, the pool one per worker."
        )
    } else if ratio > 0.8 {
        format!(
            "one new process per task took about as long as the pool ({ratio:.2} times): the \
             tasks' own time hides the start-ups."
        )
    } else {
        format!(
            "one new process per task took less time than the pool ({ratio:.2} times): other \
             programs on the cores, most likely. Run it again."
        )
    }
}

/// The comparison as a table: processes started and time, a row per way.
fn print_table(ways: &[Way]) -> Result<(), OutputError> {
    let width = ways.iter().map(|w| w.label.len()).max().unwrap_or(0);
    outln!("  {:width$}  processes started      time", "")?;
    for way in ways {
        match way.processes {
            Some(n) => outln!(
                "  {:width$}  {n:>17}  {:>5} ms",
                way.label,
                way.took.as_millis()
            )?,
            None => outln!("  {:width$}  {:>17}  {:>8}", way.label, "-", "skipped")?,
        }
    }
    Ok(())
}
