//! Exercise 6.3 (break it): start four children that each take a second, and drop their handles
//! without joining. What happens to the children?
//!
//! `cargo run -p q6_four_processes --example never_joined`

use std::time::{Duration, Instant};

use common::{Process, Registered, Task, task};

// ANCHOR: solution
fn slow_print(number: u32) {
    std::thread::sleep(Duration::from_secs(1));
    println!("child {number} finished"); // never printed: the child is killed first
}
const SLOW_PRINT: Task<u32, ()> = task!(slow_print);
static TASKS: &[&dyn Registered] = &[&SLOW_PRINT];

fn main() -> common::Result<()> {
    common::init(TASKS);
    let start = Instant::now();
    let pids: Vec<u32> = {
        let children = (1..=4)
            .map(|n| Process::start(&SLOW_PRINT, n))
            .collect::<common::Result<Vec<_>>>()?;
        children.iter().map(Process::pid).collect()
        // `children` is dropped here, unjoined: dropping a Process kills and reaps it, so no
        // child outlives its handle (Python instead waits for unjoined children at exit).
    };
    let alive = pids
        .iter()
        .filter(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists())
        .count();
    println!(
        "dropped 4 handles after {} ms; children still alive: {alive}",
        start.elapsed().as_millis()
    );
    Ok(())
}
// ANCHOR_END: solution
