//! Messages that carry descriptors (SCM_RIGHTS) on a Unix socket, and the packet socket pair
//! the fork server is driven through.

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;

use super::check;

/// A connected pair of Unix packet sockets (SOCK_SEQPACKET: each message arrives whole and
/// alone, with the descriptors sent with it), closed on exec.
pub(crate) fn packet_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    let kind = libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC;
    // SAFETY: socketpair writes two descriptors into the valid two-element array.
    check(unsafe { libc::socketpair(libc::AF_UNIX, kind, 0, fds.as_mut_ptr()) })?;
    // SAFETY: both descriptors are fresh and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Room for the control data of up to this many descriptors, in `u64`s (so it is aligned).
const MAX_FDS: usize = 8;
const CONTROL_WORDS: usize = (MAX_FDS * 4 + 32).div_ceil(8);

/// Sends `bytes` (at least one) with `fds` attached, in one `sendmsg`. Returns how many bytes
/// went (all of them on a packet socket).
pub(crate) fn send_with_fds(
    sock: BorrowedFd<'_>,
    bytes: &[u8],
    fds: &[BorrowedFd<'_>],
) -> io::Result<usize> {
    assert!(fds.len() <= MAX_FDS && !bytes.is_empty());
    let mut iov = libc::iovec {
        iov_base: bytes.as_ptr().cast_mut().cast(),
        iov_len: bytes.len(),
    };
    let data_len = mem::size_of_val(fds) as u32;
    let mut space = [0u64; CONTROL_WORDS];
    // SAFETY: msghdr is a plain C struct for which all-zero is a valid value.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if !fds.is_empty() {
        msg.msg_control = space.as_mut_ptr().cast();
        // SAFETY: CMSG_SPACE is a pure computation.
        msg.msg_controllen = unsafe { libc::CMSG_SPACE(data_len) } as usize;
        // SAFETY: msg_control points at `space`, large enough for one header plus MAX_FDS ints,
        // so CMSG_FIRSTHDR returns a valid, aligned header pointer inside it.
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
    loop {
        // SAFETY: `msg` and everything it points to are alive for the call.
        let sent = unsafe { libc::sendmsg(sock.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) };
        match sent {
            -1 if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => continue,
            -1 => return Err(io::Error::last_os_error()),
            n => return Ok(n as usize),
        }
    }
}

/// Receives one message into `buf` and the descriptors that came with it (marked
/// close-on-exec). `Ok((0, []))` at end of file. A message that did not fit `buf` is an error;
/// descriptors that could not be received (no room in the message, or in this process's table:
/// the kernel then drops them) come back as fewer descriptors than were sent.
pub(crate) fn recv_with_fds(
    sock: BorrowedFd<'_>,
    buf: &mut [u8],
) -> io::Result<(usize, Vec<OwnedFd>)> {
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut space = [0u64; CONTROL_WORDS];
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
        break check(n as libc::c_int)? as usize;
    };
    let mut fds = Vec::new();
    // SAFETY: the kernel filled `msg`; CMSG_FIRSTHDR and CMSG_NXTHDR return null or a complete
    // header inside `space`.
    let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(&msg) };
    while !cmsg.is_null() {
        // SAFETY: a non-null `cmsg` points at a complete header written by the kernel; for
        // SCM_RIGHTS its data is `cmsg_len - CMSG_LEN(0)` bytes of ints, each a descriptor the
        // kernel installed in our table, which we alone own.
        unsafe {
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
    if msg.msg_flags & libc::MSG_TRUNC != 0 {
        // Dropping `fds` closes whatever arrived.
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "a message did not fit",
        ));
    }
    Ok((received, fds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn packets_carry_their_descriptors() {
        let (a, b) = packet_pair().unwrap();
        let (x, _y) = packet_pair().unwrap();
        assert_eq!(send_with_fds(a.as_fd(), b"hello", &[x.as_fd()]).unwrap(), 5);
        send_with_fds(a.as_fd(), b"bye", &[]).unwrap();
        let mut buf = [0; 16];
        let (n, fds) = recv_with_fds(b.as_fd(), &mut buf).unwrap();
        assert_eq!((&buf[..n], fds.len()), (&b"hello"[..], 1));
        let (n, fds) = recv_with_fds(b.as_fd(), &mut buf).unwrap();
        assert_eq!((&buf[..n], fds.len()), (&b"bye"[..], 0));
        drop(a);
        assert_eq!(recv_with_fds(b.as_fd(), &mut buf).unwrap().0, 0);
    }
}
