//! `std::process::exit` in a task: Python's `sys.exit`, which hangs Python's pool.

use std::process::ExitCode;

use common::{Pool, Task, task};

// ANCHOR: exit_on_3
/// Returns `x` times 10, except that 3 ends the whole process with exit code 3.
pub fn exit_on_3(x: u32) -> u32 {
    if x == 3 {
        std::process::exit(3);
    }
    x * 10
}
pub const EXIT_ON_3: Task<u32, u32> = task!(exit_on_3);
// ANCHOR_END: exit_on_3

pub fn run() -> ExitCode {
    let pool = match Pool::new(2) {
        Ok(pool) => pool,
        Err(e) => return crate::fail("exit_in_task", e),
    };
    let mut failed = false;
    for (x, result) in (1..=4).zip(pool.imap(&EXIT_ON_3, 1..=4)) {
        match result {
            Ok(v) => println!("exit_on_3({x}) = {v}"),
            Err(e) => {
                failed = true;
                println!("exit_on_3({x}): {e}");
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
