//! A child process we own, known by its pidfd: signalled and waited for through the pidfd only,
//! reaped exactly once.
//!
//! A process id is only a number. Once a child is reaped, by us or by anyone else in the
//! program (a `waitpid(-1)` in some library), the kernel may give the number to an unrelated
//! process, and a `kill(pid)` would hit that stranger. A pidfd names one process for good: a
//! signal sent through it reaches our child or fails, and a wait through it either reports our
//! child's end or says it is not our child any more ([`Exit::Unknown`]).

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use crate::error::Exit;
use crate::sys;

/// An owned child process.
#[derive(Debug)]
pub(crate) struct Child {
    pid: u32,
    pidfd: OwnedFd,
    /// What [`active_children`] calls it (Python's `Process.name`).
    name: String,
    exit: Mutex<Option<Exit>>,
}

/// Every child made by [`Child::adopt`] that may still run, for [`active_children`].
static CHILDREN: Mutex<Vec<Weak<Child>>> = Mutex::new(Vec::new());

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Child {
    /// Takes ownership of `pid`, a child this process has just started and not reaped.
    ///
    /// Without a pidfd there is no safe way to signal the child later, so if one cannot be
    /// made for want of resources (no descriptor or memory left) the child is killed and reaped
    /// at once, by number: sound only then, since nothing has reaped it yet. Any other failure
    /// (no such process, or reaped by someone else) means the number may already name a
    /// stranger, so nothing is sent to it.
    pub(crate) fn adopt(pid: u32, name: String) -> io::Result<Arc<Child>> {
        let pidfd = sys::pidfd_open(pid).inspect_err(|e| {
            if matches!(
                e.raw_os_error(),
                Some(libc::EMFILE | libc::ENFILE | libc::ENOMEM)
            ) {
                sys::kill_fresh_child(pid);
            }
        })?;
        Ok(Child::register(pid, pidfd, name))
    }

    /// Takes ownership of `pid`, a child of ours started with a pidfd (`pidfd`), after checking
    /// that it is our child and not reaped.
    pub(crate) fn adopt_pidfd(pid: u32, pidfd: OwnedFd, name: String) -> io::Result<Arc<Child>> {
        if let Err(e) = sys::pidfd_wait(pidfd.as_fd(), false, false) {
            let _ = sys::pidfd_send_signal(pidfd.as_fd(), libc::SIGKILL);
            return Err(io::Error::other(format!(
                "process {pid} is not a child of this process ({e})"
            )));
        }
        Ok(Child::register(pid, pidfd, name))
    }

    fn register(pid: u32, pidfd: OwnedFd, name: String) -> Arc<Child> {
        let child = Arc::new(Child {
            pid,
            pidfd,
            name,
            exit: Mutex::new(None),
        });
        let mut children = lock(&CHILDREN);
        children.retain(|c| c.strong_count() > 0);
        children.push(Arc::downgrade(&child));
        child
    }

    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Readable once the child has ended.
    pub(crate) fn pidfd(&self) -> BorrowedFd<'_> {
        self.pidfd.as_fd()
    }

    /// Sends `signal`; a no-op once the child has been reaped (by anyone).
    pub(crate) fn signal(&self, signal: libc::c_int) -> io::Result<()> {
        match sys::pidfd_send_signal(self.pidfd.as_fd(), signal) {
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(()),
            other => other,
        }
    }

    /// How the child ended, without blocking; `None` while it runs. Reaps it if it has ended.
    pub(crate) fn try_wait(&self) -> Option<Exit> {
        let mut exit = lock(&self.exit);
        if exit.is_none() {
            *exit = match sys::pidfd_wait(self.pidfd.as_fd(), false, true) {
                Ok(ended) => ended,
                // ECHILD: someone else reaped it, and its status went to them.
                Err(_) => Some(Exit::Unknown),
            };
        }
        *exit
    }

    /// Blocks until the child ends and returns how.
    pub(crate) fn wait(&self) -> Exit {
        loop {
            if let Some(exit) = self.try_wait() {
                return exit;
            }
            // Wait for the end without reaping it: reaping is `try_wait`'s, under the lock, so
            // two threads waiting at once both learn the status.
            if sys::pidfd_wait(self.pidfd.as_fd(), true, false).is_err() {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }

    /// Waits up to `timeout` (any duration) for the child to end.
    pub(crate) fn wait_timeout(&self, timeout: Duration) -> Option<Exit> {
        if let Some(exit) = self.try_wait() {
            return Some(exit);
        }
        let _ = sys::poll_readable(self.pidfd.as_fd(), timeout);
        self.try_wait()
    }

    /// Kills the child (SIGKILL) and reaps it.
    pub(crate) fn kill_and_wait(&self) -> Exit {
        let _ = self.signal(libc::SIGKILL);
        self.wait()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        // Never leave a zombie or an orphan behind: a dropped child is killed and reaped.
        if lock(&self.exit).is_none() {
            self.kill_and_wait();
        }
    }
}

/// The children of this process that are still running, as `(pid, name)`, oldest first;
/// finished ones are reaped on the way (Python's `active_children` joins them).
pub(crate) fn running() -> Vec<(u32, String)> {
    let children: Vec<Arc<Child>> = lock(&CHILDREN).iter().filter_map(Weak::upgrade).collect();
    children
        .iter()
        .filter(|c| c.try_wait().is_none())
        .map(|c| (c.pid, c.name.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CString;

    /// A child of ours running `sleep 30`, not reaped.
    fn sleeper() -> Arc<Child> {
        let argv = [CString::new("sleep").unwrap(), CString::new("30").unwrap()];
        let stdin = std::fs::File::open("/dev/null").unwrap();
        let stdin = sys::above_stdio(stdin.into()).unwrap();
        let pid = sys::spawn(c"/bin/sleep", &argv, &[], stdin.as_fd()).unwrap();
        Child::adopt(pid, "sleeper".into()).unwrap()
    }

    #[test]
    fn a_child_reaped_elsewhere_ends_unknown_and_is_never_signalled_again() {
        let child = sleeper();
        assert_eq!(child.try_wait(), None);
        assert!(
            running()
                .iter()
                .any(|(pid, name)| *pid == child.pid() && name == "sleeper")
        );
        // Someone else kills and reaps it (a `waitpid(-1)` elsewhere in the program).
        let mut status = 0;
        // SAFETY: kill and waitpid take plain integers and a valid pointer; the pid is our
        // child, unreaped so far.
        unsafe {
            libc::kill(child.pid() as libc::pid_t, libc::SIGKILL);
            libc::waitpid(child.pid() as libc::pid_t, &mut status, 0);
        }
        assert_eq!(
            child.wait(),
            Exit::Unknown,
            "its status went to whoever reaped it"
        );
        assert!(
            child.signal(libc::SIGKILL).is_ok(),
            "a no-op, never a stranger"
        );
        assert!(!running().iter().any(|(pid, _)| *pid == child.pid()));
    }

    #[test]
    fn two_threads_waiting_both_learn_how_it_ended() {
        let child = sleeper();
        std::thread::scope(|scope| {
            let waiters: Vec<_> = (0..2).map(|_| scope.spawn(|| child.wait())).collect();
            std::thread::sleep(Duration::from_millis(20));
            child.signal(libc::SIGTERM).unwrap();
            for waiter in waiters {
                assert_eq!(waiter.join().unwrap(), Exit::Signal(libc::SIGTERM));
            }
        });
        assert_eq!(
            child.wait_timeout(Duration::MAX),
            Some(Exit::Signal(libc::SIGTERM))
        );
    }
}
