//! Exercise 2.1 (change it): instead of a counter, share a list. A thread pushes to an
//! `Arc<Mutex<Vec<u32>>>` and the parent sees it; a child process pushes to its copy and the
//! parent does not.
//!
//! `cargo run -p q2_processes_vs_threads --example shared_list`

use std::sync::{Arc, Mutex};

use common::{Process, Registered, Task, task};

// ANCHOR: solution
/// Runs in a child process: gets a copy of the list, pushes to it, returns the copy's length.
fn push_to_copy(mut list: Vec<u32>) -> usize {
    list.push(4);
    list.len()
}
const PUSH_TO_COPY: Task<Vec<u32>, usize> = task!(push_to_copy);
static TASKS: &[&dyn Registered] = &[&PUSH_TO_COPY];

fn main() -> common::Result<()> {
    common::init(TASKS);
    let list = Arc::new(Mutex::new(vec![1, 2, 3]));

    let shared = Arc::clone(&list);
    std::thread::spawn(move || shared.lock().unwrap().push(4))
        .join()
        .expect("the thread does not panic");
    println!("after the thread pushed: {:?}", list.lock().unwrap());

    let copy = list.lock().unwrap().clone();
    let child_len = Process::start(&PUSH_TO_COPY, copy)?.join()?;
    println!(
        "the child's copy had {child_len} items; the parent's list still has {}",
        list.lock().unwrap().len()
    );
    Ok(())
}
// ANCHOR_END: solution
