//! The parent-death signal belongs to a thread: a child tied to it dies when that thread ends.

use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitCode, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

use common::Process;
use support::outln;

use crate::{Error, SQUARE};

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

command_line!(
    "short_lived_thread",
    "A child tied by the parent-death signal to a thread that ends"
);

/// Runs the program; returns the exit code (see [`support::cli`]): 0 if `sleep` was killed
/// as the mistake makes it, 1 if not.
pub fn run(_cli: Cli) -> ExitCode {
    support::cli::finish(NAME, both_children())
}

fn both_children() -> Result<bool, Error> {
    // ANCHOR: mistake
    // The mistake: the thread that starts the child ends at once. The kernel's "parent" is
    // that thread, not the process, so the child is killed although this program lives on.
    let thread = thread::Builder::new().spawn(sleep_until_the_parent_dies);
    let started = thread.map_err(Error::Thread)?.join();
    // ANCHOR_END: mistake
    let child = match started {
        Ok(Ok(child)) => child,
        Ok(Err(cause)) => {
            return Err(Error::Io {
                what: "cannot start sleep",
                cause,
            });
        }
        Err(_) => return Err(Error::Failed("the starting thread panicked")),
    };
    let status = wait_at_most(child, Duration::from_secs(10)).map_err(|cause| Error::Io {
        what: "cannot wait for sleep",
        cause,
    })?;
    let sleep_died = status.is_some_and(|s| s.signal() == Some(libc::SIGKILL));
    match status {
        Some(s) if sleep_died => outln!(
            "`sleep 30`, started from a thread that has ended: killed by signal {} (SIGKILL) \
             at once, while its parent process runs on",
            s.signal().unwrap_or(0)
        )?,
        Some(s) => outln!("`sleep 30`, started from a thread that has ended: ended with {s}")?,
        None => outln!(
            "`sleep 30`, started from a thread that has ended: still running after 10 s (killed now)"
        )?,
    }

    // ANCHOR: process
    // common::Process starts its child from a supervisor thread that lives as long as the
    // child, so the thread that calls `start` may end.
    let thread = thread::Builder::new().spawn(|| Process::start(&SQUARE, 7));
    let process = thread.map_err(Error::Thread)?.join();
    // ANCHOR_END: process
    let squared = match process {
        Ok(process) => process?.join()?,
        Err(_) => return Err(Error::Failed("the starting thread panicked")),
    };
    outln!(
        "a common::Process, started from a thread that has ended: finished, returned {squared}"
    )?;
    Ok(sleep_died)
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
