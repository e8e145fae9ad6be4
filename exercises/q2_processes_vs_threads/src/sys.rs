//! The few Linux calls the experiments make directly: `fork`, raw reads and writes a forked
//! child may use, and deliberate crashes. Every system call of the crate lives here; the only
//! `unsafe` elsewhere is calling [`fork`], whose caller vouches for what the child does.

use std::io;
use std::mem;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::net::UnixStream;

use common::Exit;

/// A child made by `fork()`: a copy of this process, running one closure, with one end of a
/// socket pair. The parent holds the other end in [`Forked::sock`].
#[derive(Debug)]
pub(crate) struct Forked {
    pid: libc::pid_t,
    /// Our end of the socket pair; the child has the other end.
    pub(crate) sock: UnixStream,
    exit: Option<Exit>,
}

// ANCHOR: fork
/// Forks this process. The child runs `child` with its end of a socket pair, then `_exit`s with
/// the code `child` returns; the parent gets a [`Forked`] at once.
///
/// # Safety
///
/// The child is a copy of a possibly multi-threaded process in which only the calling thread
/// exists. A lock another thread held at the fork (the allocator's, stdout's…) stays locked
/// forever there, so POSIX allows the child only async-signal-safe functions until it exits:
/// `child` must not allocate, lock, print or panic. Plain arithmetic, atomics and the raw
/// [`write_all`] below are fine.
pub(crate) unsafe fn fork(child: impl FnOnce(BorrowedFd<'_>) -> i32) -> io::Result<Forked> {
    let (ours, theirs) = UnixStream::pair()?;
    // SAFETY: fork has no preconditions of its own; what the child may do afterwards is this
    // function's contract, upheld by the caller.
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => {
            close_in_child(ours);
            let code = child(theirs.as_fd());
            // SAFETY: _exit is async-signal-safe and never returns. Unlike `exit`, it runs no
            // destructors or atexit handlers and flushes no buffer copied from the parent.
            unsafe { libc::_exit(code) }
        }
        pid => Ok(Forked::parent_of(pid, ours)),
    }
}
// ANCHOR_END: fork

/// In the child: closes its copy of the parent's end, which would keep the socket open, so that
/// the parent closing its end is an end of file here. `forget` skips the destructor that would
/// close it again (and runs no code).
fn close_in_child(ours: UnixStream) {
    // SAFETY: close is async-signal-safe; the descriptor is ours and is not used again.
    unsafe { libc::close(ours.as_raw_fd()) };
    mem::forget(ours);
}

impl Forked {
    /// The parent's handle on its new child `pid`, talking through `sock`.
    fn parent_of(pid: libc::pid_t, sock: UnixStream) -> Forked {
        Forked {
            pid,
            sock,
            exit: None,
        }
    }

    /// Waits for the child to end and says how (Python's exit-code convention via [`Exit`]).
    pub(crate) fn wait(mut self) -> io::Result<Exit> {
        self.reap()
    }

    fn reap(&mut self) -> io::Result<Exit> {
        if let Some(exit) = self.exit {
            return Ok(exit);
        }
        let mut status = 0;
        loop {
            // SAFETY: `status` is valid for writes; `pid` is our child, not yet reaped.
            let ret = unsafe { libc::waitpid(self.pid, &mut status, 0) };
            if ret != -1 {
                break;
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
        let exit = if libc::WIFSIGNALED(status) {
            Exit::Signal(libc::WTERMSIG(status))
        } else {
            Exit::Code(libc::WEXITSTATUS(status))
        };
        self.exit = Some(exit);
        Ok(exit)
    }
}

impl Drop for Forked {
    fn drop(&mut self) {
        // Never leave a zombie or an orphan: a child nobody waited for is killed and reaped.
        if self.exit.is_none() {
            // SAFETY: `pid` is our unreaped child, so the number cannot belong to anyone else.
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
            let _ = self.reap();
        }
    }
}

/// Fills `buf` from `fd`. `Ok(false)` on end-of-file before the first byte, an error on one in
/// the middle. Async-signal-safe: a forked child may call it (the tests' children do).
#[cfg(test)]
pub(crate) fn read_exact(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<bool> {
    let mut done = 0;
    while done < buf.len() {
        let rest = &mut buf[done..];
        // SAFETY: `rest` is valid for writes of `rest.len()` bytes; `fd` is open (borrowed).
        let n = unsafe { libc::read(fd.as_raw_fd(), rest.as_mut_ptr().cast(), rest.len()) };
        match n {
            -1 if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
            -1 => return Err(io::Error::last_os_error()),
            0 if done == 0 => return Ok(false),
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => done += n.unsigned_abs(),
        }
    }
    Ok(true)
}

/// Writes all of `buf` to `fd`. Async-signal-safe: a forked child may call it.
pub(crate) fn write_all(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let rest = &buf[done..];
        // SAFETY: `rest` is valid for reads of `rest.len()` bytes; `fd` is open (borrowed).
        // MSG_NOSIGNAL: a closed peer is an EPIPE error here, not a SIGPIPE that kills us.
        let n = unsafe {
            libc::send(
                fd.as_raw_fd(),
                rest.as_ptr().cast(),
                rest.len(),
                libc::MSG_NOSIGNAL,
            )
        };
        match n {
            -1 if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
            -1 => return Err(io::Error::last_os_error()),
            n => done += n.unsigned_abs(),
        }
    }
    Ok(())
}

/// Makes this process leave no core dump when it crashes, whatever `ulimit -c` and the
/// system's `core_pattern` say: the deliberate crashes below should not litter the disk or the
/// journal. (A non-dumpable process also refuses debuggers, which a process about to crash on
/// purpose does not need.) Affects this process only, which is the point of crashing in a child.
pub(crate) fn no_core_dump() {
    // SAFETY: PR_SET_DUMPABLE takes an integer flag and no pointers.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
}

// ANCHOR: segfault
/// Delivers a real SIGSEGV to the calling thread, with the default action: the kernel ends the
/// whole process, exactly as after an invalid memory access.
///
/// Why not a genuine invalid access (say, reading through a null pointer)? In Rust that is
/// undefined behaviour, not "a segfault": the compiler may assume it never happens and drop or
/// reorder it, so the demonstration would prove nothing. Raising the signal is defined
/// behaviour with the same end. Rust's runtime installs a SIGSEGV handler (to report stack
/// overflows) that, for a fault outside a stack guard page, restores the default action and
/// returns: a real bad access then faults again and dies, but a raised signal would simply be
/// swallowed once. So the default action is restored first.
pub(crate) fn raise_sigsegv() {
    // SAFETY: SIG_DFL installs no code of ours; raise only sends a signal to this thread.
    unsafe {
        libc::signal(libc::SIGSEGV, libc::SIG_DFL);
        libc::raise(libc::SIGSEGV);
    }
}
// ANCHOR_END: segfault

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forked_child_reports_its_exit_code() {
        // SAFETY: the child only does arithmetic and async-signal-safe writes.
        let child = unsafe {
            fork(|fd| match write_all(fd, &7u64.to_ne_bytes()) {
                Ok(()) => 3,
                Err(_) => 4,
            })
        }
        .unwrap();
        let mut buf = [0u8; 8];
        assert!(read_exact(child.sock.as_fd(), &mut buf).unwrap());
        assert_eq!(u64::from_ne_bytes(buf), 7);
        // The child has exited: its end is closed, so the next read is a clean end-of-file.
        assert!(!read_exact(child.sock.as_fd(), &mut buf).unwrap());
        assert_eq!(child.wait().unwrap(), Exit::Code(3));
    }

    #[test]
    fn a_dropped_child_is_killed_and_reaped() {
        // SAFETY: the child only blocks in an async-signal-safe read until it is killed.
        let child = unsafe {
            fork(|fd| {
                let mut buf = [0u8; 1];
                let _ = read_exact(fd, &mut buf);
                0
            })
        }
        .unwrap();
        let pid = child.pid;
        drop(child);
        // Reaped already: waiting for it again finds no such child.
        // SAFETY: a null status pointer is allowed; WNOHANG never blocks.
        let ret = unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) };
        assert_eq!(ret, -1);
        assert_eq!(
            io::Error::last_os_error().raw_os_error(),
            Some(libc::ECHILD)
        );
    }
}
