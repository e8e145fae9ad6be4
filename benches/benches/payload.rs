//! Bytes through the process pool: a payload of 1 KiB … 64 MiB sent to a worker as the
//! argument and sent back as the result, in one `pool.apply`.
//!
//! - `Pool::apply (serde_bytes)`: the payload is a `serde_bytes::ByteBuf`, encoded as one
//!   length and the bytes, so each way costs about one copy.
//! - `Pool::apply (Vec<u8>)`: a plain `Vec<u8>`, which serde encodes element by element.
//! - `unix socket echo`: the same bytes through a socket to a child that echoes them: the floor
//!   (no encoding, no frames).
//!
//! The parameter is the payload's size in bytes. Throughput counts the payload once, though
//! it crosses twice (there and back).

use std::time::Duration;

use benches::child::Echo;
use benches::tasks::{ECHO, ECHO_VEC};
use benches::work::{self, PAYLOAD_SIZES};
use common::Pool;
use criterion::{AxisScale, BatchSize, BenchmarkId, Criterion, PlotConfiguration, Throughput};

fn main() {
    // A worker is this binary started again: serve it before criterion reads the arguments.
    benches::init();
    let mut c = Criterion::default().configure_from_args();
    payload(&mut c);
    c.final_summary();
}

fn payload(c: &mut Criterion) {
    let pool = Pool::new(1).expect("a worker starts");
    let mut echo = Echo::socket().expect("this binary starts");
    let mut group = c.benchmark_group("payload");
    group
        .plot_config(PlotConfiguration::default().summary_scale(AxisScale::Logarithmic))
        .sample_size(20)
        .measurement_time(Duration::from_secs(3));
    // In test mode (cargo test, unoptimized) every benchmark runs once; small sizes show it works.
    let sizes: &[usize] = if benches::criterion_test_mode() {
        &PAYLOAD_SIZES[..2]
    } else {
        &PAYLOAD_SIZES
    };
    for &size in sizes {
        let bytes = work::payload(size);
        group.throughput(Throughput::Bytes(size as u64));
        assert!(
            pool.apply(&ECHO, bytes.clone())
                .expect("the worker answers")
                == bytes
        );
        group.bench_with_input(
            BenchmarkId::new("Pool::apply (serde_bytes)", size),
            &bytes,
            |b, bytes| {
                b.iter_batched(
                    || bytes.clone(),
                    |bytes| pool.apply(&ECHO, bytes).expect("the worker answers"),
                    BatchSize::LargeInput,
                )
            },
        );
        let vec = bytes.to_vec();
        group.bench_with_input(
            BenchmarkId::new("Pool::apply (Vec<u8>)", size),
            &vec,
            |b, vec| {
                b.iter_batched(
                    || vec.clone(),
                    |vec| pool.apply(&ECHO_VEC, vec).expect("the worker answers"),
                    BatchSize::LargeInput,
                )
            },
        );
        let mut reply = vec![0u8; size];
        group.bench_with_input(
            BenchmarkId::new("unix socket echo", size),
            &bytes,
            |b, bytes| {
                b.iter(|| {
                    echo.round_trip(bytes, &mut reply)
                        .expect("the child echoes")
                })
            },
        );
    }
    group.finish();
}
