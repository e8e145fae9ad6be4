//! `panic = "abort"`: no unwinding, so a panic ends its whole process at once.

use std::process::ExitCode;
use std::thread;

use common::{Pool, Task, task};

/// Which panic strategy this build uses.
pub const STRATEGY: &str = if cfg!(panic = "abort") {
    "abort"
} else {
    "unwind"
};

// ANCHOR: fail_on_3
/// Returns `x`, except that 3 panics.
pub fn fail_on_3(x: u32) -> u32 {
    if x == 3 {
        panic!("{x} is not allowed");
    }
    x
}
pub const FAIL_ON_3: Task<u32, u32> = task!(fail_on_3);
// ANCHOR_END: fail_on_3

pub fn run() -> ExitCode {
    println!("built with panic = \"{STRATEGY}\"");
    // ANCHOR: run
    let pool = match Pool::new(2) {
        Ok(pool) => pool,
        Err(e) => return crate::fail("panic_abort", e),
    };
    for (x, result) in (1..=4).zip(pool.imap(&FAIL_ON_3, 1..=4)) {
        match result {
            Ok(v) => println!("on a worker process, fail_on_3({x}) = {v}"),
            Err(e) => println!("on a worker process, fail_on_3({x}): {e}"),
        }
    }
    let joined = thread::spawn(|| fail_on_3(3)).join();
    println!(
        "on a thread, fail_on_3(3): join returned {:?}",
        joined.map_err(|_| "a panic")
    );
    println!("main goes on");
    // ANCHOR_END: run
    ExitCode::SUCCESS
}
