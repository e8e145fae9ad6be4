//! A memory file both sides of a channel hold: the sender writes a large body into it, the
//! socket carries only its length, and the receiver reads it out.
//!
//! Read and written with `pread`/`pwrite`, never mapped: the kernel copies the bytes in and
//! out, so neither side ever sees memory that the other changes under it (a worker's task could
//! write the file, or shrink it, at any moment: the parent then reads wrong bytes or too few,
//! which decoding reports, never a fault). A Unix socket carries 200-odd KiB before its writer
//! must wait for the reader; through the file, one copy in and one out move a chunk of any size
//! without the two processes taking turns.

use std::ffi::CStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::fs::FileExt;

use super::check;

/// One direction's shared file.
#[derive(Debug)]
pub(crate) struct SharedFile {
    file: File,
}

impl SharedFile {
    /// A new, empty memory file (closed on exec).
    pub(crate) fn create(name: &CStr) -> io::Result<SharedFile> {
        // SAFETY: `name` is a valid NUL-terminated string; the flag is valid.
        let fd = check(unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) })?;
        // SAFETY: memfd_create returned a fresh descriptor that nothing else owns.
        Ok(SharedFile {
            file: File::from(unsafe { OwnedFd::from_raw_fd(fd) }),
        })
    }

    /// The other side's view of a file received from it.
    pub(crate) fn from_fd(fd: OwnedFd) -> SharedFile {
        SharedFile {
            file: File::from(fd),
        }
    }

    /// Writes `bytes` at the start of the file (growing it as needed).
    pub(crate) fn write(&self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all_at(bytes, 0)
    }

    /// Appends the first `len` bytes of the file to `buf`, without zero-filling the room first.
    /// Fewer bytes than that (the file was shrunk by the other side) is `UnexpectedEof`.
    pub(crate) fn read_into(&self, buf: &mut Vec<u8>, len: usize) -> io::Result<()> {
        buf.try_reserve_exact(len)
            .map_err(|e| io::Error::new(io::ErrorKind::OutOfMemory, e))?;
        let mut done = 0;
        while done < len {
            let spare = &mut buf.spare_capacity_mut()[..len - done];
            // SAFETY: pread writes at most `spare.len()` bytes into the spare capacity, which
            // is valid for writes; the bytes it wrote are then initialised.
            let n = unsafe {
                libc::pread(
                    std::os::fd::AsRawFd::as_raw_fd(&self.file),
                    spare.as_mut_ptr().cast(),
                    spare.len(),
                    done as libc::off_t,
                )
            };
            match n {
                -1 if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => continue,
                -1 => return Err(io::Error::last_os_error()),
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => {
                    // SAFETY: pread initialised the next `n` bytes of the spare capacity.
                    unsafe { buf.set_len(buf.len() + n as usize) };
                    done += n as usize;
                }
            }
        }
        Ok(())
    }

    /// Its size now.
    pub(crate) fn len(&self) -> u64 {
        self.file.metadata().map_or(0, |m| m.len())
    }

    /// Gives its memory back (after a large body, so an idle worker stays small).
    pub(crate) fn clear(&self) {
        let _ = self.file.set_len(0);
    }
}

impl AsFd for SharedFile {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_go_through_and_a_short_file_is_an_error() {
        let ours = SharedFile::create(c"test").unwrap();
        let theirs = SharedFile::from_fd(ours.as_fd().try_clone_to_owned().unwrap());
        ours.write(b"hello, world").unwrap();
        let mut buf = b"head:".to_vec();
        theirs.read_into(&mut buf, 5).unwrap();
        assert_eq!(buf, b"head:hello");
        ours.clear();
        assert_eq!(theirs.len(), 0);
        let err = theirs.read_into(&mut Vec::new(), 5).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }
}
