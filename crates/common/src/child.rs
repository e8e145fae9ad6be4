//! A child process we own: safe to signal from any thread, reaped exactly once.
//!
//! Signalling a process by number is only safe while the number cannot be reused, that is until
//! the child is reaped. So we first wait *without* reaping (`WNOWAIT`), then reap under the same
//! lock that guards signalling: a signal either reaches our child or is not sent at all.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::Exit;
use crate::sys;

/// An owned child process.
#[derive(Debug)]
pub(crate) struct Child {
    pid: u32,
    /// Readable once the process has ended; lets us wait with a timeout without polling.
    pidfd: Option<OwnedFd>,
    exit: Mutex<Option<Exit>>,
}

impl Child {
    /// Takes ownership of child `pid`, which must be an unreaped child of this process.
    pub(crate) fn new(pid: u32) -> Self {
        Child {
            pid,
            pidfd: sys::pidfd_open(pid),
            exit: Mutex::new(None),
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// Sends `signal` unless the child has already been reaped (then it is a no-op).
    pub(crate) fn signal(&self, signal: libc::c_int) -> io::Result<()> {
        let exit = self.exit.lock().unwrap_or_else(|e| e.into_inner());
        match *exit {
            Some(_) => Ok(()),
            None => sys::kill(self.pid, signal),
        }
    }

    /// How the child ended, without blocking; `None` while it runs.
    pub(crate) fn try_wait(&self) -> Option<Exit> {
        if let Some(exit) = self.exited() {
            return Some(exit);
        }
        match self.wait_ended(false) {
            Ok(false) => None,
            // An error means the child is already gone (reaped elsewhere); `reap` copes.
            Ok(true) | Err(_) => Some(self.reap()),
        }
    }

    /// Blocks until the child ends and returns how.
    pub(crate) fn wait(&self) -> Exit {
        if let Some(exit) = self.exited() {
            return exit;
        }
        let _ = self.wait_ended(true);
        self.reap()
    }

    /// Waits up to `timeout` for the child to end.
    pub(crate) fn wait_timeout(&self, timeout: Duration) -> Option<Exit> {
        if let Some(exit) = self.try_wait() {
            return Some(exit);
        }
        match &self.pidfd {
            Some(pidfd) => {
                let _ = sys::poll_readable(pidfd.as_fd(), timeout);
            }
            None => {
                let deadline = Instant::now() + timeout;
                while Instant::now() < deadline && !matches!(self.wait_ended(false), Ok(true)) {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
        self.try_wait()
    }

    /// Kills the child (SIGKILL) and reaps it.
    pub(crate) fn kill_and_wait(&self) -> Exit {
        let _ = self.signal(libc::SIGKILL);
        self.wait()
    }

    /// Whether the child has ended (without reaping it). Through the pidfd when there is one:
    /// if another thread reaped the child meanwhile, its number may already name a new process.
    fn wait_ended(&self, block: bool) -> io::Result<bool> {
        match &self.pidfd {
            Some(pidfd) => sys::wait_ended_pidfd(pidfd.as_fd(), block),
            None => sys::wait_ended(self.pid, block),
        }
    }

    fn exited(&self) -> Option<Exit> {
        *self.exit.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn reap(&self) -> Exit {
        let mut exit = self.exit.lock().unwrap_or_else(|e| e.into_inner());
        *exit.get_or_insert_with(|| {
            // If someone else reaped our child (a `waitpid(-1)` elsewhere in the program), the
            // status is lost; report it as an unknown failure rather than inventing a success.
            sys::reap(self.pid).unwrap_or(Exit::Code(-1))
        })
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        // Never leave a zombie or an orphan behind: a dropped child is killed and reaped.
        if self.exited().is_none() {
            self.kill_and_wait();
        }
    }
}
