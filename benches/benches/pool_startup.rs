//! How long `Pool::new(n)` takes, by each start method: it returns when every worker has
//! started and said hello, so this is the time until the pool can take work. Dropping the pool
//! (which kills and reaps the workers) is left out of the measurement. `ThreadPool::new(n)` is
//! beside it for scale.

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};

fn main() {
    // A worker is this binary started again: serve it before criterion reads the arguments.
    benches::init();
    let mut c = Criterion::default().configure_from_args();
    pool_startup(&mut c);
    c.final_summary();
}

fn pool_startup(c: &mut Criterion) {
    let mut group = c.benchmark_group("pool_startup");
    for workers in [1, 2, 4] {
        group.throughput(Throughput::Elements(workers as u64));
        for method in benches::work::START_METHODS {
            let id = BenchmarkId::new(format!("Pool::new/{method}"), workers);
            group.bench_with_input(id, &workers, |b, &n| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let (ready, pool) =
                            benches::work::pool_ready(n, method).expect("workers start");
                        total += ready;
                        drop(pool);
                    }
                    total
                })
            });
        }
        group.bench_with_input(
            BenchmarkId::new("ThreadPool::new", workers),
            &workers,
            |b, &n| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let start = Instant::now();
                        let pool = common::ThreadPool::new(n).expect("threads start");
                        total += start.elapsed();
                        drop(pool);
                    }
                    total
                })
            },
        );
    }
    group.finish();
}
