//! Descriptors beside bytes: `sendmsg` and `recvmsg` with SCM_RIGHTS, for the descriptors that
//! travel with task arguments (`attach`) and with the records of queues and pipes (`ipc`); and
//! the sockets and in-memory files those records use.

use std::ffi::CStr;
use std::fs::File;
use std::io;
use std::mem::{self, MaybeUninit};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;

use super::check;

/// The most descriptors one message may carry (the kernel's `SCM_MAX_FD`).
pub(crate) const MAX_FDS: usize = 253;

/// Sends `bytes` (at least one) with `fds` attached, in one `sendmsg`; returns how many bytes
/// went, as `send` does. Never raises SIGPIPE: a peer that is gone is `BrokenPipe`. With
/// `nonblocking`, a full socket is `WouldBlock` instead of a wait.
pub(crate) fn send_with_fds(
    sock: BorrowedFd<'_>,
    bytes: &[u8],
    fds: &[BorrowedFd<'_>],
    nonblocking: bool,
) -> io::Result<usize> {
    assert!(
        fds.len() <= MAX_FDS,
        "at most {MAX_FDS} descriptors per message"
    );
    let mut iov = libc::iovec {
        iov_base: bytes.as_ptr().cast_mut().cast(),
        iov_len: bytes.len(),
    };
    let data_len = mem::size_of_val(fds) as u32;
    // SAFETY: CMSG_SPACE is a pure computation.
    let space_len = unsafe { libc::CMSG_SPACE(data_len) } as usize;
    let mut space = vec![0u64; space_len.div_ceil(8)]; // u64s keep the header aligned
    // SAFETY: msghdr is a plain C struct for which all-zero is a valid value.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if !fds.is_empty() {
        msg.msg_control = space.as_mut_ptr().cast();
        msg.msg_controllen = space_len;
        // SAFETY: msg_control points at `space`, large enough for one header plus the ints, so
        // CMSG_FIRSTHDR returns a valid, aligned header pointer inside it.
        unsafe {
            let cmsg = libc::CMSG_FIRSTHDR(&msg);
            (*cmsg).cmsg_level = libc::SOL_SOCKET;
            (*cmsg).cmsg_type = libc::SCM_RIGHTS;
            (*cmsg).cmsg_len = libc::CMSG_LEN(data_len) as usize;
            let data = libc::CMSG_DATA(cmsg).cast::<RawFd>();
            for (i, fd) in fds.iter().enumerate() {
                ptr::write_unaligned(data.add(i), fd.as_raw_fd());
            }
        }
    }
    let flags = libc::MSG_NOSIGNAL | if nonblocking { libc::MSG_DONTWAIT } else { 0 };
    loop {
        // SAFETY: `msg` and everything it points to (`iov`, `bytes`, `space`) are alive and
        // unchanged for the call.
        let sent = unsafe { libc::sendmsg(sock.as_raw_fd(), &msg, flags) };
        if sent >= 0 {
            return Ok(sent as usize);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// What one [`recv_with_fds`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Received {
    /// Bytes appended to the buffer; 0 at end of file.
    pub len: usize,
    /// The message was longer than the room given (a datagram or record socket drops the rest).
    pub truncated: bool,
}

/// Receives up to `room` bytes into the spare capacity of `buf` (appended, never zero-filled
/// first), and appends every descriptor that came with them to `fds` (close-on-exec). With
/// `nonblocking`, no data yet is `WouldBlock`. A message whose descriptors did not all fit is
/// an error, and those that did arrive are closed.
pub(crate) fn recv_with_fds(
    sock: BorrowedFd<'_>,
    buf: &mut Vec<u8>,
    room: usize,
    fds: &mut Vec<OwnedFd>,
    nonblocking: bool,
) -> io::Result<Received> {
    buf.reserve(room);
    let before = fds.len();
    let (got, dropped) = recv_raw(
        sock,
        &mut buf.spare_capacity_mut()[..room],
        fds,
        nonblocking,
    )?;
    // SAFETY: recvmsg wrote `got.len` bytes (at most `room`) at the start of the spare room.
    unsafe { buf.set_len(buf.len() + got.len) };
    if dropped {
        fds.truncate(before); // closes what arrived
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "a message carried more descriptors than could be received",
        ));
    }
    Ok(got)
}

/// A blocking `read` into a slice that keeps the descriptors that come (appended to `fds`).
/// Unlike [`recv_with_fds`], descriptors the kernel dropped (this process's table was full)
/// are not an error: they come back as fewer descriptors than were sent, for the caller to
/// notice; what did arrive is kept.
pub(crate) fn read_with_fds(
    sock: BorrowedFd<'_>,
    buf: &mut [u8],
    fds: &mut Vec<OwnedFd>,
) -> io::Result<usize> {
    // SAFETY: the slice is only written to, by the kernel, with initialised bytes, so it stays
    // a valid `[u8]`.
    let room = unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) };
    recv_raw(sock, room, fds, false).map(|(got, _)| got.len)
}

/// One `recvmsg`; also says whether descriptors were dropped (MSG_CTRUNC: no room in the
/// message's control data, or in this process's descriptor table).
fn recv_raw(
    sock: BorrowedFd<'_>,
    room: &mut [MaybeUninit<u8>],
    fds: &mut Vec<OwnedFd>,
    nonblocking: bool,
) -> io::Result<(Received, bool)> {
    let mut iov = libc::iovec {
        iov_base: room.as_mut_ptr().cast(),
        iov_len: room.len(),
    };
    // Room for the most descriptors one message can carry.
    // SAFETY: CMSG_SPACE is a pure computation.
    let space_len = unsafe { libc::CMSG_SPACE((MAX_FDS * mem::size_of::<RawFd>()) as u32) };
    let mut space = vec![0u64; (space_len as usize).div_ceil(8)];
    // SAFETY: msghdr is a plain C struct for which all-zero is a valid value.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = space.as_mut_ptr().cast();
    msg.msg_controllen = space_len as usize;
    let flags = libc::MSG_CMSG_CLOEXEC | if nonblocking { libc::MSG_DONTWAIT } else { 0 };
    let len = loop {
        // SAFETY: `msg` points at `iov` (`room`, valid for its length of writes) and at
        // `space`; all are alive for the call.
        let n = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut msg, flags) };
        if n >= 0 {
            break n as usize;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    };
    // SAFETY: the kernel filled `msg`; CMSG_FIRSTHDR and CMSG_NXTHDR return null or a complete
    // header inside `space`. For SCM_RIGHTS the data is `cmsg_len - CMSG_LEN(0)` bytes of ints,
    // each a descriptor the kernel installed in our table, which we alone own.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            if ((*cmsg).cmsg_level, (*cmsg).cmsg_type) == (libc::SOL_SOCKET, libc::SCM_RIGHTS) {
                let count = ((*cmsg).cmsg_len - libc::CMSG_LEN(0) as usize) / 4;
                let data = libc::CMSG_DATA(cmsg).cast::<RawFd>();
                for i in 0..count {
                    fds.push(OwnedFd::from_raw_fd(ptr::read_unaligned(data.add(i))));
                }
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    let received = Received {
        len,
        truncated: msg.msg_flags & libc::MSG_TRUNC != 0,
    };
    Ok((received, msg.msg_flags & libc::MSG_CTRUNC != 0))
}

/// A connected pair of `SOCK_SEQPACKET` Unix sockets (close-on-exec): each `send` is one
/// record, delivered whole or not at all, to exactly one reader, however many processes read.
pub(crate) fn seqpacket_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors socketpair writes.
    check(unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    })?;
    // SAFETY: socketpair succeeded: both are fresh descriptors that nothing else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// A new in-memory file (close-on-exec) that may be sealed.
pub(crate) fn memfd(name: &CStr) -> io::Result<File> {
    let flags = libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING;
    // SAFETY: `name` is a valid NUL-terminated string; the flags are valid.
    let fd = check(unsafe { libc::memfd_create(name.as_ptr(), flags) })?;
    // SAFETY: memfd_create returned a fresh descriptor that nothing else owns.
    Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd) }))
}

/// Seals `file` (a [`memfd`]) against `seals` (`F_SEAL_*`), for good.
pub(crate) fn add_seals(file: &File, seals: libc::c_int) -> io::Result<()> {
    // SAFETY: F_ADD_SEALS takes an integer set of seals on an open descriptor.
    check(unsafe { libc::fcntl(file.as_raw_fd(), libc::F_ADD_SEALS, seals) }).map(drop)
}

/// The seals of `fd` (0 for a file that cannot be sealed).
pub(crate) fn seals(fd: BorrowedFd<'_>) -> io::Result<libc::c_int> {
    // SAFETY: F_GET_SEALS takes no argument and returns an integer.
    match unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GET_SEALS) } {
        -1 if io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) => Ok(0),
        ret => check(ret),
    }
}

/// Waits until `fd` is ready for `events` (or hung up, or in error), or `timeout_ms` passes
/// (-1: no limit). Returns the events that happened (0 on a timeout). Interrupted waits are
/// the caller's to retry with the time left.
pub(crate) fn poll_once(
    fd: BorrowedFd<'_>,
    events: libc::c_short,
    timeout_ms: libc::c_int,
) -> io::Result<libc::c_short> {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events,
        revents: 0,
    };
    // SAFETY: `pfd` is one valid pollfd, alive for the call.
    match unsafe { libc::poll(&mut pfd, 1, timeout_ms) } {
        -1 => Err(io::Error::last_os_error()),
        _ => Ok(pfd.revents),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsFd;

    #[test]
    fn records_keep_their_bounds_and_their_descriptors() {
        let (a, b) = seqpacket_pair().unwrap();
        let file = memfd(c"test").unwrap();
        send_with_fds(a.as_fd(), b"one", &[file.as_fd()], false).unwrap();
        send_with_fds(a.as_fd(), b"two!", &[], false).unwrap();
        let (mut buf, mut fds) = (Vec::new(), Vec::new());
        let got = recv_with_fds(b.as_fd(), &mut buf, 100, &mut fds, false).unwrap();
        assert_eq!((got.len, &buf[..], fds.len()), (3, &b"one"[..], 1));
        let got = recv_with_fds(b.as_fd(), &mut buf, 2, &mut fds, false).unwrap();
        assert_eq!(
            got,
            Received {
                len: 2,
                truncated: true
            }
        );
        assert_eq!(&buf[..], b"onetw");
        let again = recv_with_fds(b.as_fd(), &mut buf, 10, &mut fds, true).unwrap_err();
        assert_eq!(again.kind(), io::ErrorKind::WouldBlock);
        drop(a);
        let eof = recv_with_fds(b.as_fd(), &mut buf, 10, &mut fds, false).unwrap();
        assert_eq!(eof.len, 0);
    }

    #[test]
    fn a_sealed_memfd_says_so() {
        let mut file = memfd(c"test").unwrap();
        file.write_all(b"abc").unwrap();
        assert_eq!(seals(file.as_fd()).unwrap() & libc::F_SEAL_WRITE, 0);
        add_seals(&file, libc::F_SEAL_WRITE | libc::F_SEAL_SHRINK).unwrap();
        assert_ne!(seals(file.as_fd()).unwrap() & libc::F_SEAL_WRITE, 0);
        assert!(file.write_all(b"d").is_err());
        let pipe = std::io::pipe().unwrap();
        assert_eq!(seals(pipe.0.as_fd()).unwrap(), 0);
    }
}
