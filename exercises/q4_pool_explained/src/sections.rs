//! The four ways to hand work to a pool, one section each: `apply`, `apply_async`, `map` and
//! `imap`. Every section traces its calls and ends with the timeline.

use std::time::Instant;

use common::{AsyncResult, Call, Pool, Trace};
use support::out::OutputError;
use support::outln;

use crate::RUN;
use crate::report::{self, Lines, heading, ran_on};
use crate::work::{Job, Ran};

// ANCHOR: apply
/// `apply` runs one task in a worker and waits for it: in a loop, one task at a time.
pub(crate) fn apply(pool: &Pool, jobs: &[Job], lines: &Lines) -> Result<bool, OutputError> {
    heading("pool.apply: one task at a time; each call waits for its result")?;
    // Traced applies are numbered in the order they are made: here, the task numbers.
    let trace = Trace::new();
    let clock = Instant::now();
    let mut results = Vec::new();
    for job in jobs {
        let result = pool.trace(&trace).apply(&RUN, *job);
        lines.print(Some(clock.elapsed()), job, &result)?;
        results.push(result);
    }
    outln!(
        "{} in {} ms, one after another:",
        ran_on(&results),
        clock.elapsed().as_millis()
    )?;
    outln!("apply waits for its result, so only one worker is busy at a time.")?;
    lines.timeline(&trace, "apply", "pool.apply in a loop: one task at a time")?;
    Ok(results.iter().all(Result::is_ok))
}
// ANCHOR_END: apply

// ANCHOR: apply_async
/// `apply_async` returns at once with a handle; the workers run the tasks meanwhile.
pub(crate) fn apply_async(pool: &Pool, jobs: &[Job], lines: &Lines) -> Result<bool, OutputError> {
    heading("pool.apply_async: submit every task at once, collect the results later")?;
    // Submitted in task order, so the trace numbers them as the tasks.
    let trace = Trace::new();
    let clock = Instant::now();
    let handles: Vec<common::Result<AsyncResult<Ran>>> = jobs
        .iter()
        .map(|job| pool.trace(&trace).apply_async(&RUN, *job))
        .collect();
    outln!(
        "apply_async returned {} handles in {:.1} ms; get() on each, in the order submitted:",
        handles.len(),
        clock.elapsed().as_secs_f64() * 1e3
    )?;
    let mut results = Vec::new();
    for (job, handle) in jobs.iter().zip(handles) {
        let result = handle.and_then(AsyncResult::get);
        lines.print(Some(clock.elapsed()), job, &result)?;
        results.push(result);
    }
    outln!(
        "{} in {} ms, side by side.",
        ran_on(&results),
        clock.elapsed().as_millis()
    )?;
    lines.timeline(
        &trace,
        "apply_async",
        "pool.apply_async: every task at once",
    )?;
    Ok(results.iter().all(Result::is_ok))
}
// ANCHOR_END: apply_async

// ANCHOR: map
/// `map` hands out every task and returns when all are done: every result, in input order.
pub(crate) fn map(
    pool: &Pool,
    jobs: &[Job],
    lines: &Lines,
    chunksize: Option<usize>,
) -> Result<bool, OutputError> {
    heading("pool.map: every task, then every result at once, in input order")?;
    let trace = Trace::new();
    let call = with_chunksize(pool.trace(&trace), chunksize);
    let clock = Instant::now();
    let outcome = call.map(&RUN, jobs.iter().copied());
    let all_ok = lines.print_map(jobs, clock.elapsed(), outcome)?;
    lines.timeline(
        &trace,
        "map",
        "pool.map: every task, results in input order",
    )?;
    // Load balancing, measured: how long a worker sat idle while a task waited.
    outln!("Reading: {}", report::idle_reading(&trace))?;
    Ok(all_ok)
}
// ANCHOR_END: map

// ANCHOR: imap
/// `imap` yields each result as soon as it and every one before it are done; `imap_unordered`
/// as soon as it is done.
pub(crate) fn imap(
    pool: &Pool,
    jobs: &[Job],
    lines: &Lines,
    chunksize: Option<usize>,
    unordered: bool,
) -> Result<bool, OutputError> {
    let trace = Trace::new();
    let call = with_chunksize(pool.trace(&trace), chunksize);
    let results = if unordered {
        heading("pool.imap_unordered: each result as soon as its task is done")?;
        call.imap_unordered(&RUN, jobs.iter().copied())
    } else {
        heading("pool.imap: results one by one, in input order, while the rest still run")?;
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
        lines.print(Some(clock.elapsed()), &jobs[index], &result)?;
        all.push(result);
    }
    outln!("{} in {} ms.", ran_on(&all), clock.elapsed().as_millis())?;
    if !unordered {
        outln!("A result that is ready early waits for those before it (try --unordered).")?;
    }
    let (name, title) = if unordered {
        (
            "imap_unordered",
            "pool.imap_unordered: results as they finish",
        )
    } else {
        ("imap", "pool.imap: results one by one, in input order")
    };
    lines.timeline(&trace, name, title)?;
    Ok(all.iter().all(Result::is_ok))
}
// ANCHOR_END: imap

/// `call` with `--chunksize`, if given (otherwise the pool's default for the call).
fn with_chunksize(call: Call<'_>, chunksize: Option<usize>) -> Call<'_> {
    match chunksize {
        Some(n) => call.chunksize(n),
        None => call,
    }
}
