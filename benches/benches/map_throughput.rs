//! `map` of `square` over 10³ … 10⁶ integers, every approach on the same input.
//!
//! - `sequential`: an iterator on this thread; the baseline.
//! - `thread::scope`: one contiguous chunk per core, each on a scoped thread.
//! - `rayon`: `par_iter` on a rayon pool with one thread per core.
//! - `ThreadPool::map`: `common::ThreadPool` of 4 threads (the process pool's call shape).
//! - `Pool::map (chunks of 1)`: one message per item, as `imap` does by default. Only up to
//!   10⁴ items (`CHUNK1_MAX`): 10⁵ already takes seconds per iteration.
//! - `Pool::map (default chunks)`: Python's default chunk size, `len / (4 × workers)`.
//! - `Pool::map (one chunk per worker)`: the largest useful chunks.
//!
//! The process pools have 4 workers, as in the assignment's `Pool(processes=4)`. Squaring is
//! nearly free, so this measures what each approach costs per item.

use benches::tasks::SQUARE;
use benches::work::{self, CHUNK1_MAX, MAP_SIZES, POOL_WORKERS};
use common::{Pool, ThreadPool};
use criterion::{AxisScale, BenchmarkId, Criterion, PlotConfiguration, Throughput};

fn main() {
    // A worker is this binary started again: serve it before criterion reads the arguments.
    benches::init();
    let mut c = Criterion::default().configure_from_args();
    map_throughput(&mut c);
    c.final_summary();
}

fn map_throughput(c: &mut Criterion) {
    let cores = work::cores();
    let pool = Pool::new(POOL_WORKERS).expect("workers start");
    let threads = ThreadPool::new(POOL_WORKERS).expect("threads start");
    let rayon = work::rayon_pool(cores);
    // In test mode (cargo test) every benchmark runs once; the small sizes show it works.
    let sizes: &[u64] = if benches::criterion_test_mode() {
        &MAP_SIZES[..2]
    } else {
        &MAP_SIZES
    };

    let mut group = c.benchmark_group("map_throughput");
    group.plot_config(PlotConfiguration::default().summary_scale(AxisScale::Logarithmic));
    for &n in sizes {
        let items = work::squares_input(n);
        let expected = work::map_sequential(&SQUARE, &items);
        let check = |got: Vec<u64>| assert!(got == expected, "wrong squares");
        group.throughput(Throughput::Elements(n));
        group.bench_with_input(BenchmarkId::new("sequential", n), &items, |b, items| {
            b.iter(|| work::map_sequential(&SQUARE, items))
        });
        check(work::map_scoped(&SQUARE, &items, cores));
        group.bench_with_input(BenchmarkId::new("thread::scope", n), &items, |b, items| {
            b.iter(|| work::map_scoped(&SQUARE, items, cores))
        });
        check(work::map_rayon(&rayon, &SQUARE, &items));
        group.bench_with_input(BenchmarkId::new("rayon", n), &items, |b, items| {
            b.iter(|| work::map_rayon(&rayon, &SQUARE, items))
        });
        check(work::map_thread_pool(&threads, &SQUARE, &items));
        group.bench_with_input(
            BenchmarkId::new("ThreadPool::map", n),
            &items,
            |b, items| b.iter(|| work::map_thread_pool(&threads, &SQUARE, items)),
        );
        if n <= CHUNK1_MAX {
            group.bench_with_input(
                BenchmarkId::new("Pool::map (chunks of 1)", n),
                &items,
                |b, items| b.iter(|| work::map_pool(&pool, &SQUARE, items, Some(1))),
            );
        }
        check(work::map_pool(&pool, &SQUARE, &items, None));
        group.bench_with_input(
            BenchmarkId::new("Pool::map (default chunks)", n),
            &items,
            |b, items| b.iter(|| work::map_pool(&pool, &SQUARE, items, None)),
        );
        let one_chunk_each = (n as usize).div_ceil(POOL_WORKERS);
        group.bench_with_input(
            BenchmarkId::new("Pool::map (one chunk per worker)", n),
            &items,
            |b, items| b.iter(|| work::map_pool(&pool, &SQUARE, items, Some(one_chunk_each))),
        );
    }
    group.finish();
}
