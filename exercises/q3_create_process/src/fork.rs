//! What [`std::process::Command::spawn`] does underneath, by hand: `fork()` and `exec()`.
//!
//! `fork()` makes a copy of the calling process: same program, same memory (shared
//! copy-on-write: a page is copied only when one of the two writes to it), same open files.
//! It returns twice, once in each: 0 in the child, the child's process id in the parent.
//! `exec()` then replaces the program the child runs with another one, keeping its process id
//! and open files. The standard library does both for you, with care this code shows:
//! everything the child needs is prepared before the fork, because the child of a program
//! with threads may call only async-signal-safe functions until it execs (another thread may
//! have held the allocator's lock at the moment of the fork, and in the child that thread
//! does not exist to release it).

use std::error::Error;
use std::ffi::{CString, c_char};
use std::io;

use common::Exit;
use support::outln;

use crate::program::WORKER_LINE;

// ANCHOR: fork_exec
/// Forks this process; the child execs `sh`, the parent waits for it.
pub fn fork_and_exec(number: i64) -> Result<bool, Box<dyn Error>> {
    outln!("Main process ID: {}", std::process::id())?;
    // Before the fork: the child must not allocate, so its arguments are ready now.
    let args = [
        c"sh".into(),
        c"-c".into(),
        CString::new(WORKER_LINE)?,
        c"sh".into(),
        CString::new(number.to_string())?,
    ];
    let mut argv: Vec<*const c_char> = args.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null()); // exec's argument list ends with a null pointer
    // SAFETY: the child calls only execv and _exit, both async-signal-safe, on memory made
    // before the fork; the parent goes on as usual.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: as above: `argv` points at live NUL-terminated strings and ends with null.
        unsafe {
            libc::execv(c"/bin/sh".as_ptr(), argv.as_ptr()); // returns only if it failed
            libc::_exit(127); // the shell's code for "could not run the program"
        }
    }
    if pid == -1 {
        return Err(format!("cannot fork: {}", io::Error::last_os_error()).into());
    }
    let exit = wait_for(pid)?; // Python: os.waitpid(pid, 0)
    outln!("Process {pid} finished with {exit}")?;
    Ok(exit.success())
}
// ANCHOR_END: fork_exec

/// Reaps child `pid` and says how it ended.
fn wait_for(pid: libc::pid_t) -> io::Result<Exit> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is valid for writes; `pid` is our child, not yet reaped.
        if unsafe { libc::waitpid(pid, &mut status, 0) } != -1 {
            break;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    Ok(if libc::WIFSIGNALED(status) {
        Exit::Signal(libc::WTERMSIG(status))
    } else {
        Exit::Code(libc::WEXITSTATUS(status))
    })
}
