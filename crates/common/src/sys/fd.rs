//! Descriptors: a sealed memfd and its shared page, waiting on two descriptors at once, and
//! what a worker does with its descriptors at start.

use std::ffi::CStr;
use std::fs::File;
use std::io;
use std::mem;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use std::ptr::{self, NonNull};
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use super::{check, poll_timeout};

/// An anonymous in-memory file of `len` bytes (closed on exec), sealed against shrinking and
/// growing. Whoever holds it can write its bytes but never resize it, so a mapping of it cannot
/// fault (SIGBUS) because the other side truncated the file.
pub(crate) fn sealed_memfd(name: &CStr, len: usize) -> io::Result<OwnedFd> {
    let file = super::memfd(name)?;
    file.set_len(len as u64)?;
    super::add_seals(
        &file,
        libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL,
    )?;
    Ok(file.into())
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

    /// Maps the first page of `fd`, which must be at least [`Self::LEN`] long and sealed against
    /// shrinking (see [`sealed_memfd`]). The descriptor may be closed afterwards.
    pub(crate) fn map(fd: BorrowedFd<'_>) -> io::Result<Self> {
        // SAFETY: we ask for a fresh shared mapping of a descriptor we borrow; the kernel
        // checks the descriptor, and the file is at least one page long and cannot shrink.
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

/// Makes reads and writes on `fd` return `WouldBlock` instead of waiting.
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: F_GETFL and F_SETFL take and return plain integers on an open descriptor.
    unsafe {
        let flags = check(libc::fcntl(fd.as_raw_fd(), libc::F_GETFL))?;
        check(libc::fcntl(
            fd.as_raw_fd(),
            libc::F_SETFL,
            flags | libc::O_NONBLOCK,
        ))?;
    }
    Ok(())
}

/// Which of two descriptors [`poll_either`] found ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ready {
    First,
    Second,
    TimedOut,
}

/// Waits until `first` is ready for `events` (or hung up, or in error), or `second` is
/// readable, or `deadline` passes (`None`: no deadline). `first` wins when both are ready.
pub(crate) fn poll_either(
    first: BorrowedFd<'_>,
    events: libc::c_short,
    second: BorrowedFd<'_>,
    deadline: Option<Instant>,
) -> io::Result<Ready> {
    loop {
        let mut fds = [
            libc::pollfd {
                fd: first.as_raw_fd(),
                events,
                revents: 0,
            },
            libc::pollfd {
                fd: second.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: `fds` is an array of two valid pollfds, alive for the call.
        match unsafe { libc::poll(fds.as_mut_ptr(), 2, poll_timeout(deadline)) } {
            // A signal handler ran: wait again for the time left, not give up early.
            -1 if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
            -1 => return Err(io::Error::last_os_error()),
            0 => return Ok(Ready::TimedOut),
            _ if fds[0].revents != 0 => return Ok(Ready::First),
            _ => return Ok(Ready::Second),
        }
    }
}

/// Waits up to `timeout` for `fd` to become readable (or hung up). Returns whether it did.
pub(crate) fn poll_readable(fd: BorrowedFd<'_>, timeout: Duration) -> io::Result<bool> {
    let deadline = super::deadline(timeout);
    loop {
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: `pfd` is one valid pollfd, alive for the call.
        match unsafe { libc::poll(&mut pfd, 1, poll_timeout(deadline)) } {
            // A signal handler ran: wait again for the time left, not give up early.
            -1 if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
            -1 => return Err(io::Error::last_os_error()),
            0 => return Ok(false),
            _ => return Ok(true),
        }
    }
}

/// Polls `fd` for up to `max` without sleeping; returns whether it became readable.
///
/// On a virtual machine, a thread that blocks on an idle CPU may take tens of microseconds to
/// wake (the CPU halts and must be interrupted awake); an answer that arrives within a few
/// microseconds is cheaper to wait for awake. Callers poll briefly, then block as usual.
/// Between polls the thread yields rather than spins: when the other side runs on this same
/// CPU, spinning would only delay it (a round trip would then cost two whole spins).
pub(crate) fn spin_until_readable(fd: BorrowedFd<'_>, max: Duration) -> bool {
    let start = Instant::now();
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

/// A copy of `fd` at 3 or above (close-on-exec), so that it is not one of the standard streams.
pub(crate) fn above_stdio(fd: OwnedFd) -> io::Result<OwnedFd> {
    if fd.as_raw_fd() > 2 {
        return Ok(fd);
    }
    // SAFETY: F_DUPFD_CLOEXEC returns a fresh descriptor (or -1) for an open one.
    let copy = check(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) })?;
    // SAFETY: the descriptor was just created and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(copy) })
}

/// Closes every descriptor from `first` up (`close_range`, Linux 5.9).
pub(crate) fn close_from(first: RawFd) -> io::Result<()> {
    // SAFETY: close_range takes plain integers; the caller owns no descriptor in the range.
    let ret = unsafe { libc::syscall(libc::SYS_close_range, first as u32, u32::MAX, 0) };
    check(ret as libc::c_int).map(drop)
}

/// A copy of `fd` on a new close-on-exec descriptor near the top of the table (below the soft
/// limit on open files, and no higher than about a thousand, so the table stays small). Code
/// that closes a handful of low descriptors (3, 4, 5…), as daemonizing code does, misses it.
pub(crate) fn move_high(fd: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is valid for writes.
    check(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) })?;
    let floor = (limit.rlim_cur.min(1024) as RawFd - 32).max(3);
    // SAFETY: F_DUPFD_CLOEXEC returns a fresh descriptor at or above `floor` for an open one.
    let high = check(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, floor) })?;
    // SAFETY: the descriptor was just created and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(high) })
}

/// Whether standard input is a socket (a new worker's channel is, until it moves high).
pub(crate) fn stdin_is_socket() -> bool {
    // SAFETY: an all-zero `stat` is a valid value for fstat to overwrite.
    let mut stat: libc::stat = unsafe { mem::zeroed() };
    // SAFETY: `stat` is valid for writes; fstat on fd 0 has no other preconditions.
    let ret = unsafe { libc::fstat(0, &mut stat) };
    ret == 0 && stat.st_mode & libc::S_IFMT == libc::S_IFSOCK
}

/// Puts `/dev/null` on standard input, so a task that reads it sees end of file (as in Python).
pub(crate) fn stdin_from_dev_null() -> io::Result<()> {
    let null = File::open("/dev/null")?;
    // SAFETY: both descriptors are open; dup2 atomically replaces fd 0.
    check(unsafe { libc::dup2(null.as_raw_fd(), 0) }).map(drop)
}

/// Replaces `fd` with `/dev/null`, keeping its number taken. Only async-signal-safe calls, so
/// it may run in a child just forked from a multi-threaded process.
pub(crate) fn replace_with_dev_null(fd: RawFd) {
    // SAFETY: open, dup3 and close are async-signal-safe and take a static NUL-terminated path
    // and plain integers; a failure leaves `fd` as it was, which the caller accepts.
    unsafe {
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
        if null >= 0 {
            libc::dup3(null, fd, libc::O_CLOEXEC);
            libc::close(null);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_memfd_cannot_be_resized() {
        let fd = sealed_memfd(c"test", SharedPage::LEN).unwrap();
        let file = File::from(fd);
        assert_eq!(file.metadata().unwrap().len(), SharedPage::LEN as u64);
        for len in [0, 1, 2 * SharedPage::LEN as u64] {
            let err = file.set_len(len).unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EPERM), "set_len({len})");
        }
    }
}
