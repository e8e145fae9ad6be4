//! The standard library's way to create a process: [`std::process::Command`] starts another
//! program in a child process, as Python's `subprocess` does.
//!
//! This is how most Rust code starts a process. The child is a *new program* (here the shell,
//! `sh`), not a function of this one: it shares none of this program's memory or code, and
//! gets only its arguments, its environment and the open files it inherits (here, the same
//! standard output). A Rust function in a child is [`common::Process`] (the `pid` command).

use std::error::Error;
use std::process::Command;

use support::outln;

// ANCHOR: command
/// The shell line the child runs: the second answer sheet's worker, as a program of its own.
/// `$$` is the shell's process id, `$1` its first argument.
pub const WORKER_LINE: &str = r#"echo "Worker process ID: $$, Number: $1""#;

/// Starts `sh` in a child process, waits for it, and reports how it ended.
pub fn run_program(number: i64) -> Result<bool, Box<dyn Error>> {
    outln!("Main process ID: {}", std::process::id())?;
    let mut child = Command::new("sh")
        .args(["-c", WORKER_LINE, "sh"]) // "sh" is $0, the script's name
        .arg(number.to_string())
        .spawn() // a new process, running a new program (Python: subprocess.Popen)
        .map_err(|e| format!("cannot start sh: {e}"))?;
    let pid = child.id();
    let status = child.wait()?; // Python: process.wait()
    outln!("Process {pid} finished with {status}")?;
    Ok(status.success())
}
// ANCHOR_END: command
