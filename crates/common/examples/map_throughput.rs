//! `map` of a tiny task over a million integers, with the default chunk size: how fast can the
//! pool move small items through worker processes?
//!
//! ```sh
//! cargo run --release -p common --example map_throughput
//! ```

use std::time::Instant;

use common::{Pool, Task, task};

fn square(x: u64) -> u64 {
    x * x
}
const SQUARE: Task<u64, u64> = task!(square);

fn main() -> common::Result<()> {
    common::init(&[&SQUARE]);
    let pool = Pool::new(4)?;
    pool.map(&SQUARE, 0..1000)?; // warm up
    let mut times = Vec::new();
    for _ in 0..15 {
        let start = Instant::now();
        let squares = pool.map(&SQUARE, 0..1_000_000)?;
        times.push(start.elapsed());
        assert_eq!(squares[999_999], 999_999 * 999_999);
    }
    times.sort();
    println!(
        "Pool(4).map of square over 10^6 integers, 15 runs: median {:?}, fastest {:?}",
        times[times.len() / 2],
        times[0]
    );
    Ok(())
}
