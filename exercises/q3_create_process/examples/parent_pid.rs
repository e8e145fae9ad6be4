//! Exercise 3.2 (extend it): start three processes; each prints its own pid and its parent's.
//! Check that the parent is this program.
//!
//! `cargo run -p q3_create_process --example parent_pid`

use common::{Process, Registered, Task, task};

// ANCHOR: solution
/// Runs in a child: its pid and its parent's, as the kernel reports them.
fn ids(number: u32) -> (u32, u32, u32) {
    (
        number,
        std::process::id(),
        std::os::unix::process::parent_id(),
    )
}
const IDS: Task<u32, (u32, u32, u32)> = task!(ids);
static TASKS: &[&dyn Registered] = &[&IDS];

fn main() -> common::Result<()> {
    common::init(TASKS);
    let me = std::process::id();
    let children = (1..=3)
        .map(|n| Process::start(&IDS, n))
        .collect::<common::Result<Vec<_>>>()?;
    for child in children {
        let (number, pid, parent) = child.join()?;
        let whose = if parent == me {
            "this program"
        } else {
            "another process"
        };
        println!("child {number}: pid {pid}, parent {parent} ({whose})");
    }
    Ok(())
}
// ANCHOR_END: solution
