//! Exercise 3.3 (break it): start a child that sleeps for a minute, terminate it after 100 ms,
//! and see how it ended.
//!
//! `cargo run -p q3_create_process --example terminate`

use std::time::{Duration, Instant};

use common::{Process, Registered, Task, task};

// ANCHOR: solution
fn sleep_a_minute(_: ()) {
    std::thread::sleep(Duration::from_secs(60));
}
const SLEEP_A_MINUTE: Task<(), ()> = task!(sleep_a_minute);
static TASKS: &[&dyn Registered] = &[&SLEEP_A_MINUTE];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::init(TASKS);
    let start = Instant::now();
    let child = Process::start(&SLEEP_A_MINUTE, ())?;
    std::thread::sleep(Duration::from_millis(100));
    child.terminate()?; // SIGTERM, like Python's terminate()
    let exit = child.wait();
    println!(
        "the child ended: {exit} (exitcode {:?}), after {} s",
        child.exitcode(),
        start.elapsed().as_secs()
    );
    println!("join() says: {}", child.join().unwrap_err());
    Ok(())
}
// ANCHOR_END: solution
