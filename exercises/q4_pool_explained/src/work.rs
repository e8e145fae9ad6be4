//! The work the pool is given: tasks of uneven but fixed length, and the function that runs one.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

// ANCHOR: pattern
/// Task `i` takes `PATTERN[i % 10]` units of work.
///
/// Uneven, so load balancing has something to do: task 1 is long, and while one worker is busy
/// with it the others get through the short ones. Fixed, so every run draws the same picture.
pub const PATTERN: [u64; 10] = [3, 8, 2, 1, 5, 2, 7, 1, 4, 2];
// ANCHOR_END: pattern

/// How a task spends its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Work {
    /// Sleep: the timeline shows the pool's scheduling alone, the same on any machine.
    Sleep,
    /// Busy-wait: CPU-bound work, which competes for cores with the other workers.
    Spin,
}

/// One task, as sent to a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Its position in the list of tasks.
    pub index: usize,
    /// How long it works, in milliseconds.
    pub ms: u64,
    pub work: Work,
    /// Kill the process running it, halfway through (`--crash`).
    pub crash: bool,
}

/// What a task reports back: who ran it and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ran {
    pub index: usize,
    /// The process that ran it: `std::process::id()` inside the worker (Python's `os.getpid()`).
    pub pid: u32,
    /// How long it ran, measured inside the worker.
    pub took: Duration,
}

/// The tasks: `tasks` jobs of `PATTERN` lengths times `unit_ms`; `crash` marks one to crash.
///
/// ```
/// use q4_pool_explained::work::{plan, Work};
/// let jobs = plan(12, 10, Work::Sleep, Some(2));
/// let ms: Vec<u64> = jobs.iter().map(|j| j.ms).collect();
/// assert_eq!(ms, [30, 80, 20, 10, 50, 20, 70, 10, 40, 20, 30, 80]);
/// assert!(jobs[2].crash && jobs.iter().filter(|j| j.crash).count() == 1);
/// ```
pub fn plan(tasks: usize, unit_ms: u64, work: Work, crash: Option<usize>) -> Vec<Job> {
    (0..tasks)
        .map(|index| Job {
            index,
            ms: PATTERN[index % PATTERN.len()] * unit_ms,
            work,
            crash: crash == Some(index),
        })
        .collect()
}

// ANCHOR: task
/// Runs in a worker process: works for `job.ms`, then says which process it ran in.
pub fn run_job(job: Job) -> Ran {
    let started = Instant::now();
    let length = Duration::from_millis(job.ms);
    if job.crash {
        work(job.work, length / 2);
        kill_this_process();
    }
    work(job.work, length);
    Ran {
        index: job.index,
        pid: std::process::id(),
        took: started.elapsed(),
    }
}
// ANCHOR_END: task

fn work(how: Work, length: Duration) {
    match how {
        Work::Sleep => std::thread::sleep(length),
        Work::Spin => support::cpu::busy_wait(length),
    }
}

/// Dies the way the OOM killer would end a process: SIGKILL, no unwinding, no core file.
fn kill_this_process() -> ! {
    // SAFETY: raise(3) has no memory-safety preconditions; it only sends a signal to this process.
    unsafe { libc::raise(libc::SIGKILL) };
    // SIGKILL cannot be caught or ignored, so this is never reached.
    std::process::abort()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_is_uneven_and_cycles() {
        let jobs = plan(21, 1, Work::Spin, None);
        assert_eq!(jobs.len(), 21);
        assert_eq!(jobs[20].ms, PATTERN[0]);
        assert!(jobs.iter().all(|j| !j.crash && j.work == Work::Spin));
        assert!(PATTERN.iter().max() > PATTERN.iter().min());
        assert!(plan(0, 20, Work::Sleep, None).is_empty());
    }

    #[test]
    fn a_task_reports_its_process_and_time() {
        let job = plan(4, 1, Work::Spin, None)[3];
        let ran = run_job(job);
        assert_eq!(ran.index, 3);
        assert_eq!(ran.pid, std::process::id());
        assert!(ran.took >= Duration::from_millis(job.ms));
    }
}
