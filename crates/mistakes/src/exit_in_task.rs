//! `std::process::exit` in a task: Python's `sys.exit`, which hangs Python's pool.

use std::process::ExitCode;

use common::{Pool, Task, task};
use support::outln;

use crate::Error;

command_line!(
    "exit_in_task",
    "std::process::exit in a pool task fails that task alone"
);

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

/// Runs the program; returns the exit code (see [`support::cli`]): 1, since a task fails.
pub fn run(_cli: Cli) -> ExitCode {
    support::cli::finish(NAME, map())
}

/// Maps `exit_on_3` over 1 to 4, a line for each; whether every task succeeded.
fn map() -> Result<bool, Error> {
    let pool = Pool::new(2)?;
    let mut all_ok = true;
    for (x, result) in (1..=4).zip(pool.imap(&EXIT_ON_3, 1..=4)) {
        match result {
            Ok(v) => outln!("exit_on_3({x}) = {v}")?,
            Err(e) => {
                all_ok = false;
                outln!("exit_on_3({x}): {e}")?;
            }
        }
    }
    Ok(all_ok)
}
