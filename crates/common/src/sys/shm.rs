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
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::FileExt;

/// One direction's shared file.
#[derive(Debug)]
pub(crate) struct SharedFile {
    file: File,
}

impl SharedFile {
    /// A new, empty memory file (closed on exec).
    pub(crate) fn create(name: &CStr) -> io::Result<SharedFile> {
        Ok(SharedFile {
            file: super::memfd(name)?,
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
        // Exactly the room needed (a body's size is known), on huge pages if it is large.
        buf.try_reserve_exact(len)
            .map_err(|e| io::Error::new(io::ErrorKind::OutOfMemory, e))?;
        reserve(buf, len);
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

    /// The first `len` bytes of the file, mapped read-only (and read in at once, so reading
    /// them takes no page fault per page).
    ///
    /// # Safety
    /// The other side must neither change nor shrink those bytes while the mapping lives: the
    /// mapping is read as an ordinary `&[u8]`, and a page cut off by a shrink faults (SIGBUS).
    /// (A worker maps what its parent wrote, and the parent touches the file again only after
    /// the worker has answered.) The file must be at least `len` bytes long now.
    pub(crate) unsafe fn map(&self, len: usize) -> io::Result<Mapping> {
        if len == 0 {
            return Ok(Mapping {
                ptr: std::ptr::NonNull::dangling(),
                len: 0,
            });
        }
        // SAFETY: a fresh read-only shared mapping of a descriptor we hold; the kernel checks
        // the descriptor and the length.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_SHARED | libc::MAP_POPULATE,
                std::os::fd::AsRawFd::as_raw_fd(&self.file),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = std::ptr::NonNull::new(ptr.cast()).expect("mmap does not return null");
        Ok(Mapping { ptr, len })
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

/// The first bytes of a [`SharedFile`], mapped (see [`SharedFile::map`]); unmapped on drop.
#[derive(Debug)]
pub(crate) struct Mapping {
    ptr: std::ptr::NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is read-only memory that nothing in this process writes.
unsafe impl Send for Mapping {}

impl std::ops::Deref for Mapping {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: `ptr` is a read-only mapping of `len` bytes (or dangling with 0), alive as
        // long as `self`, which the other side leaves unchanged (the contract of `map`).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: `ptr` and `len` are a mapping made by `map`, and no slice from `deref`
            // outlives `self`.
            unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
        }
    }
}

/// Buffers at least this large ask for huge pages.
const HUGE: usize = 4 << 20;
/// The size of a huge page (x86-64 and arm64 with 4 KiB pages).
const HUGE_PAGE: usize = 2 << 20;

/// Makes room for `additional` more bytes in `buf` (at least doubling it), and asks the kernel
/// to back a large buffer's fresh room with huge pages (`MADV_HUGEPAGE`).
///
/// Fresh memory is paid for at first touch, a page fault per page: on the virtual machines this
/// crate is measured on, about 2 µs per 4 KiB page, 33 ms for 64 MiB, more than copying the
/// bytes. A 2 MiB page is one fault. (Where the kernel has transparent huge pages off, the
/// advice does nothing.)
pub(crate) fn reserve(buf: &mut Vec<u8>, additional: usize) {
    if buf.capacity() - buf.len() < additional {
        let wanted = (buf.len() + additional).max(2 * buf.capacity());
        buf.reserve_exact(wanted - buf.len());
    }
    if additional < HUGE {
        return;
    }
    let spare = buf.spare_capacity_mut();
    let start = (spare.as_ptr() as usize).next_multiple_of(HUGE_PAGE);
    let end = (spare.as_ptr() as usize + spare.len()) / HUGE_PAGE * HUGE_PAGE;
    if end > start {
        // SAFETY: [start, end) lies inside the buffer's spare capacity, memory the buffer owns
        // and nothing reads yet; MADV_HUGEPAGE only changes how it is backed, not its contents.
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE) };
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
