//! Exercise 4.1 (change it): hand the same uneven tasks to `imap` and to `imap_unordered`, and
//! print the order the results arrive in.
//!
//! `cargo run -p q4_pool_explained --example unordered`

use std::time::Duration;

use common::{Pool, Registered, Task, task};

// ANCHOR: solution
/// Sleeps `ms` milliseconds, then returns them.
fn nap(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}
const NAP: Task<u64, u64> = task!(nap);
static TASKS: &[&dyn Registered] = &[&NAP];

fn main() -> common::Result<()> {
    common::init(TASKS);
    let pool = Pool::new(3)?;
    let naps = [300, 10, 200, 20, 100];
    let ordered: Vec<u64> = pool.imap(&NAP, naps).collect::<common::Result<_>>()?;
    let unordered: Vec<u64> = pool
        .imap_unordered(&NAP, naps)
        .collect::<common::Result<_>>()?;
    println!("imap:           {ordered:?} (input order: a slow task holds back the rest)");
    println!("imap_unordered: {unordered:?} (as they finish)");
    Ok(())
}
// ANCHOR_END: solution
