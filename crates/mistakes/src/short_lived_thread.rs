//! The parent-death signal belongs to a thread: a child tied to it dies when that thread ends.

use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitCode, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

use common::Process;

use crate::SQUARE;

// ANCHOR: pdeathsig
/// Starts `sleep 30` as a hand-made pool might: the child asks the kernel for SIGKILL when its
/// parent dies, so that it cannot outlive the program.
fn sleep_until_the_parent_dies() -> io::Result<Child> {
    let mut command = Command::new("sleep");
    command.arg("30");
    // SAFETY: the closure runs in the child between fork and exec, where only
    // async-signal-safe functions are allowed: prctl and reading errno are.
    unsafe {
        command.pre_exec(
            || match libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) {
                -1 => Err(io::Error::last_os_error()),
                _ => Ok(()),
            },
        );
    }
    command.spawn()
}
// ANCHOR_END: pdeathsig

pub fn run() -> ExitCode {
    // ANCHOR: mistake
    // The mistake: the thread that starts the child ends at once. The kernel's "parent" is
    // that thread, not the process, so the child is killed although this program lives on.
    let started = thread::spawn(sleep_until_the_parent_dies).join();
    // ANCHOR_END: mistake
    let child = match started {
        Ok(Ok(child)) => child,
        Ok(Err(e)) => return crate::fail("short_lived_thread", format!("cannot start sleep: {e}")),
        Err(_) => return crate::fail("short_lived_thread", "the starting thread panicked"),
    };
    let status = match wait_at_most(child, Duration::from_secs(10)) {
        Ok(status) => status,
        Err(e) => return crate::fail("short_lived_thread", e),
    };
    let sleep_died = status.is_some_and(|s| s.signal() == Some(libc::SIGKILL));
    match status {
        Some(s) if sleep_died => println!(
            "`sleep 30`, started from a thread that has ended: killed by signal {} (SIGKILL) \
             at once, while its parent process runs on",
            s.signal().unwrap_or(0)
        ),
        Some(s) => println!("`sleep 30`, started from a thread that has ended: ended with {s}"),
        None => println!(
            "`sleep 30`, started from a thread that has ended: still running after 10 s (killed now)"
        ),
    }

    // ANCHOR: process
    // common::Process starts its child from a supervisor thread that lives as long as the
    // child, so the thread that calls `start` may end.
    let process = thread::spawn(|| Process::start(&SQUARE, 7)).join();
    // ANCHOR_END: process
    let squared = match process {
        Ok(Ok(process)) => process.join(),
        Ok(Err(e)) => Err(e),
        Err(_) => return crate::fail("short_lived_thread", "the starting thread panicked"),
    };
    match squared {
        Ok(n) => println!(
            "a common::Process, started from a thread that has ended: finished, returned {n}"
        ),
        Err(e) => return crate::fail("short_lived_thread", e),
    }
    if sleep_died {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Waits for `child` at most `limit`; kills and reaps it if it is still running then.
fn wait_at_most(mut child: Child, limit: Duration) -> io::Result<Option<ExitStatus>> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        thread::sleep(Duration::from_millis(10));
    }
    child.kill()?;
    child.wait()?;
    Ok(None)
}
