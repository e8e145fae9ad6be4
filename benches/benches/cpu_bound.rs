//! CPU-bound work on 1 ..= N workers (N = the cores this process may use): the speedup curves.
//!
//! Two workloads, each run by every approach on the same input:
//!
//! - `gamma`: q5's task (`q5_pool::GAMMA`, CPython's `math.gamma` ported) over 100 000 values.
//!   One call is well under a microsecond, so the process pool's per-item cost shows.
//! - `coarse`: 24 tasks of a few milliseconds each (`xorshift`, a chain of multiplications nothing
//!   can skip). Here every approach should approach N× with N workers.
//!
//! Approaches: `sequential` (once, at 1), `thread::scope` (one contiguous chunk per thread),
//! `rayon` (a rayon pool of that many threads) and `Pool::map` (that many worker processes,
//! default chunks). Throughput is in items per second: divide by `sequential`'s for the
//! speedup; the side-by-side runner prints it.

use std::time::Duration;

use benches::tasks::XORSHIFT;
use benches::work::{self, COARSE_STEPS, COARSE_TASKS, GAMMA_VALUES};
use common::{Pool, Task};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput};
use serde::Serialize;
use serde::de::DeserializeOwned;

fn main() {
    // A worker is this binary started again: serve it before criterion reads the arguments.
    benches::init();
    let mut c = Criterion::default().configure_from_args();
    let test_mode = benches::criterion_test_mode();
    let max_workers = if test_mode { 1 } else { work::cores() };

    // In test mode (cargo test, unoptimized) every benchmark runs once: small inputs suffice.
    let values = work::gamma_input(if test_mode { 1_000 } else { GAMMA_VALUES });
    let mut group = c.benchmark_group("cpu_bound/gamma");
    curves(&mut group, &q5_pool::GAMMA, &values, max_workers);
    group.finish();

    let steps = if test_mode { 1_000 } else { COARSE_STEPS };
    let tasks = work::coarse_input(COARSE_TASKS, steps);
    let mut group = c.benchmark_group("cpu_bound/coarse");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4));
    curves(&mut group, &XORSHIFT, &tasks, max_workers);
    group.finish();

    c.final_summary();
}

/// Benchmarks every approach on `items` at 1 ..= `max_workers` workers.
fn curves<A, R>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    task: &Task<A, R>,
    items: &[A],
    max_workers: usize,
) where
    A: Copy + Send + Sync + Serialize,
    R: Send + 'static + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    group.throughput(Throughput::Elements(items.len() as u64));
    let expected = work::map_sequential(task, items);
    group.bench_function(BenchmarkId::new("sequential", 1), |b| {
        b.iter(|| work::map_sequential(task, items))
    });
    for workers in 1..=max_workers {
        assert_eq!(work::map_scoped(task, items, workers), expected);
        group.bench_function(BenchmarkId::new("thread::scope", workers), |b| {
            b.iter(|| work::map_scoped(task, items, workers))
        });
        let rayon = work::rayon_pool(workers);
        assert_eq!(work::map_rayon(&rayon, task, items), expected);
        group.bench_function(BenchmarkId::new("rayon", workers), |b| {
            b.iter(|| work::map_rayon(&rayon, task, items))
        });
        let pool = Pool::new(workers).expect("workers start");
        assert_eq!(work::map_pool(&pool, task, items, None), expected);
        group.bench_function(BenchmarkId::new("Pool::map", workers), |b| {
            b.iter(|| work::map_pool(&pool, task, items, None))
        });
    }
}
