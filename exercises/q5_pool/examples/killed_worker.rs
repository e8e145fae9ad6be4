//! Exercise 5.3 (break it): one value kills its own worker process. What do `map` and `imap`
//! return, and does the pool recover?
//!
//! `cargo run -p q5_pool --example killed_worker`

use common::{Pool, Registered, Task, task};

// ANCHOR: solution
/// Squares `n`, except that 4 kills the worker running it, as the kernel's OOM killer would.
fn square_or_die(n: u64) -> u64 {
    if n == 4 {
        // SAFETY: kill takes plain integers; the process signals itself.
        unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
    }
    n * n
}
const SQUARE_OR_DIE: Task<u64, u64> = task!(square_or_die);
static TASKS: &[&dyn Registered] = &[&SQUARE_OR_DIE];

fn main() -> common::Result<()> {
    common::init(TASKS);
    let pool = Pool::new(2)?;
    match pool.map(&SQUARE_OR_DIE, 1..=6) {
        Ok(squares) => println!("map: {squares:?}"),
        Err(e) => println!("map: {e}"),
    }
    for (n, result) in (1..=6).zip(pool.imap(&SQUARE_OR_DIE, 1..=6)) {
        match result {
            Ok(square) => println!("imap: {n} -> {square}"),
            Err(e) => println!("imap: {n} -> {e}"),
        }
    }
    println!("the pool goes on: {:?}", pool.map(&SQUARE_OR_DIE, [7, 8])?);
    Ok(())
}
// ANCHOR_END: solution
