//! Exercise 6.2 (extend it): each of the four processes returns its number to the parent
//! instead of printing it; the parent prints them in process order, and their sum.
//!
//! `cargo run -p q6_four_processes --example sum_back`

use common::{Process, Registered, Task, task};

// ANCHOR: solution
/// Runs in child `number`: sends back the number it was given, and who it is.
fn give_back(number: u32) -> (u32, u32) {
    (number, std::process::id())
}
const GIVE_BACK: Task<u32, (u32, u32)> = task!(give_back);
static TASKS: &[&dyn Registered] = &[&GIVE_BACK];

fn main() -> common::Result<()> {
    common::init(TASKS);
    let children = (1..=4)
        .map(|n| Process::start(&GIVE_BACK, n))
        .collect::<common::Result<Vec<_>>>()?;
    let mut sum = 0;
    // Joined in the order started, so the lines come in that order, whatever order the
    // children finished in.
    for child in children {
        let (number, pid) = child.join()?;
        println!("process {pid} returned {number}");
        sum += number;
    }
    println!("sum: {sum}");
    Ok(())
}
// ANCHOR_END: solution
