//! How long after a worker dies does the caller hear about it?
//!
//! Starts a task that sleeps, kills its worker with SIGKILL, and times the gap between the
//! kill and the moment `AsyncResult::get` returns `Error::WorkerDied`, over many rounds.
//!
//! ```sh
//! cargo run --release -p common --example death_latency
//! ```

use std::time::{Duration, Instant};

use common::{Error, Pool, Task, task};

fn sleep_ms(ms: u64) -> u32 {
    std::thread::sleep(Duration::from_millis(ms));
    std::process::id()
}
const SLEEP_MS: Task<u64, u32> = task!(sleep_ms);

fn main() -> common::Result<()> {
    common::init(&[&SLEEP_MS]);
    let pool = Pool::new(1)?;
    let rounds = 50;
    let mut gaps = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        // The replacement for the last round's worker may still be starting.
        let pid = loop {
            if let Some(&pid) = pool.pids().first() {
                break pid;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        let handle = pool.apply_async(&SLEEP_MS, 60_000)?;
        std::thread::sleep(Duration::from_millis(20)); // let the task start
        let killed = Instant::now();
        // SAFETY: kill takes plain integers; `pid` is a live worker of our pool.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        match handle.get() {
            Err(Error::WorkerDied { .. }) => gaps.push(killed.elapsed()),
            other => panic!("expected WorkerDied, got {other:?}"),
        }
    }
    gaps.sort();
    let median = gaps[rounds / 2];
    let max = gaps[rounds - 1];
    println!(
        "worker killed → caller's error, over {rounds} rounds: median {median:?}, max {max:?}"
    );
    Ok(())
}
