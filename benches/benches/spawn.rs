//! What it costs to start something and wait for it to end.
//!
//! - `thread`: `std::thread::spawn` of an empty closure, then `join`.
//! - `process/forkserver`, `process/spawn`: `common::Process` of a task that does nothing,
//!   started by each start method, then `join`: a new process (forked from the fork server, or
//!   this binary started again), the handshake, the task, its exit, and reaping it.
//! - `bare fork`: this process forked, the copy exiting at once, and reaped: the floor under a
//!   forked worker.
//! - `bare re-exec`: this binary started again by `std::process::Command` in a mode that exits
//!   at once, and reaped: the floor under `process` (no pool, no handshake).
//! - `/bin/true`: a small C program started and reaped: what any new program costs here.

use criterion::{Criterion, Throughput};

fn main() {
    // A worker is this binary started again: serve it before criterion reads the arguments.
    benches::init();
    let mut c = Criterion::default().configure_from_args();
    spawn(&mut c);
    c.final_summary();
}

fn spawn(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn");
    group.throughput(Throughput::Elements(1));
    group.bench_function("thread", |b| b.iter(benches::work::thread_start_join));
    for method in benches::work::START_METHODS {
        group.bench_function(format!("process/{method}"), |b| {
            b.iter(|| benches::work::process_start_join(method).expect("a process starts"))
        });
    }
    group.bench_function("bare fork", |b| {
        b.iter(|| benches::work::bare_fork().expect("this process forks"))
    });
    group.bench_function("bare re-exec", |b| {
        b.iter(|| benches::child::reexec().expect("this binary starts"))
    });
    group.bench_function("/bin/true", |b| {
        b.iter(|| benches::child::spawn_true().expect("/bin/true runs"))
    });
    group.finish();
}
