//! Thin safe wrappers over the Linux calls the crate needs: descriptors, sockets and shared
//! memory in `fd`, processes and signals in `proc`, descriptors beside bytes in `pass`, futexes
//! and the robust mutex in `sync`, copies of this process made without `exec` in `clone`, the
//! files large bodies go through in `shm`. Every system call's `unsafe` lives here. Elsewhere
//! `unsafe` marks what a wrapper cannot check for its caller: the shared-memory views of `ipc`
//! and `wire`, the fork server's copies of the process (`forkserver`), `ThreadPool::map`'s
//! writes into uninitialised slots (`threads`), `gettid` in `trace`, and test-only code.

mod clone;
mod fd;
mod pass;
mod proc;
mod shm;
mod sync;

use std::io;
use std::mem::MaybeUninit;
use std::time::{Duration, Instant};

pub(crate) use clone::*;
pub(crate) use fd::*;
pub(crate) use pass::*;
pub(crate) use proc::*;
pub(crate) use shm::{Mapping, SharedFile, reserve};
pub(crate) use sync::*;

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

/// When a wait of `timeout` from now ends; `None` for a wait so long it has no end (such as
/// `Duration::MAX`, which no `Instant` can hold).
pub(crate) fn deadline(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

/// Milliseconds left until `deadline` for `poll`, rounded up so that a sub-millisecond wait
/// does not become a busy poll; -1 (forever) without a deadline.
fn poll_timeout(deadline: Option<Instant>) -> libc::c_int {
    match deadline {
        None => -1,
        Some(deadline) => {
            let left = deadline.saturating_duration_since(Instant::now());
            left.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int
        }
    }
}
