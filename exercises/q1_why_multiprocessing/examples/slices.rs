//! Two Rust threads run the same CPU-bound loop as `docs/src/q1_why_multiprocessing/gil.py`,
//! in small slices, and print when each ran, in the same format.
//!
//! ```text
//! cargo run -p q1_why_multiprocessing --example slices
//! ```
//!
//! A slice that took more than 3 times as long as a slice alone, or a gap before it, means the
//! thread waited somewhere inside it (here for a core: Rust has no GIL). Runs of back-to-back
//! slices that did not wait are printed as `run THREAD NATIVE_ID START_US END_US SLICES`. On a
//! machine with two free cores both threads compute at once, so their runs lie side by side; the
//! book draws both programs' runs in one picture.

use std::hint::black_box;
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

const THREADS: usize = 2;
const SLICES: usize = 600;
const SLICE: Duration = Duration::from_micros(100);

/// The same arithmetic as `work` in gil.py.
fn work(n: u64) -> u64 {
    let mut total = 0u64;
    for i in 0..n {
        total = (total + black_box(i) * i) % 1_000_003;
    }
    total
}

fn timed(n: u64) -> Duration {
    let start = Instant::now();
    black_box(work(n));
    start.elapsed()
}

/// Iterations of `work` that take about `slice` alone, and how long they take.
fn calibrate(slice: Duration) -> (u64, Duration) {
    let n = 100_000;
    work(n); // warm up
    let best = (0..5).map(|_| timed(n)).min().expect("five runs");
    let n = ((n as f64 * slice.as_secs_f64() / best.as_secs_f64().max(1e-9)) as u64).max(1);
    (n, (0..5).map(|_| timed(n)).min().expect("five runs"))
}

/// One run of back-to-back slices during which the thread never waited.
struct Run {
    number: usize,
    tid: u32,
    start: Instant,
    end: Instant,
    slices: usize,
}

// ANCHOR: runs_of
/// Times `SLICES` slices on this thread; returns its runs.
fn runs_of(number: usize, n: u64, alone: Duration) -> Vec<Run> {
    let tid = common::Trace::thread_id();
    let mut runs = Vec::new();
    let mut current: Option<Run> = None;
    for _ in 0..SLICES {
        let start = Instant::now();
        black_box(work(n));
        let end = Instant::now();
        let stretched = end - start > 3 * alone;
        let gap = current.as_ref().is_some_and(|r| start - r.end > alone);
        if stretched || gap {
            runs.extend(current.take());
        }
        if stretched {
            continue;
        }
        let run = current.get_or_insert(Run {
            number,
            tid,
            start,
            end,
            slices: 0,
        });
        run.end = end;
        run.slices += 1;
    }
    runs.extend(current);
    runs
}
// ANCHOR_END: runs_of

fn main() {
    let (n, alone) = calibrate(SLICE);
    let runs = Mutex::new(Vec::new());
    let ready = Barrier::new(THREADS + 1);
    let mut origin = Instant::now();
    std::thread::scope(|scope| {
        for number in 0..THREADS {
            let (runs, ready) = (&runs, &ready);
            scope.spawn(move || {
                ready.wait();
                let mine = runs_of(number, n, alone);
                runs.lock().expect("no thread panics").extend(mine);
            });
        }
        ready.wait();
        origin = Instant::now();
    });
    let wall = origin.elapsed();
    let mut runs = runs.into_inner().expect("no thread panicked");
    runs.sort_by_key(|r| r.start);
    let micros = |t: Instant| t.saturating_duration_since(origin).as_micros();
    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "Rust ({build} build): {THREADS} threads, {SLICES} slices each of {n} iterations \
         ({} µs alone); wall time {} ms",
        alone.as_micros(),
        wall.as_millis()
    );
    println!("run thread native_id start_us end_us slices");
    for run in runs {
        println!(
            "run {} {} {} {} {}",
            run.number,
            run.tid,
            micros(run.start),
            micros(run.end),
            run.slices
        );
    }
}
