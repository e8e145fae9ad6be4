//! The time of one `apply` on a warm pool: send a small task, get its result back.
//!
//! ```sh
//! cargo run --release -p common --example round_trip
//! ```

use std::time::Instant;

use common::{Pool, Task, task};

fn add_one(x: u64) -> u64 {
    x + 1
}
const ADD_ONE: Task<u64, u64> = task!(add_one);

fn main() -> common::Result<()> {
    common::init(&[&ADD_ONE]);
    let pool = Pool::new(1)?;
    for x in 0..1000 {
        assert_eq!(pool.apply(&ADD_ONE, x)?, x + 1); // warm up
    }
    let rounds = 20_000;
    let mut times = Vec::with_capacity(rounds);
    for x in 0..rounds as u64 {
        let start = Instant::now();
        assert_eq!(pool.apply(&ADD_ONE, x)?, x + 1);
        times.push(start.elapsed());
    }
    times.sort();
    println!(
        "warm apply round trip over {rounds} calls: median {:?}, p90 {:?}, min {:?}",
        times[rounds / 2],
        times[rounds * 9 / 10],
        times[0]
    );
    Ok(())
}
