//! Sharing: four workers add 1 to one counter, `n` times each.
//!
//! Python's threads can do `counter += 1` on a shared integer, and lose updates: two threads
//! read the same value and both write it back plus one. The same Rust program does not compile
//! (`compile_fail/racy_counter.rs`): a plain integer cannot be changed by two threads at once.
//! What compiles are the fixes, each timed here: a `Mutex`, an atomic, a sum per thread added
//! up at the end, and a channel to the one thread that owns the counter.
//!
//! Processes share no memory by default: four children that each add to a `static` change
//! their own copies, and the parent's stays 0. To share, map memory on purpose and put an
//! atomic in it ([`common::SharedAtomic`]), or a value behind a lock shared by the processes
//! ([`common::Value`], Python's `multiprocessing.Value`).

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use common::{Process, SharedAtomic, Task, Value, task};
use serde::Serialize;
use serde::de::DeserializeOwned;
use support::outln;
use support::units::seconds;

use crate::machine::Machine;
use crate::table::{Align, Table};
use crate::{Error, Outcome};

/// How many workers add to the counter, threads or processes.
pub const WORKERS: usize = 4;

/// What one way of counting found: the parent's count at the end, and how long the slowest
/// worker took to do its additions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub total: u64,
    pub slowest: Duration,
}

// ANCHOR: mutex_atomic
fn with_mutex(n: u64) -> Result<Counted, Error> {
    let counter = Mutex::new(0u64);
    let (_, slowest) = on_four_threads(|| {
        for _ in 0..n {
            *counter.lock().unwrap() += 1; // one thread at a time
        }
    })?;
    let total = counter.into_inner().unwrap();
    Ok(Counted { total, slowest })
}

fn with_atomic(n: u64) -> Result<Counted, Error> {
    let counter = AtomicU64::new(0);
    let (_, slowest) = on_four_threads(|| {
        for _ in 0..n {
            counter.fetch_add(1, Ordering::Relaxed); // read, add, write: one step
        }
    })?;
    let total = counter.into_inner();
    Ok(Counted { total, slowest })
}
// ANCHOR_END: mutex_atomic

// ANCHOR: sums_channel
fn with_sums(n: u64) -> Result<Counted, Error> {
    let (sums, slowest) = on_four_threads(|| {
        let mut mine = 0u64; // nothing shared while counting
        for _ in 0..n {
            mine += black_box(1); // so that a release build still adds n times
        }
        mine
    })?;
    let total = sums.iter().sum();
    Ok(Counted { total, slowest })
}

fn with_channel(n: u64) -> Result<Counted, Error> {
    let (tx, rx) = mpsc::channel::<u64>();
    // One thread owns the counter; the four others send it their +1s.
    let owner = thread::Builder::new()
        .spawn(move || rx.iter().sum::<u64>())
        .map_err(Error::thread)?;
    let (_, slowest) = on_four_threads(|| {
        for _ in 0..n {
            tx.send(1)
                .expect("the owner lives until every sender is gone");
        }
    })?;
    drop(tx); // the last sender: the owner's loop ends
    let total = owner.join().expect("a sum does not panic");
    Ok(Counted { total, slowest })
}
// ANCHOR_END: sums_channel

/// Runs `work` on [`WORKERS`] threads at once. They are scoped threads, so `work` may borrow
/// the caller's counter; all are joined before this returns. Returns what each returned, and
/// the longest one of them took.
fn on_four_threads<R: Send>(work: impl Fn() -> R + Sync) -> Result<(Vec<R>, Duration), Error> {
    let work = &work;
    thread::scope(|s| {
        let mut workers = Vec::with_capacity(WORKERS);
        for _ in 0..WORKERS {
            // `Builder` returns the error where `thread::spawn` would panic.
            let worker = thread::Builder::new().spawn_scoped(s, move || {
                let start = Instant::now();
                (work(), start.elapsed())
            });
            workers.push(worker.map_err(Error::thread)?);
        }
        let done: Vec<(R, Duration)> = workers
            .into_iter()
            .map(|w| w.join().expect("the counting loops do not panic"))
            .collect();
        let slowest = done.iter().map(|(_, took)| *took).max().unwrap_or_default();
        Ok((done.into_iter().map(|(r, _)| r).collect(), slowest))
    })
}

// ANCHOR: processes
/// A global counter: every process has its own.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// In each child: adds 1 to its own `COUNTER` `n` times; returns what it counted.
fn count_own_static(n: u64) -> (u64, Duration) {
    let start = Instant::now();
    for _ in 0..n {
        COUNTER.fetch_add(1, Ordering::Relaxed);
    }
    (COUNTER.load(Ordering::Relaxed), start.elapsed())
}

/// In each child: adds 1 `n` times to an atomic in memory shared with the parent.
fn count_shared_atomic((counter, n): (SharedAtomic<AtomicU64>, u64)) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        counter.fetch_add(1, Ordering::Relaxed); // the same instruction as between threads
    }
    start.elapsed()
}

// ANCHOR_END: processes

/// In each child: adds 1 `n` times to a shared value, under the lock every process shares.
fn count_under_lock((value, n): (Value<u64>, u64)) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        // Python: `with v.get_lock(): v.value += 1`. A holder that dies poisons the lock; the
        // count is still a number, so carry on.
        *value.lock().unwrap_or_else(PoisonError::into_inner) += 1;
    }
    start.elapsed()
}

pub const COUNT_OWN_STATIC: Task<u64, (u64, Duration)> = task!(count_own_static);
pub const COUNT_SHARED_ATOMIC: Task<(SharedAtomic<AtomicU64>, u64), Duration> =
    task!(count_shared_atomic);
pub const COUNT_UNDER_LOCK: Task<(Value<u64>, u64), Duration> = task!(count_under_lock);

/// Starts [`WORKERS`] child processes running `task(arg)` at once, then joins them all.
fn on_four_processes<A, R>(task: &Task<A, R>, arg: A) -> Result<Vec<R>, Error>
where
    A: Serialize + Clone,
    R: DeserializeOwned + Send + 'static,
{
    let children: Vec<Process<R>> = (0..WORKERS)
        .map(|_| Process::start(task, arg.clone()))
        .collect::<Result<_, _>>()?;
    children
        .into_iter()
        .map(|child| child.join().map_err(Error::from))
        .collect()
}

fn with_own_statics(n: u64) -> Result<(Counted, u64), Error> {
    COUNTER.store(0, Ordering::Relaxed);
    let counted = on_four_processes(&COUNT_OWN_STATIC, n)?;
    let slowest = counted
        .iter()
        .map(|(_, took)| *took)
        .max()
        .unwrap_or_default();
    let in_each_child = counted.iter().map(|(count, _)| *count).min().unwrap_or(0);
    let total = COUNTER.load(Ordering::Relaxed); // the parent's own copy: untouched
    Ok((Counted { total, slowest }, in_each_child))
}

// ANCHOR: shared_processes
fn with_shared_atomic(n: u64) -> Result<Counted, Error> {
    let counter = SharedAtomic::new(AtomicU64::new(0)).map_err(Error::io("shared memory"))?;
    let times = on_four_processes(&COUNT_SHARED_ATOMIC, (counter.clone(), n))?;
    let total = counter.load(Ordering::Relaxed);
    Ok(Counted {
        total,
        slowest: times.into_iter().max().unwrap_or_default(),
    })
}
// ANCHOR_END: shared_processes

fn with_shared_value(n: u64) -> Result<Counted, Error> {
    let value = common::Value::new(0u64).map_err(Error::io("shared memory"))?;
    let times = on_four_processes(&COUNT_UNDER_LOCK, (value.clone(), n))?;
    let total = value.get();
    Ok(Counted {
        total,
        slowest: times.into_iter().max().unwrap_or_default(),
    })
}

/// One row of the table: who counted, with what, what came of it, and how long it took.
struct Row {
    workers: &'static str,
    counter: &'static str,
    counted: Counted,
    wall: Duration,
    /// The parent's count this row must end with.
    expected: u64,
}

/// Times `count` as a whole (the wall time: starting the workers included).
fn timed<T>(count: impl FnOnce() -> Result<T, Error>) -> Result<(T, Duration), Error> {
    let start = Instant::now();
    let value = count()?;
    Ok((value, start.elapsed()))
}

/// Runs every way of counting, prints the table and its reading.
pub fn run(n: u64, machine: &Machine) -> Result<Outcome, Error> {
    let all = n * WORKERS as u64;
    outln!(
        "Sharing: {WORKERS} workers each add 1 to one counter, {n} times: {all} in all. The same \
         code on a plain integer does not compile in Rust (Python's threads run it, and can \
         lose updates)."
    )?;
    outln!()?;
    let mut rows = Vec::new();
    type Count = fn(u64) -> Result<Counted, Error>;
    let threads: [(&str, Count); 4] = [
        ("Mutex<u64>, locked for each +1", with_mutex),
        ("AtomicU64, fetch_add", with_atomic),
        ("a sum per thread, added up at join", with_sums),
        ("a channel to the one thread that owns it", with_channel),
    ];
    for (counter, count) in threads {
        let (counted, wall) = timed(|| count(n))?;
        rows.push(Row {
            workers: "4 threads",
            counter,
            counted,
            wall,
            expected: all,
        });
    }
    let ((statics, in_each_child), wall) = timed(|| with_own_statics(n))?;
    rows.push(Row {
        workers: "4 processes",
        counter: "a static AtomicU64: each child its own copy",
        counted: statics,
        wall,
        expected: 0,
    });
    let (counted, wall) = timed(|| with_shared_atomic(n))?;
    rows.push(Row {
        workers: "4 processes",
        counter: "SharedAtomic<AtomicU64>: shared memory",
        counted,
        wall,
        expected: all,
    });
    let (counted, wall) = timed(|| with_shared_value(n))?;
    rows.push(Row {
        workers: "4 processes",
        counter: "Value<u64>: shared memory and a robust lock",
        counted,
        wall,
        expected: all,
    });

    let mut table = Table::new(&[
        ("workers", Align::Left),
        ("the counter", Align::Left),
        ("parent reads", Align::Right),
        ("per +1", Align::Right),
        ("slowest worker", Align::Right),
        ("wall time", Align::Right),
    ]);
    let mut outcome = Outcome::default();
    for row in &rows {
        table.row([
            row.workers.to_owned(),
            row.counter.to_owned(),
            row.counted.total.to_string(),
            seconds(per_increment(row.counted.slowest, n)),
            seconds(row.counted.slowest.as_secs_f64()),
            seconds(row.wall.as_secs_f64()),
        ]);
        if row.counted.total != row.expected {
            outcome.unexpected.push(format!(
                "sharing: {} with {}: the parent read {}, expected {}",
                row.workers, row.counter, row.counted.total, row.expected
            ));
        }
    }
    if in_each_child != n {
        outcome.unexpected.push(format!(
            "sharing: a child's own static counted {in_each_child}, expected {n}"
        ));
    }
    support::out!("{table}")?;
    outln!()?;
    let per = |i: usize| seconds(per_increment(rows[i].counted.slowest, n));
    outln!(
        "Reading: every fix counted all {all}; per +1 the atomic took {}, the Mutex {}, the \
         channel {} and a sum per thread {}. Child processes each counted {in_each_child} in \
         their own static and the parent's stayed {}; an atomic in shared memory counted all \
         {} across processes at {} per +1 (the thread atomic: {}), and the wall time, {}, \
         includes starting {WORKERS} processes.",
        per(1),
        per(0),
        per(3),
        per(2),
        rows[4].counted.total,
        rows[5].counted.total,
        per(5),
        per(1),
        seconds(rows[5].wall.as_secs_f64()),
    )?;
    if let Some(caution) = machine.load_caution() {
        outln!("{caution}")?;
    }
    if let Some(build) = machine.build_note() {
        outln!("{build}")?;
    }
    Ok(outcome)
}

/// Seconds per increment of a worker that did `n` of them in `took`.
fn per_increment(took: Duration, n: u64) -> f64 {
    took.as_secs_f64() / n.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_thread_fix_counts_everything() {
        for count in [with_mutex, with_atomic, with_sums, with_channel] {
            assert_eq!(count(1000).unwrap().total, 4000);
        }
    }

    #[test]
    fn a_workers_own_count_is_its_own() {
        let (count, _) = count_own_static(5);
        assert!(count >= 5);
    }
}
