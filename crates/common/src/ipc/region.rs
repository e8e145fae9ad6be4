//! A region of shared memory: a sealed in-memory file (memfd), mapped, with a header that says
//! what it holds and a robust, process-shared lock.
//!
//! The file is sealed against shrinking and growing, so no process can truncate it under
//! another's mapping (which would turn the next access into SIGBUS). It has no name: it reaches
//! another process only as a descriptor (a task argument), and the kernel frees it when the
//! last process holding or mapping it lets go, however they end. Python's `shared_memory`
//! segments have names in `/dev/shm` instead, and a process killed before `unlink` leaves its
//! segment behind.

use std::ffi::CStr;
use std::fs::File;
use std::io;
use std::mem;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use memmap2::MmapRaw;

use crate::sys::{self, Locked, RobustMutex};

/// What a region holds; checked when a region arrives in another process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Kind {
    Lock = 1,
    Value = 2,
    Array = 3,
    Atomic = 4,
    Queue = 5,
}

/// The first bytes of every region. Written once by the process that creates it, before anyone
/// else can see it; read-only afterwards, except `poisoned` and the mutex.
#[repr(C)]
struct Header {
    magic: u64,
    kind: u32,
    /// Size and alignment of one element of the data, and how many there are.
    elem_size: u32,
    elem_align: u32,
    len: u64,
    /// Set when a holder of the lock died or panicked while holding it.
    poisoned: AtomicU32,
    /// Cleared by `clear_poison`.
    mutex: RobustMutex,
}

const MAGIC: u64 = u64::from_le_bytes(*b"commonR1");

/// Where the data starts: past the header, aligned for any element up to 128 bytes' alignment
/// (and on a cache line of its own).
pub(crate) const DATA: usize = 128;
const _: () = assert!(mem::size_of::<Header>() <= DATA);

/// A mapped region, and the file it maps (kept to send a copy of its descriptor).
#[derive(Debug)]
pub(crate) struct Region {
    map: MmapRaw,
    file: File,
}

/// What the data of a region is: checked against the header on arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    pub kind: Kind,
    pub elem_size: usize,
    pub elem_align: usize,
}

impl Layout {
    pub(crate) fn of<T>(kind: Kind) -> Layout {
        Layout {
            kind,
            elem_size: mem::size_of::<T>(),
            elem_align: mem::align_of::<T>(),
        }
    }
}

impl Region {
    /// A new region for `len` elements of `layout`, zero-filled, with an unlocked lock.
    pub(crate) fn create(name: &CStr, layout: Layout, len: usize) -> io::Result<Region> {
        if layout.elem_align > DATA {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "alignment above 128 bytes is not supported in shared memory",
            ));
        }
        let bytes = layout
            .elem_size
            .checked_mul(len)
            .and_then(|n| n.checked_add(DATA))
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "region too large"))?;
        let file = sys::memfd(name)?;
        file.set_len(bytes as u64)?;
        sys::add_seals(
            &file,
            libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL,
        )?;
        let map = MmapRaw::map_raw(&file)?;
        let header = map.as_mut_ptr().cast::<Header>();
        // SAFETY: the mapping is fresh, page-aligned, at least DATA bytes long and zero-filled;
        // nobody else has it yet, so writing the header and initialising the mutex in place is
        // exclusive.
        unsafe {
            (&raw mut (*header).magic).write(MAGIC);
            (&raw mut (*header).kind).write(layout.kind as u32);
            (&raw mut (*header).elem_size).write(layout.elem_size as u32);
            (&raw mut (*header).elem_align).write(layout.elem_align as u32);
            (&raw mut (*header).len).write(len as u64);
            RobustMutex::init(&raw mut (*header).mutex)?;
        }
        Ok(Region { map, file })
    }

    /// The region whose descriptor arrived as `fd`, checked to be one `create` made for
    /// `layout`. Returns it and its number of elements.
    pub(crate) fn open(fd: OwnedFd, layout: Layout) -> io::Result<(Region, usize)> {
        let bad = |why: String| io::Error::new(io::ErrorKind::InvalidData, why);
        // Only a file that cannot shrink is safe to map: it can never be cut under us.
        let seals = sys::seals(fd.as_fd())?;
        if seals & libc::F_SEAL_SHRINK == 0 {
            return Err(bad(
                "the descriptor is not a sealed shared-memory region".into()
            ));
        }
        let file = File::from(fd);
        let size = file.metadata()?.len() as usize;
        if size < DATA {
            return Err(bad(format!(
                "a shared-memory region of {size} bytes is too small"
            )));
        }
        let map = MmapRaw::map_raw(&file)?;
        let header = map.as_ptr().cast::<Header>();
        // SAFETY: the mapping is at least DATA bytes; these fields are written once, before the
        // region is shared, and only read afterwards.
        let (magic, kind, elem_size, elem_align, len) = unsafe {
            (
                (*header).magic,
                (*header).kind,
                (*header).elem_size as usize,
                (*header).elem_align as usize,
                (*header).len,
            )
        };
        if magic != MAGIC || kind != layout.kind as u32 {
            return Err(bad(format!(
                "expected shared memory for a {:?}, got something else",
                layout.kind
            )));
        }
        if (elem_size, elem_align) != (layout.elem_size, layout.elem_align) {
            return Err(bad(format!(
                "shared memory of elements of {elem_size} bytes (aligned to {elem_align}) \
                 received as elements of {} (aligned to {}): the two sides name different types",
                layout.elem_size, layout.elem_align
            )));
        }
        let len = usize::try_from(len).map_err(|_| bad("region length overflows".into()))?;
        let needed = elem_size
            .checked_mul(len)
            .and_then(|n| n.checked_add(DATA))
            .filter(|&n| n <= size)
            .ok_or_else(|| bad("the region is shorter than its header says".into()))?;
        debug_assert!(needed <= size);
        Ok((Region { map, file }, len))
    }

    /// The start of the data (aligned to [`DATA`]).
    pub(crate) fn data(&self) -> *mut u8 {
        // SAFETY: the mapping is at least DATA bytes long (checked by `create` and `open`).
        unsafe { self.map.as_mut_ptr().add(DATA) }
    }

    fn header(&self) -> &Header {
        // SAFETY: the header sits at the start of a mapping at least DATA bytes long, aligned,
        // initialised by `create` before the region was shared; its mutable parts are an
        // atomic and a process-shared mutex, made for shared access.
        unsafe { &*self.map.as_ptr().cast::<Header>() }
    }

    /// The descriptor, to attach to a message.
    pub(crate) fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.file.as_fd()
    }

    /// Takes the region's lock, waiting at most until `deadline`.
    pub(crate) fn lock(&self, deadline: Option<Instant>) -> io::Result<Locked> {
        let locked = self.header().mutex.lock(deadline)?;
        if locked == Locked::OwnerDied {
            self.header().poisoned.store(1, Ordering::Release);
        }
        Ok(locked)
    }

    /// Releases the lock.
    ///
    /// # Safety
    /// The calling thread holds it.
    pub(crate) unsafe fn unlock(&self) {
        // SAFETY: the caller holds the lock.
        unsafe { self.header().mutex.unlock() }
    }

    pub(crate) fn is_poisoned(&self) -> bool {
        self.header().poisoned.load(Ordering::Acquire) != 0
    }

    pub(crate) fn set_poisoned(&self, poisoned: bool) {
        self.header()
            .poisoned
            .store(poisoned as u32, Ordering::Release);
    }
}
