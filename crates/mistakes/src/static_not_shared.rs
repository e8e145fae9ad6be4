//! A `static` is one per process: workers change their own copy, never the parent's.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

use common::{Pool, Task, ThreadPool, task};

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

pub fn run() -> ExitCode {
    const TASKS: u32 = 8;
    let on_processes = Pool::new(2).and_then(|pool| pool.map(&COUNT_CALL, 0..TASKS));
    let counts = match on_processes {
        Ok(counts) => counts,
        Err(e) => return crate::fail("static_not_shared", e),
    };
    // Each worker's last count is how many tasks it ran.
    let mut per_worker = HashMap::new();
    for (pid, calls) in counts {
        let highest = per_worker.entry(pid).or_insert(0);
        *highest = calls.max(*highest);
    }
    println!(
        "{TASKS} tasks on 2 worker processes: CALLS in the parent is {}; the workers' own \
         copies add up to {}",
        CALLS.load(Ordering::Relaxed),
        per_worker.values().sum::<u64>()
    );
    let on_threads = ThreadPool::new(2).and_then(|threads| threads.map(&COUNT_CALL, 0..TASKS));
    if let Err(e) = on_threads {
        return crate::fail("static_not_shared", e);
    }
    println!(
        "{TASKS} tasks on 2 threads: CALLS in the parent is {}",
        CALLS.load(Ordering::Relaxed)
    );
    ExitCode::SUCCESS
}
