//! Copies of this process made without `exec` (the fork server and the workers it forks), and
//! what such a copy must set right for itself: the C library's idea of its thread, its signal
//! dispositions.
//!
//! The copies are made with a raw `clone3`, not the C library's `fork`, for two flags that
//! `fork` cannot pass: `CLONE_PARENT` (the copy becomes a child of *our* parent, so a worker
//! forked by the server is a child of the program, which can wait for it) and an exit signal of
//! 0 (a "clone child": `wait()` and `waitpid(-1, …)` without `__WALL` do not see it, so code
//! elsewhere in the program that reaps "all children" never takes ours). `CLONE_PIDFD` gives a
//! pidfd for the copy in the same step.
//!
//! Bypassing `fork` skips what the C library does in the child, so the copy does it itself:
//! the kernel writes the new thread id where glibc keeps it (`CLONE_CHILD_SETTID` at the
//! address glibc registered, read back with `PR_GET_TID_ADDRESS`), and the robust-mutex list,
//! which the kernel does not copy, is registered again (`set_robust_list`). glibc also resets
//! its internal locks and runs `pthread_atfork` handlers in a forked child; a copy made here
//! runs no handler, and has no lock to reset: it is only ever made from a process with one
//! thread, which holds no lock at that moment.

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;

use super::check;

/// What a copy needs to set its thread right: the address where glibc keeps the thread id, and
/// the robust-mutex list head. Read in the process that will be copied, before it is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ThreadIdentity {
    tid_address: u64,
    robust_head: usize,
    robust_len: usize,
}

impl ThreadIdentity {
    /// This thread's identity. Fails where the kernel cannot say where the thread id is kept
    /// (`PR_GET_TID_ADDRESS` needs a kernel built with checkpoint/restore support) or what it
    /// says does not hold this thread's id.
    pub(crate) fn of_this_thread() -> io::Result<ThreadIdentity> {
        let mut address: *mut libc::pid_t = ptr::null_mut();
        // SAFETY: PR_GET_TID_ADDRESS writes one pointer to the address we pass, which is valid.
        check(unsafe {
            libc::prctl(
                libc::PR_GET_TID_ADDRESS,
                &mut address as *mut *mut libc::pid_t as libc::c_ulong,
                0,
                0,
                0,
            )
        })?;
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() };
        // SAFETY: a non-null address from the kernel is where glibc keeps this thread's id: the
        // thread's own descriptor, alive as long as the thread.
        if address.is_null() || unsafe { address.read_volatile() } != tid {
            return Err(io::Error::other(
                "the C library does not keep the thread id where the kernel says",
            ));
        }
        let mut head: *mut libc::c_void = ptr::null_mut();
        let mut len: libc::size_t = 0;
        // SAFETY: get_robust_list(0, …) reads this thread's list head into the two valid
        // locations passed.
        check(unsafe {
            libc::syscall(
                libc::SYS_get_robust_list,
                0,
                &mut head as *mut *mut libc::c_void,
                &mut len as *mut libc::size_t,
            )
        } as libc::c_int)?;
        Ok(ThreadIdentity {
            tid_address: address as u64,
            robust_head: head as usize,
            robust_len: len,
        })
    }
}

/// Which side of [`copy_this_process`] we are on.
#[derive(Debug)]
pub(crate) enum Copied {
    /// The original: the copy's pid and a pidfd for it.
    Original { pid: u32, pidfd: OwnedFd },
    /// The copy.
    Copy,
}

/// `clone3` arguments, as far as the kernel's first version (`CLONE_ARGS_SIZE_VER0`).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
}

/// Copies this process, as `fork` does, into a clone child (exit signal 0); with
/// `sibling`, the copy is a child of this process's parent rather than of this process.
///
/// # Safety
/// This process must have exactly one thread, and `identity` must be this thread's. In the
/// copy, only this thread exists, and it holds whatever locks it held here: the caller must
/// hold none that the copy will take.
pub(crate) unsafe fn copy_this_process(
    identity: &ThreadIdentity,
    sibling: bool,
) -> io::Result<Copied> {
    let mut pidfd: RawFd = -1;
    let mut flags =
        (libc::CLONE_PIDFD | libc::CLONE_CHILD_SETTID | libc::CLONE_CHILD_CLEARTID) as u64;
    if sibling {
        flags |= libc::CLONE_PARENT as u64;
    }
    let mut args = CloneArgs {
        flags,
        pidfd: &mut pidfd as *mut RawFd as u64,
        child_tid: identity.tid_address,
        ..CloneArgs::default()
    };
    // SAFETY: clone3 without CLONE_VM is a fork: the copy gets its own copy of every page,
    // this stack included, and returns 0 here. `args` and `pidfd` are valid for the call. The
    // caller guarantees one thread, so the copy is complete.
    let pid = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &mut args as *mut CloneArgs,
            mem::size_of::<CloneArgs>(),
        )
    };
    match pid {
        -1 => Err(io::Error::last_os_error()),
        0 => {
            // The kernel does not copy the robust list registration; glibc's fork registers it
            // again in the child, and so do we. (No robust mutex can be held: one thread, none
            // of ours.)
            // SAFETY: the head is this thread's own list, at the same address in the copy.
            unsafe {
                libc::syscall(
                    libc::SYS_set_robust_list,
                    identity.robust_head,
                    identity.robust_len,
                )
            };
            Ok(Copied::Copy)
        }
        pid => Ok(Copied::Original {
            pid: pid as u32,
            // SAFETY: CLONE_PIDFD stored a fresh descriptor for the copy, ours alone.
            pidfd: unsafe { OwnedFd::from_raw_fd(pidfd) },
        }),
    }
}

/// How many threads this process has, from `/proc/self/status`.
pub(crate) fn thread_count() -> io::Result<usize> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| io::Error::other("no thread count in /proc/self/status"))
}

/// The signal dispositions a copy made later should start with: this process's handlers as
/// they are now, but every ignored signal back to its default (an ignored SIGTERM inherited from
/// a shell or a service manager would make `terminate` do nothing).
#[derive(Clone)]
pub(crate) struct Dispositions {
    actions: Vec<(libc::c_int, libc::sigaction)>,
}

impl std::fmt::Debug for Dispositions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispositions")
            .field("signals", &self.actions.len())
            .finish()
    }
}

impl Dispositions {
    /// This process's dispositions, ignored ones turned to default.
    pub(crate) fn now_with_ignored_reset() -> Dispositions {
        let mut actions = Vec::new();
        for signal in 1..=libc::SIGRTMAX() {
            if signal == libc::SIGKILL || signal == libc::SIGSTOP {
                continue;
            }
            // SAFETY: an all-zero sigaction is a valid value for sigaction to overwrite.
            let mut action: libc::sigaction = unsafe { mem::zeroed() };
            // SAFETY: reading a disposition (null new action) into a valid location. The C
            // library refuses the signals it keeps for itself (EINVAL): those are skipped.
            if unsafe { libc::sigaction(signal, ptr::null(), &mut action) } != 0 {
                continue;
            }
            if action.sa_sigaction == libc::SIG_IGN {
                action.sa_sigaction = libc::SIG_DFL;
            }
            actions.push((signal, action));
        }
        Dispositions { actions }
    }

    /// Installs them in this process, then unblocks every signal of this thread (in that order:
    /// a signal that arrived while blocked is then handled as the new disposition says).
    pub(crate) fn install(&self) {
        for (signal, action) in &self.actions {
            // SAFETY: each action was read by sigaction for this very signal.
            unsafe { libc::sigaction(*signal, action, ptr::null_mut()) };
        }
        // SAFETY: an empty set is valid; setting this thread's mask is always sound.
        unsafe {
            let mut none: libc::sigset_t = mem::zeroed();
            libc::sigemptyset(&mut none);
            libc::pthread_sigmask(libc::SIG_SETMASK, &none, ptr::null_mut());
        }
    }
}

/// Blocks every signal that can be blocked, in this thread: for a helper process that must not
/// end before its program does (a Ctrl-C, a hang-up or a SIGTERM sent to the whole process
/// group), and ends with it by other means. Blocked, not ignored: a copy made from here
/// inherits the mask, and a signal sent to the copy before it unblocks (with
/// [`Dispositions::install`]) waits for it instead of being lost; an ignored one would be
/// dropped, and a `terminate` right after the start would do nothing.
pub(crate) fn block_all_signals() {
    // SAFETY: a full set is valid; setting this thread's mask is always sound (SIGKILL and
    // SIGSTOP cannot be blocked and are left out by the kernel).
    unsafe {
        let mut all: libc::sigset_t = mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, ptr::null_mut());
    }
}

/// Makes `fd` descriptor number `target` (closing whatever was there), or closes `target` if
/// `fd` is `None`.
pub(crate) fn place(fd: Option<RawFd>, target: RawFd) -> io::Result<()> {
    match fd {
        Some(fd) if fd == target => Ok(()),
        // SAFETY: dup2 atomically replaces `target` with a copy of an open descriptor.
        Some(fd) => check(unsafe { libc::dup2(fd, target) }).map(drop),
        None => {
            // SAFETY: closing a descriptor number is always allowed.
            unsafe { libc::close(target) };
            Ok(())
        }
    }
}

/// Moves `fd` to descriptor number `target` (closed on exec), closing the original.
pub(crate) fn move_to(fd: OwnedFd, target: RawFd) -> io::Result<OwnedFd> {
    if fd.as_raw_fd() == target {
        return Ok(fd);
    }
    // SAFETY: dup3 atomically replaces `target` with a copy of an open descriptor.
    check(unsafe { libc::dup3(fd.as_raw_fd(), target, libc::O_CLOEXEC) })?;
    // SAFETY: `target` now holds the copy, which nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(target) })
}

/// Whether descriptor `fd` is open.
pub(crate) fn is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD on any number only reads its flags (or fails with EBADF).
    unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
}

/// Writes `text` over this process's arguments, where `ps` and `/proc/PID/cmdline` read them
/// (cut to the room the original arguments took), as `setproctitle` does.
pub(crate) fn rewrite_command_line(text: &str) {
    let Some((start, end)) = argument_area() else {
        return;
    };
    let room = end - start;
    if room < 2 {
        return;
    }
    let text = &text.as_bytes()[..text.len().min(room - 1)];
    // SAFETY: [start, end) is this process's argument area, mapped read-write on its initial
    // stack for the life of the process; nothing else writes it, and this process has one
    // thread (a copy of the fork server, before any task runs). The text is followed by NULs
    // to the end, so every argument pointer still points at a NUL-terminated string.
    unsafe {
        let area = start as *mut u8;
        ptr::copy_nonoverlapping(text.as_ptr(), area, text.len());
        ptr::write_bytes(area.add(text.len()), 0, room - text.len());
    }
}

/// Where this process's arguments are: `arg_start` and `arg_end` of `/proc/self/stat`.
fn argument_area() -> Option<(usize, usize)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold anything: the third
    // field of the line comes first, so arg_start (the 48th) is at index 45.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let start: usize = fields.get(45)?.parse().ok()?;
    let end: usize = fields.get(46)?.parse().ok()?;
    (start != 0 && end > start).then_some((start, end))
}

/// Flushes the C library's output buffers, so a copy made next does not write them again.
pub(crate) fn flush_c_stdio() {
    // SAFETY: fflush(NULL) flushes every open stdio stream; it takes no other argument.
    unsafe { libc::fflush(ptr::null_mut()) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_threads_identity_is_readable() {
        // Where it is not (no checkpoint/restore in the kernel), the fork server is not started.
        if let Ok(identity) = ThreadIdentity::of_this_thread() {
            assert_ne!(identity.tid_address, 0);
        }
    }

    #[test]
    fn dispositions_are_read_with_ignored_ones_reset() {
        let dispositions = Dispositions::now_with_ignored_reset();
        assert!(dispositions.actions.len() > 30);
        assert!(
            dispositions
                .actions
                .iter()
                .all(|(_, a)| a.sa_sigaction != libc::SIG_IGN)
        );
        assert!(thread_count().unwrap() >= 1);
    }
}
