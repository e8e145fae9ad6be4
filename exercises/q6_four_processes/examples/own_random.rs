//! Exercise 6.1 (change it): let each child draw its own random number instead of the parent
//! drawing four different ones. Are they still different?
//!
//! `cargo run -p q6_four_processes --example own_random`

use common::{Process, Registered, Task, task};
use rand::RngExt;

// ANCHOR: solution
/// Runs in a child: a number from the child's own generator, seeded by the operating system.
fn draw(_: ()) -> (u32, u8) {
    (std::process::id(), rand::rng().random_range(1..=100))
}
const DRAW: Task<(), (u32, u8)> = task!(draw);
static TASKS: &[&dyn Registered] = &[&DRAW];

fn main() -> common::Result<()> {
    common::init(TASKS);
    let children = (0..4)
        .map(|_| Process::start(&DRAW, ()))
        .collect::<common::Result<Vec<_>>>()?;
    let mut numbers = Vec::new();
    for (i, child) in children.into_iter().enumerate() {
        let (pid, number) = child.join()?;
        println!("process {i} (pid {pid}) drew {number}");
        numbers.push(number);
    }
    numbers.sort_unstable();
    numbers.dedup();
    // Each child is a new program with a freshly seeded generator, so the draws are
    // independent: 4 draws from 100 repeat a number about 6% of the time.
    println!("{} different numbers out of 4", numbers.len());
    Ok(())
}
// ANCHOR_END: solution
