//! Exercise 4.3 (break it): one task never ends. Give the call a time limit and see what
//! `imap` reports for it, and whether the pool goes on.
//!
//! `cargo run -p q4_pool_explained --example stuck_task`

use std::time::Duration;

use common::{Pool, Registered, Task, task};

// ANCHOR: solution
/// Returns `n` at once, except that 3 never returns.
fn stuck_on_three(n: u32) -> u32 {
    if n == 3 {
        loop {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    n
}
const STUCK_ON_THREE: Task<u32, u32> = task!(stuck_on_three);
static TASKS: &[&dyn Registered] = &[&STUCK_ON_THREE];

fn main() -> common::Result<()> {
    common::init(TASKS);
    let pool = Pool::new(2)?;
    let results = pool
        .task_timeout(Duration::from_millis(200))
        .imap(&STUCK_ON_THREE, 0..6);
    for (n, result) in results.enumerate() {
        match result {
            Ok(v) => println!("task {n}: {v}"),
            Err(e) => println!("task {n}: {e}"),
        }
    }
    // The stuck worker was killed and replaced: the pool still has its 2 workers.
    println!("afterwards: {:?}", pool.map(&STUCK_ON_THREE, [7, 8])?);
    Ok(())
}
// ANCHOR_END: solution
