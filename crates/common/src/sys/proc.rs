//! Processes: starting one, pidfds (the only way this crate signals or waits for a child, so a
//! number reused by another process can never be hit), and a worker's process-wide settings.

use std::ffi::{CStr, CString};
use std::io;
use std::mem;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;
use std::sync::OnceLock;

use super::check;
use crate::error::Exit;

/// Runs `path` with `argv` and `envp` in a new child process whose standard input is `stdin`
/// and whose standard output and error are ours. The child starts clean: every signal at its
/// default disposition and none blocked, whatever this process and this thread had (an ignored
/// SIGTERM, say, would otherwise survive `exec` and make `terminate` do nothing). Returns its
/// pid. `stdin` must not be one of the standard streams itself (see [`above_stdio`]).
///
/// [`above_stdio`]: super::above_stdio
pub(crate) fn spawn(
    path: &CStr,
    argv: &[CString],
    envp: &[CString],
    stdin: BorrowedFd<'_>,
) -> io::Result<u32> {
    let argv: Vec<*mut libc::c_char> = argv
        .iter()
        .map(|a| a.as_ptr().cast_mut())
        .chain([ptr::null_mut()])
        .collect();
    let envp: Vec<*mut libc::c_char> = envp
        .iter()
        .map(|e| e.as_ptr().cast_mut())
        .chain([ptr::null_mut()])
        .collect();
    // posix_spawn reports errors as its return value, not in errno.
    let fail = |ret: libc::c_int| match ret {
        0 => Ok(()),
        e => Err(io::Error::from_raw_os_error(e)),
    };
    // SAFETY: the attribute and file-action objects are initialised before use and destroyed
    // after; every pointer passed (path, the NULL-terminated argv and envp arrays, the pid) is
    // valid for the call. posix_spawn itself forks safely from a multi-threaded process.
    unsafe {
        let mut actions: libc::posix_spawn_file_actions_t = mem::zeroed();
        let mut attr: libc::posix_spawnattr_t = mem::zeroed();
        fail(libc::posix_spawn_file_actions_init(&mut actions))?;
        if let Err(e) = fail(libc::posix_spawnattr_init(&mut attr)) {
            libc::posix_spawn_file_actions_destroy(&mut actions);
            return Err(e);
        }
        let mut defaults: libc::sigset_t = mem::zeroed();
        libc::sigfillset(&mut defaults);
        libc::sigdelset(&mut defaults, libc::SIGKILL);
        libc::sigdelset(&mut defaults, libc::SIGSTOP);
        let mut mask: libc::sigset_t = mem::zeroed();
        libc::sigemptyset(&mut mask);
        let flags = (libc::POSIX_SPAWN_SETSIGDEF | libc::POSIX_SPAWN_SETSIGMASK) as libc::c_short;
        let mut pid: libc::pid_t = 0;
        let result = fail(libc::posix_spawn_file_actions_adddup2(
            &mut actions,
            stdin.as_raw_fd(),
            0,
        ))
        .and_then(|()| fail(libc::posix_spawnattr_setflags(&mut attr, flags)))
        .and_then(|()| fail(libc::posix_spawnattr_setsigdefault(&mut attr, &defaults)))
        .and_then(|()| fail(libc::posix_spawnattr_setsigmask(&mut attr, &mask)))
        .and_then(|()| {
            fail(libc::posix_spawn(
                &mut pid,
                path.as_ptr(),
                &actions,
                &attr,
                argv.as_ptr(),
                envp.as_ptr(),
            ))
        });
        libc::posix_spawnattr_destroy(&mut attr);
        libc::posix_spawn_file_actions_destroy(&mut actions);
        result.map(|()| pid as u32)
    }
}

/// A pidfd for process `pid` (Linux 5.3): it names that one process even after its number is
/// reused, and becomes readable when it ends. Fails if `pid` is not our unreaped child.
pub(crate) fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    check(fd as libc::c_int)?;
    // SAFETY: a non-negative return is a fresh descriptor that we alone own.
    let pidfd = unsafe { OwnedFd::from_raw_fd(fd as RawFd) };
    // A pid reaped by someone else between the spawn and this call, and reused, would give a
    // pidfd of a stranger: it is not our child, which waitid says.
    match pidfd_wait(pidfd.as_fd(), false, false) {
        Err(e) if e.raw_os_error() == Some(libc::ECHILD) => Err(io::Error::other(format!(
            "process {pid} was reaped by someone else before it could be watched"
        ))),
        _ => Ok(pidfd),
    }
}

/// Sends `signal` to the process `pidfd` names (Linux 5.1). Once that process has been reaped
/// this fails with ESRCH; it never reaches another process.
pub(crate) fn pidfd_send_signal(pidfd: BorrowedFd<'_>, signal: libc::c_int) -> io::Result<()> {
    // SAFETY: pidfd_send_signal takes a descriptor, a signal number, a null siginfo (meaning
    // "as kill would send it") and flags.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            signal,
            ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    check(ret as libc::c_int).map(drop)
}

/// How the child `pidfd` names ended, through `waitid(P_PIDFD)` (Linux 5.4); `None` while it
/// runs (only without `block`). With `reap` the child is reaped; otherwise it stays a zombie,
/// so that a later call can still read its status. ECHILD means it is not our child (any more:
/// someone else reaped it).
pub(crate) fn pidfd_wait(
    pidfd: BorrowedFd<'_>,
    block: bool,
    reap: bool,
) -> io::Result<Option<Exit>> {
    // __WALL: children forked by the fork server are "clone children" (no exit signal), which
    // waitid skips without it.
    let mut flags = libc::WEXITED | libc::__WALL;
    if !block {
        flags |= libc::WNOHANG;
    }
    if !reap {
        flags |= libc::WNOWAIT;
    }
    loop {
        // SAFETY: siginfo_t is a plain C struct; zeroed lets us detect "still running" with
        // WNOHANG (si_pid stays 0).
        let mut info: libc::siginfo_t = unsafe { mem::zeroed() };
        // SAFETY: `info` is valid for writes; `pidfd` is an open pidfd.
        let ret = unsafe {
            libc::waitid(
                libc::P_PIDFD,
                pidfd.as_raw_fd() as libc::id_t,
                &mut info,
                flags,
            )
        };
        if ret == -1 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        // SAFETY: waitid filled `info` for a child state change (or left it zeroed).
        let (pid, status) = unsafe { (info.si_pid(), info.si_status()) };
        if pid == 0 {
            return Ok(None);
        }
        return Ok(Some(match info.si_code {
            libc::CLD_EXITED => Exit::Code(status),
            _ => Exit::Signal(status),
        }));
    }
}

/// Whether this kernel has what the crate relies on: pidfds to signal and wait (5.4), and
/// `close_range` (5.9). Checked once; the error says what is missing.
pub(crate) fn kernel_support() -> Result<(), String> {
    static SUPPORT: OnceLock<Result<(), String>> = OnceLock::new();
    SUPPORT
        .get_or_init(|| {
            let release = kernel_release();
            let missing = |what: &str, version: &str, error: io::Error| {
                Err(format!(
                    "{what} is not available here ({error}): the pool needs Linux {version} or \
                     newer, and this kernel is {release}"
                ))
            };
            // SAFETY: pidfd_open takes a pid and flags; we own the descriptor it returns.
            let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, libc::getpid(), 0) };
            if fd < 0 {
                return missing("pidfd_open", "5.3", io::Error::last_os_error());
            }
            // SAFETY: the descriptor was just created and nothing else owns it.
            let pidfd = unsafe { OwnedFd::from_raw_fd(fd as RawFd) };
            if let Err(e) = pidfd_send_signal(pidfd.as_fd(), 0) {
                return missing("pidfd_send_signal", "5.1", e);
            }
            // Ourselves are not our child (ECHILD); an old kernel rejects P_PIDFD (EINVAL).
            if let Err(e) = pidfd_wait(pidfd.as_fd(), false, false)
                && e.raw_os_error() == Some(libc::EINVAL)
            {
                return missing("waitid(P_PIDFD)", "5.4", e);
            }
            // SAFETY: closes the empty range [u32::MAX, u32::MAX]: nothing, where it exists.
            let ret = unsafe { libc::syscall(libc::SYS_close_range, u32::MAX, u32::MAX, 0) };
            if ret != 0 {
                return missing("close_range", "5.9", io::Error::last_os_error());
            }
            Ok(())
        })
        .clone()
}

/// The kernel's release, as `uname -r` prints it.
fn kernel_release() -> String {
    // SAFETY: utsname is a plain C struct of byte arrays; uname fills it.
    let mut name: libc::utsname = unsafe { mem::zeroed() };
    // SAFETY: `name` is valid for writes.
    if unsafe { libc::uname(&mut name) } != 0 {
        return "unknown".to_owned();
    }
    let release: Vec<u8> = name
        .release
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&release).into_owned()
}

/// Asks the kernel to send `signal` to this process when the thread that created it exits.
pub(crate) fn set_parent_death_signal(signal: libc::c_int) -> io::Result<()> {
    // SAFETY: PR_SET_PDEATHSIG takes a signal number and no pointers.
    check(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, signal as libc::c_ulong, 0, 0, 0) })
        .map(drop)
}

/// This process's parent.
pub(crate) fn parent_pid() -> u32 {
    // SAFETY: getppid has no preconditions and cannot fail.
    unsafe { libc::getppid() as u32 }
}

/// Sets this thread's name, which for the main thread is the process name `top` and `ps -o
/// comm` show (at most 15 bytes; longer names are cut).
pub(crate) fn set_process_name(name: &str) {
    let mut bytes: Vec<u8> = name.bytes().filter(|&b| b != 0).take(15).collect();
    bytes.push(0);
    // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes from a pointer that
    // stays valid for the call.
    unsafe { libc::prctl(libc::PR_SET_NAME, bytes.as_ptr() as libc::c_ulong, 0, 0, 0) };
}

/// Ignores SIGPIPE, as the Rust runtime does before `main`: a write to a closed pipe or socket
/// is then an error (`EPIPE`), not the death of the process.
pub(crate) fn ignore_sigpipe() {
    // SAFETY: setting a disposition to SIG_IGN is always sound.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}

/// Registers `handler` to run in the child after every `fork()` of this process (through
/// `pthread_atfork`, so raw `clone` calls do not run it). The handler may only make
/// async-signal-safe calls.
pub(crate) fn after_fork_in_child(handler: extern "C" fn()) -> io::Result<()> {
    // SAFETY: pthread_atfork takes optional plain function pointers; `handler` is a static fn.
    match unsafe { libc::pthread_atfork(None, None, Some(handler)) } {
        0 => Ok(()),
        e => Err(io::Error::from_raw_os_error(e)),
    }
}

/// Ends this process at once with `code`, running no exit handler and flushing nothing: what
/// a forked copy must do, so that it does not flush buffers that belong to its parent.
pub(crate) fn exit_now(code: i32) -> ! {
    // SAFETY: _exit has no preconditions and never returns.
    unsafe { libc::_exit(code) }
}

/// Kills and reaps `pid` by number. Sound only for a child just started that nothing can have
/// reaped yet (see [`Child::adopt`](crate::child::Child::adopt)); everything else goes through
/// a pidfd.
pub(crate) fn kill_fresh_child(pid: u32) {
    let mut status = 0;
    // SAFETY: kill and waitpid take plain integers and a valid pointer; `pid` is our child,
    // unreaped (the caller's guarantee), so its number cannot have been reused.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGKILL);
        while libc::waitpid(pid as libc::pid_t, &mut status, libc::__WALL) == -1
            && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
        {}
    }
}
