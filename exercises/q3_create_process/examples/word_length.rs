//! Exercise 3.1 (change it): give the child process a word and get a result back: the word's
//! length, computed in the child.
//!
//! `cargo run -p q3_create_process --example word_length -- multiprocessing`

use common::{Process, Registered, Task, task};

// ANCHOR: solution
/// Runs in the child: the argument arrived as a copy, and the result goes back the same way.
fn length(word: String) -> (u32, usize) {
    (std::process::id(), word.chars().count())
}
const LENGTH: Task<String, (u32, usize)> = task!(length);
static TASKS: &[&dyn Registered] = &[&LENGTH];

fn main() -> common::Result<()> {
    common::init(TASKS);
    let word = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "process".to_owned());
    let (child, len) = Process::start(&LENGTH, word.clone())?.join()?;
    println!("process {child} says {word:?} has {len} letters");
    Ok(())
}
// ANCHOR_END: solution
