//! Exercise 4.2 (extend it): build a pool whose workers retire after 2 tasks
//! (`max_tasks_per_child`, Python's `maxtasksperchild`) and print which pid ran each task.
//!
//! `cargo run -p q4_pool_explained --example max_tasks`

use std::collections::BTreeSet;

use common::{Pool, Registered, Task, task};

// ANCHOR: solution
fn whoami(task: u32) -> (u32, u32) {
    (task, std::process::id())
}
const WHOAMI: Task<u32, (u32, u32)> = task!(whoami);
static TASKS: &[&dyn Registered] = &[&WHOAMI];

fn main() -> common::Result<()> {
    common::init(TASKS);
    let pool = Pool::builder().workers(1).max_tasks_per_child(2).build()?;
    let mut pids = BTreeSet::new();
    for task in 0..6 {
        // One task per call, so each call counts as one task of the worker.
        let (task, pid) = pool.apply(&WHOAMI, task)?;
        println!("task {task} ran on pid {pid}");
        pids.insert(pid);
    }
    println!(
        "6 tasks, {} worker processes in turn: each retired after 2",
        pids.len()
    );
    Ok(())
}
// ANCHOR_END: solution
