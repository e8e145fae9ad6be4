//! Exercise 2.3 (break it): call `std::process::exit(3)` in a task, once in a child process
//! and once (in a sacrificial child of its own) on a thread. Which processes survive?
//!
//! `cargo run -p q2_processes_vs_threads --example exit_in_child`

use common::{Error, Exit, Process, Registered, Task, task};

// ANCHOR: solution
/// Ends the whole process it runs in, whatever thread calls it.
fn exit_three(_: ()) {
    std::process::exit(3);
}
/// Starts a thread that calls `exit(3)`, and waits for it: the thread ends this process.
fn exit_from_a_thread(_: ()) {
    let _ = std::thread::spawn(|| exit_three(())).join();
    unreachable!("exit(3) on any thread ends the process");
}
const EXIT_THREE: Task<(), ()> = task!(exit_three);
const EXIT_FROM_A_THREAD: Task<(), ()> = task!(exit_from_a_thread);
static TASKS: &[&dyn Registered] = &[&EXIT_THREE, &EXIT_FROM_A_THREAD];

fn main() -> common::Result<()> {
    common::init(TASKS);
    for (what, task) in [
        ("exit(3) in a child process", &EXIT_THREE),
        ("exit(3) on a thread of a child", &EXIT_FROM_A_THREAD),
    ] {
        match Process::start(task, ())?.join() {
            Err(Error::WorkerDied {
                exit: Exit::Code(code),
                ..
            }) => println!("{what}: the child ended with exit code {code}"),
            other => println!("{what}: unexpected: {other:?}"),
        }
    }
    println!("this process (pid {}) is still here", std::process::id());
    Ok(())
}
// ANCHOR_END: solution
