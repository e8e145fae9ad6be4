//! A large value through `apply` and back: how fast do bytes move between processes?
//!
//! ```sh
//! cargo run --release -p common --example payload_echo
//! ```

use std::time::{Duration, Instant};

use common::{Pool, Task, task};
use serde_bytes::ByteBuf;

fn echo(bytes: ByteBuf) -> ByteBuf {
    bytes
}
const ECHO: Task<ByteBuf, ByteBuf> = task!(echo);

fn main() -> common::Result<()> {
    common::init(&[&ECHO]);
    let pool = Pool::new(1)?;
    let payload = ByteBuf::from((0..64 << 20).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..10 {
        let copy = payload.clone();
        let start = Instant::now();
        let back = pool.apply(&ECHO, copy)?;
        times.push(start.elapsed());
        assert_eq!(back.len(), payload.len());
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "echo of 64 MiB through Pool(1).apply, 10 runs: median {median:?} ({:.0} MB/s), fastest {:?}",
        (64 << 20) as f64 / median.as_secs_f64() / 1e6,
        times[0]
    );
    Ok(())
}
