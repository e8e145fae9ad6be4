//! `panic = "abort"`: no unwinding, so a panic ends its whole process at once.

use std::thread;

use common::{Pool, Task, task};
use support::outln;

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

command_line!(
    "panic_abort",
    "A panic in a pool task, then in a thread, with this build's panic strategy"
);

/// Runs the program; returns the exit code (see [`support::cli`]). With `panic = "abort"` the
/// thread's panic aborts it instead (SIGABRT): that is the mistake it shows.
pub fn run(_cli: Cli) -> std::process::ExitCode {
    support::cli::finish(NAME, panic_twice())
}

fn panic_twice() -> Result<bool, crate::Error> {
    outln!("built with panic = \"{STRATEGY}\"")?;
    // ANCHOR: run
    let pool = Pool::new(2)?;
    for (x, result) in (1..=4).zip(pool.imap(&FAIL_ON_3, 1..=4)) {
        match result {
            Ok(v) => outln!("on a worker process, fail_on_3({x}) = {v}")?,
            Err(e) => outln!("on a worker process, fail_on_3({x}): {e}")?,
        }
    }
    let thread = thread::Builder::new().spawn(|| fail_on_3(3));
    let joined = thread.map_err(crate::Error::Thread)?.join();
    outln!(
        "on a thread, fail_on_3(3): join returned {:?}",
        joined.map_err(|_| "a panic")
    )?;
    outln!("main goes on")?;
    // ANCHOR_END: run
    Ok(true)
}
