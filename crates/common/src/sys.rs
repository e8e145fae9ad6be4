//! Thin safe wrappers over the Linux calls the crate needs. Every `unsafe` block lives here.

use std::ffi::CStr;
use std::fs::File;
use std::io;
use std::mem::{self, MaybeUninit};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::ptr::{self, NonNull};
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use crate::error::Exit;

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Nanoseconds on `CLOCK_MONOTONIC`, a clock shared by every process on the machine, so a time
/// written by a worker can be compared with one read by its parent.
pub(crate) fn monotonic_nanos() -> u64 {
    let mut ts = MaybeUninit::<libc::timespec>::uninit();
    // SAFETY: `ts` is valid for writes; CLOCK_MONOTONIC always exists on Linux, so the call
    // cannot fail and fully initialises `ts`.
    let ts = unsafe {
        libc::clock_gettime(libc::CLOCK_MONOTONIC, ts.as_mut_ptr());
        ts.assume_init()
    };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// An anonymous in-memory file of `len` bytes (closed on exec).
pub(crate) fn memfd(name: &CStr, len: usize) -> io::Result<OwnedFd> {
    // SAFETY: `name` is a valid NUL-terminated string; the flags are valid.
    let fd = check(unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) })?;
    // SAFETY: memfd_create returned a fresh descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    File::from(fd.try_clone()?).set_len(len as u64)?;
    Ok(fd)
}

/// A shared, writable mapping of the first page of a file, viewed as 64-bit atomics.
#[derive(Debug)]
pub(crate) struct SharedPage {
    ptr: NonNull<AtomicU64>,
}

const PAGE: usize = 4096;

// SAFETY: the mapping is only ever accessed through atomics, which are safe to share.
unsafe impl Send for SharedPage {}
// SAFETY: as above.
unsafe impl Sync for SharedPage {}

impl SharedPage {
    /// The size to give a memfd that will be mapped.
    pub(crate) const LEN: usize = PAGE;

    pub(crate) fn map(fd: BorrowedFd<'_>) -> io::Result<Self> {
        // SAFETY: we ask for a fresh shared mapping of a descriptor we borrow; the kernel
        // checks the descriptor and the file is at least one page long (see `memfd`).
        let ptr = unsafe {
            libc::mmap(
                ptr::null_mut(),
                PAGE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(ptr.cast::<AtomicU64>()).expect("mmap does not return null");
        Ok(SharedPage { ptr })
    }

    /// The page as 64-bit atomics (the page is zero-filled when the memfd is created).
    pub(crate) fn words(&self) -> &[AtomicU64] {
        // SAFETY: the mapping is PAGE bytes, page-aligned (so aligned for AtomicU64), lives as
        // long as `self`, and is only accessed atomically, by us and by the other process.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), PAGE / 8) }
    }
}

impl Drop for SharedPage {
    fn drop(&mut self) {
        // SAFETY: `ptr` is the start of a PAGE-long mapping made in `map`, and no reference
        // from `words` can outlive `self`.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), PAGE) };
    }
}

/// Sends one descriptor over a Unix socket (SCM_RIGHTS) with a one-byte message.
pub(crate) fn send_fd(sock: &UnixStream, fd: BorrowedFd<'_>) -> io::Result<()> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut space = [0u64; 8]; // CMSG_SPACE(sizeof(int)) is 24 bytes; u64s keep it aligned.
    // SAFETY: msghdr is a plain C struct for which all-zero is a valid value.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = space.as_mut_ptr().cast();
    // SAFETY: CMSG_SPACE is a pure computation.
    msg.msg_controllen = unsafe { libc::CMSG_SPACE(mem::size_of::<RawFd>() as u32) } as usize;
    // SAFETY: msg_control points at `space`, which is large enough for one header plus an int,
    // so CMSG_FIRSTHDR returns a valid, aligned header pointer inside it.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(mem::size_of::<RawFd>() as u32) as usize;
        ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>(), fd.as_raw_fd());
    }
    loop {
        // SAFETY: `msg` and everything it points to are alive for the call.
        let sent = unsafe { libc::sendmsg(sock.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) };
        match sent {
            1 => return Ok(()),
            -1 if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => continue,
            -1 => return Err(io::Error::last_os_error()),
            _ => return Err(io::ErrorKind::WriteZero.into()),
        }
    }
}

/// Receives one descriptor sent by [`send_fd`] (marked close-on-exec).
pub(crate) fn recv_fd(sock: &UnixStream) -> io::Result<OwnedFd> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut space = [0u64; 8];
    // SAFETY: msghdr is a plain C struct for which all-zero is a valid value.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = space.as_mut_ptr().cast();
    msg.msg_controllen = mem::size_of_val(&space);
    let received = loop {
        // SAFETY: `msg` and the buffers it points to are alive and writable for the call.
        let n = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if n == -1 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        break check(n as libc::c_int)?;
    };
    if received == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    // SAFETY: the kernel filled `msg`; CMSG_FIRSTHDR returns null or a header inside `space`.
    let cmsg = unsafe { libc::CMSG_FIRSTHDR(&msg) };
    let kind = (!cmsg.is_null()).then(|| {
        // SAFETY: a non-null `cmsg` points at a complete header written by the kernel.
        unsafe { ((*cmsg).cmsg_level, (*cmsg).cmsg_type) }
    });
    if kind != Some((libc::SOL_SOCKET, libc::SCM_RIGHTS)) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "expected a descriptor",
        ));
    }
    // SAFETY: an SCM_RIGHTS header carries at least one int after it; the kernel installed
    // that descriptor in our table and we are its only owner.
    Ok(unsafe { OwnedFd::from_raw_fd(ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>())) })
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

/// Whether standard input is a socket (a worker's channel is).
pub(crate) fn stdin_is_socket() -> bool {
    // SAFETY: `stat` is valid for writes; fstat on fd 0 has no other preconditions.
    let mut stat: libc::stat = unsafe { mem::zeroed() };
    // SAFETY: as above.
    let ret = unsafe { libc::fstat(0, &mut stat) };
    ret == 0 && stat.st_mode & libc::S_IFMT == libc::S_IFSOCK
}

/// Moves standard input to a new close-on-exec descriptor and puts `/dev/null` in its place, so
/// the worker owns its channel and a task reading stdin sees end-of-file (as in Python).
pub(crate) fn take_stdin() -> io::Result<OwnedFd> {
    // SAFETY: fd 0 is open (it is our channel); F_DUPFD_CLOEXEC returns a fresh descriptor.
    let fd = check(unsafe { libc::fcntl(0, libc::F_DUPFD_CLOEXEC, 3) })?;
    // SAFETY: the descriptor was just created and nothing else owns it.
    let channel = unsafe { OwnedFd::from_raw_fd(fd) };
    let null = File::open("/dev/null")?;
    // SAFETY: both descriptors are open; dup2 atomically replaces fd 0, which we no longer use.
    check(unsafe { libc::dup2(null.as_raw_fd(), 0) })?;
    Ok(channel)
}

/// Waits up to `timeout` for `fd` to become readable (or hung up). Returns whether it did.
pub(crate) fn poll_readable(fd: BorrowedFd<'_>, timeout: Duration) -> io::Result<bool> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        // Round up, so a sub-millisecond wait does not become a busy poll.
        let ms = left.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int;
        // SAFETY: `pfd` is one valid pollfd, alive for the call.
        match unsafe { libc::poll(&mut pfd, 1, ms) } {
            // A signal handler ran: wait again for the time left, not give up early.
            -1 if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
            -1 => return Err(io::Error::last_os_error()),
            0 => return Ok(false),
            _ => return Ok(true),
        }
    }
}

/// Sends `signal` to `pid`. The caller guarantees `pid` is its own unreaped child, so the
/// number cannot have been reused by another process.
pub(crate) fn kill(pid: u32, signal: libc::c_int) -> io::Result<()> {
    // SAFETY: kill takes plain integers; see the guarantee above.
    check(unsafe { libc::kill(pid as libc::pid_t, signal) }).map(drop)
}

/// Waits until child `pid` has ended, without reaping it (`WNOWAIT`), so its number stays
/// reserved until [`reap`]. With `block == false`, returns at once whether it has ended.
pub(crate) fn wait_ended(pid: u32, block: bool) -> io::Result<bool> {
    waitid_ended(libc::P_PID, pid as libc::id_t, block)
}

/// Like [`wait_ended`], but through a pidfd, which names exactly one process even after its
/// number has been reused.
pub(crate) fn wait_ended_pidfd(pidfd: BorrowedFd<'_>, block: bool) -> io::Result<bool> {
    waitid_ended(libc::P_PIDFD, pidfd.as_raw_fd() as libc::id_t, block)
}

fn waitid_ended(idtype: libc::idtype_t, id: libc::id_t, block: bool) -> io::Result<bool> {
    let mut flags = libc::WEXITED | libc::WNOWAIT;
    if !block {
        flags |= libc::WNOHANG;
    }
    loop {
        // SAFETY: siginfo_t is a plain C struct; zeroed lets us detect "no child ready" with
        // WNOHANG (si_pid stays 0).
        let mut info: libc::siginfo_t = unsafe { mem::zeroed() };
        // SAFETY: `info` is valid for writes; the callers pass a valid selector (a pid of ours,
        // or an open pidfd).
        let ret = unsafe { libc::waitid(idtype, id, &mut info, flags) };
        if ret == -1 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        // SAFETY: waitid filled `info` for a child state change (or left it zeroed).
        return Ok(unsafe { info.si_pid() } != 0);
    }
}

/// Reaps child `pid`, which must have ended, and returns how it ended.
pub(crate) fn reap(pid: u32) -> io::Result<Exit> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is valid for writes; pid is our child.
        let ret = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, 0) };
        if ret == -1 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        check(ret)?;
        return Ok(Exit::from_wait_status(status));
    }
}

/// A pidfd for child `pid` (Linux 5.3+): it becomes readable when the process ends.
/// `None` on kernels without pidfds. The caller guarantees `pid` is its unreaped child.
pub(crate) fn pidfd_open(pid: u32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    // SAFETY: a non-negative return is a fresh descriptor that we alone own.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
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

/// Polls `fd` for up to `max` without sleeping; returns whether it became readable.
///
/// On a virtual machine, a thread that blocks on an idle CPU may take tens of microseconds to
/// wake (the CPU halts and must be interrupted awake); an answer that arrives within a few
/// microseconds is cheaper to wait for awake. Callers poll briefly, then block as usual.
/// Between polls the thread yields rather than spins: when the other side runs on this same
/// CPU, spinning would only delay it (a round trip would then cost two whole spins).
pub(crate) fn spin_until_readable(fd: BorrowedFd<'_>, max: Duration) -> bool {
    let start = std::time::Instant::now();
    loop {
        if poll_readable(fd, Duration::ZERO).unwrap_or(true) {
            return true;
        }
        if start.elapsed() >= max {
            return false;
        }
        std::thread::yield_now();
    }
}
