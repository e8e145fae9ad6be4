//! Exercise 2.2 (extend it): measure what it costs to start a pool and get one result back, for
//! a `Pool` of one worker process and a `ThreadPool` of one thread.
//!
//! `cargo run -p q2_processes_vs_threads --example pool_cost`

use std::time::{Duration, Instant};

use common::{Pool, ThreadPool};
use q2_processes_vs_threads::{PLUS_ONE, TASKS};

// ANCHOR: solution
/// The median of `runs` timings of `f`.
fn median(runs: usize, mut f: impl FnMut() -> common::Result<()>) -> common::Result<Duration> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        f()?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok(times[runs / 2])
}

fn main() -> common::Result<()> {
    common::init(TASKS);
    let process = median(9, || {
        let pool = Pool::new(1)?;
        assert_eq!(pool.apply(&PLUS_ONE, 41)?, 42);
        pool.join(); // the worker's exit is part of the cost
        Ok(())
    })?;
    let thread = median(9, || {
        assert_eq!(ThreadPool::new(1)?.map(&PLUS_ONE, [41])?, [42]);
        Ok(())
    })?;
    println!("Pool::new(1) + apply + join, median of 9: {process:?}");
    println!("ThreadPool::new(1) + map, median of 9:     {thread:?}");
    Ok(())
}
// ANCHOR_END: solution
