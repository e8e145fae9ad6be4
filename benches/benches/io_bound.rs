//! Waiting, not computing: 3 and 12 downloads from a local server that answers each request
//! after 50 ms (question 3's server and download task; see `benches::io`).
//!
//! - `sequential`: one after the other: N × 50 ms.
//! - `thread per URL`: N threads wait at the same time: about 50 ms, whatever N.
//! - `process per URL`: question 3's answer, one `common::Process` each: about 50 ms plus the
//!   cost of starting N processes.
//! - `Pool(4)`: a warm pool of 4 worker processes: N / 4 rounds of 50 ms.
//!
//! Throughput is in downloads per second.

use std::time::Duration;

use benches::io::{self, Site};
use benches::work::POOL_WORKERS;
use common::Pool;
use criterion::{BenchmarkId, Criterion, Throughput};

const LATENCY: Duration = Duration::from_millis(50);

fn main() {
    // A worker is this binary started again: serve it before criterion reads the arguments.
    benches::init();
    let mut c = Criterion::default().configure_from_args();
    io_bound(&mut c);
    c.final_summary();
}

fn io_bound(c: &mut Criterion) {
    let site = Site::start(LATENCY, 12).expect("the local server starts");
    let pool = Pool::new(POOL_WORKERS).expect("workers start");
    let mut group = c.benchmark_group("io_bound");
    // Every iteration waits at least 50 ms: ten samples are plenty to see the shape.
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    for count in [3, 12] {
        let jobs = site.jobs(count);
        group.throughput(Throughput::Elements(count as u64));
        group.bench_with_input(BenchmarkId::new("sequential", count), &jobs, |b, jobs| {
            b.iter(|| io::sequential(jobs))
        });
        group.bench_with_input(
            BenchmarkId::new("thread per URL", count),
            &jobs,
            |b, jobs| b.iter(|| io::threads(jobs)),
        );
        group.bench_with_input(
            BenchmarkId::new("process per URL", count),
            &jobs,
            |b, jobs| b.iter(|| io::processes(jobs)),
        );
        group.bench_with_input(
            BenchmarkId::new(format!("Pool({POOL_WORKERS})"), count),
            &jobs,
            |b, jobs| b.iter(|| io::pool(&pool, jobs)),
        );
    }
    group.finish();
}
