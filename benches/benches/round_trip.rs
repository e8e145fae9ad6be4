//! One message there and one back, on something already running.
//!
//! - `apply (pool of N)`: `pool.apply(&SQUARE, x)` on a warm pool: encode, queue, a
//!   supervisor thread writes to the worker's socket, the worker runs the task and answers.
//! - `channel between threads`: a number sent to another thread over `std::sync::mpsc` and sent
//!   back over another channel.
//! - `pipe between processes` / `unix socket between processes`: 8 bytes written to a child
//!   (this binary again) that echoes them, and read back: the floor under `apply`, with no
//!   encoding, no queue and no helper thread.

use std::hint::black_box;

use benches::child::Echo;
use benches::tasks::SQUARE;
use benches::work::ThreadEcho;
use common::Pool;
use criterion::{Criterion, Throughput};

fn main() {
    // A worker is this binary started again: serve it before criterion reads the arguments.
    benches::init();
    let mut c = Criterion::default().configure_from_args();
    round_trip(&mut c);
    c.final_summary();
}

fn round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("round_trip");
    group.throughput(Throughput::Elements(1));
    for workers in [1, benches::work::POOL_WORKERS] {
        let pool = Pool::new(workers).expect("workers start");
        pool.apply(&SQUARE, 1).expect("warm-up");
        group.bench_function(format!("apply (pool of {workers})"), |b| {
            b.iter(|| {
                pool.apply(&SQUARE, black_box(7))
                    .expect("the worker answers")
            })
        });
    }
    let echo = ThreadEcho::new();
    group.bench_function("channel between threads", |b| {
        b.iter(|| echo.round_trip(black_box(7)))
    });
    for (name, echo) in [
        ("pipe between processes", Echo::pipe()),
        ("unix socket between processes", Echo::socket()),
    ] {
        let mut echo = echo.expect("this binary starts");
        let mut reply = [0u8; 8];
        group.bench_function(name, |b| {
            b.iter(|| {
                echo.round_trip(&7u64.to_le_bytes(), &mut reply)
                    .expect("the child echoes");
                u64::from_le_bytes(reply)
            })
        });
    }
    group.finish();
}
