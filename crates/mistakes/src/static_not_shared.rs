//! A `static` is one per process: workers change their own copy, never the parent's.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

use common::{Pool, Task, ThreadPool, task};
use support::outln;

use crate::Error;

command_line!(
    "static_not_shared",
    "Expecting worker processes to change the parent's static"
);

// ANCHOR: count_call
/// How many tasks this process has run.
static CALLS: AtomicU64 = AtomicU64::new(0);

/// Counts one call in this process's `CALLS`; returns this process's id and its count so far.
pub fn count_call(_item: u32) -> (u32, u64) {
    let calls = CALLS.fetch_add(1, Ordering::Relaxed) + 1;
    (std::process::id(), calls)
}
pub const COUNT_CALL: Task<u32, (u32, u64)> = task!(count_call);
// ANCHOR_END: count_call

/// Runs the program; returns the exit code (see [`support::cli`]).
pub fn run(_cli: Cli) -> ExitCode {
    support::cli::finish(NAME, count_on_both())
}

/// Runs `count_call` 8 times on processes, then on threads, and prints `CALLS` after each.
fn count_on_both() -> Result<bool, Error> {
    const TASKS: u32 = 8;
    let counts = Pool::new(2)?.map(&COUNT_CALL, 0..TASKS)?;
    // Each worker's last count is how many tasks it ran.
    let mut per_worker = HashMap::new();
    for (pid, calls) in counts {
        let highest = per_worker.entry(pid).or_insert(0);
        *highest = calls.max(*highest);
    }
    outln!(
        "{TASKS} tasks on 2 worker processes: CALLS in the parent is {}; the workers' own \
         copies add up to {}",
        CALLS.load(Ordering::Relaxed),
        per_worker.values().sum::<u64>()
    )?;
    ThreadPool::new(2)?.map(&COUNT_CALL, 0..TASKS)?;
    outln!(
        "{TASKS} tasks on 2 threads: CALLS in the parent is {}",
        CALLS.load(Ordering::Relaxed)
    )?;
    Ok(true)
}
