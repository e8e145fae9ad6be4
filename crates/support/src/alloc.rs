//! Running out of memory as a one-line error with exit code 1, not an abort.
//!
//! When an allocation fails, Rust prints `memory allocation of N bytes failed` and aborts:
//! SIGABRT, a shell's status 134, perhaps a core file. Under an address-space limit (`ulimit
//! -v`) that is an ordinary event, most of all for threads, which share one address space. Stable
//! Rust has no hook for it (`std::alloc::set_alloc_error_hook` is unstable), so the hook is the
//! allocator itself: [`ExitOnOutOfMemory`] hands every request to the system allocator, and
//! when one fails it writes `PROGRAM: error: out of memory …` and exits with code 1, the
//! project's code for a run that failed. Each exercise's `main.rs` declares it:
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOCATOR: support::alloc::ExitOnOutOfMemory =
//!     support::alloc::ExitOnOutOfMemory::new(env!("CARGO_PKG_NAME"));
//! ```
//!
//! The exit runs no destructors (nothing may allocate any more): a download's hidden directory
//! is left for the next run to remove, as after SIGKILL.
//!
//! Two consequences to know. Every failed allocation ends the program, including the ones a
//! caller meant to survive (`Vec::try_reserve`, in this program or in a dependency): such
//! programs should not use this allocator. And in a pool worker or a `common::Process` child
//! (the same binary), out of memory is exit code 1, which for a `Process` reads as "the task
//! failed" in Python's convention; the line on stderr says why.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::{self, Write as _};

/// The system allocator, with a failed allocation turned into one line on stderr and exit code 1.
#[derive(Debug)]
pub struct ExitOnOutOfMemory {
    program: &'static str,
}

impl ExitOnOutOfMemory {
    /// For the program named `program` (its messages start with that name).
    pub const fn new(program: &'static str) -> Self {
        ExitOnOutOfMemory { program }
    }

    /// Says what happened and exits, allocating nothing: the line is built on the stack.
    fn out_of_memory(&self, size: usize) -> ! {
        let mut line = StackLine::default();
        let _ = writeln!(
            line,
            "{}: error: out of memory: {size} bytes could not be allocated (is `ulimit -v` set?)",
            self.program
        );
        let bytes = line.as_bytes();
        // SAFETY: `bytes` is initialised and valid for its length; write(2) and _exit(2) are
        // async-signal-safe and allocate nothing. _exit runs no destructor or atexit handler,
        // any of which could allocate again.
        unsafe {
            libc::write(2, bytes.as_ptr().cast(), bytes.len());
            libc::_exit(1)
        }
    }
}

// SAFETY: every method forwards to `System` with the caller's layout and pointer unchanged, so
// `System`'s guarantees hold; a null result never reaches the caller, the process ends instead.
unsafe impl GlobalAlloc for ExitOnOutOfMemory {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees for `layout`.
        let ptr = unsafe { System.alloc(layout) };
        if ptr.is_null() {
            self.out_of_memory(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees for `layout`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if ptr.is_null() {
            self.out_of_memory(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator (so from `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator (so from `System`) with `layout`.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if new.is_null() {
            self.out_of_memory(new_size);
        }
        new
    }
}

/// A line of at most 256 bytes, formatted without allocating (the rest is cut off).
struct StackLine {
    buf: [u8; 256],
    len: usize,
}

impl Default for StackLine {
    fn default() -> Self {
        StackLine {
            buf: [0; 256],
            len: 0,
        }
    }
}

impl StackLine {
    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl fmt::Write for StackLine {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.buf.len() - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_is_built_without_allocating_and_cut_to_fit() {
        let mut line = StackLine::default();
        let (program, size) = ("q3", 84);
        write!(line, "{program}: {size}").unwrap();
        assert_eq!(line.as_bytes(), b"q3: 84");
        let mut long = StackLine::default();
        write!(long, "{}", "x".repeat(300)).unwrap();
        assert_eq!(long.as_bytes().len(), 256);
    }

    #[test]
    fn requests_reach_the_system_allocator() {
        let allocator = ExitOnOutOfMemory::new("test");
        let layout = Layout::from_size_align(64, 8).unwrap();
        // SAFETY: a valid non-zero layout; the block is freed with the same layout.
        unsafe {
            let ptr = allocator.alloc_zeroed(layout);
            assert!(!ptr.is_null() && *ptr == 0);
            let ptr = allocator.realloc(ptr, layout, 128);
            allocator.dealloc(ptr, Layout::from_size_align(128, 8).unwrap());
        }
    }
}
