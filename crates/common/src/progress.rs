//! Which item a worker is running, in memory shared with the parent.
//!
//! A worker sends results once per chunk (one write for many items keeps `map` fast), so when
//! it dies the parent has no message saying how far it got. This page says: the worker stores
//! the chunk and item it is starting (and, for timed tasks, when it started) with one atomic
//! write, and the parent reads it after a death or while enforcing a time limit. That is how a
//! death or timeout is pinned on the exact item that was running.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::Ordering;

use crate::sys::{self, SharedPage};

const POSITION: usize = 0;
const STARTED: usize = 1;

/// Where a worker stands in one chunk, as the parent sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Position {
    /// The worker is running item `item` of the chunk with this `seq`, started at `started_ns`
    /// (0 when the chunk is not timed).
    Running { item: usize, started_ns: u64 },
    /// No item of this chunk is running: the worker has not started it, is between two items
    /// (sending a part of the results), or has finished every item.
    Idle,
}

/// One worker's progress page.
#[derive(Debug)]
pub(crate) struct Progress {
    page: SharedPage,
}

// ANCHOR: pack
/// Packs a chunk number and an item index into one word, so both change in one atomic store.
/// Only the low 32 bits of `seq` are kept: enough to tell this chunk from the previous ones.
fn pack(seq: u64, item: u64) -> u64 {
    (seq << 32) | (item & 0xffff_ffff)
}
// ANCHOR_END: pack

impl Progress {
    /// A new zeroed page and the descriptor to hand to the worker.
    pub(crate) fn create() -> io::Result<(Progress, OwnedFd)> {
        let fd = sys::sealed_memfd(c"common-progress", SharedPage::LEN)?;
        let page = SharedPage::map(fd.as_fd())?;
        Ok((Progress { page }, fd))
    }

    /// The worker's view of a page received from the parent (the descriptor is closed after
    /// mapping: a task never sees it).
    pub(crate) fn open(fd: OwnedFd) -> io::Result<Progress> {
        Ok(Progress {
            page: SharedPage::map(fd.as_fd())?,
        })
    }

    // ANCHOR: begin
    /// Worker: starting item `item` of chunk `seq`.
    #[inline(always)]
    pub(crate) fn begin(&self, seq: u64, item: usize, timed: bool) {
        let words = self.page.words();
        if timed {
            words[STARTED].store(sys::monotonic_nanos(), Ordering::Relaxed);
        }
        words[POSITION].store(pack(seq, item as u64 + 1), Ordering::Release);
    }
    // ANCHOR_END: begin

    /// Worker: no item of chunk `seq` is running now (every item is done, or the worker is
    /// between two of them).
    pub(crate) fn idle(&self, seq: u64) {
        self.page.words()[POSITION].store(pack(seq, 0), Ordering::Release);
    }

    // ANCHOR: position
    /// Parent: where the worker stands in chunk `seq`.
    ///
    /// The two words are read one after the other while the worker may move on, so the start
    /// time can belong to the *next* item. That only makes a time limit fire a little later,
    /// never early.
    pub(crate) fn position(&self, seq: u64) -> Position {
        let words = self.page.words();
        let position = words[POSITION].load(Ordering::Acquire);
        let started_ns = words[STARTED].load(Ordering::Relaxed);
        // Item numbers are stored plus one, so 0 (and a fresh, zeroed page) reads as idle.
        match position.checked_sub(pack(seq, 0)) {
            Some(n @ 1..=0xffff_ffff) => Position::Running {
                item: n as usize - 1,
                started_ns,
            },
            _ => Position::Idle,
        }
    }
    // ANCHOR_END: position
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_follow_the_worker() {
        let (parent, fd) = Progress::create().unwrap();
        let worker = Progress::open(fd).unwrap();
        assert_eq!(parent.position(1), Position::Idle);
        worker.begin(1, 0, false);
        assert!(matches!(
            parent.position(1),
            Position::Running {
                item: 0,
                started_ns: 0
            }
        ));
        worker.begin(1, 5, true);
        let Position::Running {
            item: 5,
            started_ns,
        } = parent.position(1)
        else {
            panic!()
        };
        assert!(started_ns > 0);
        assert_eq!(parent.position(2), Position::Idle, "another chunk");
        worker.idle(1);
        assert_eq!(parent.position(1), Position::Idle);
        worker.begin(2, 0, false);
        assert_eq!(
            parent.position(1),
            Position::Idle,
            "an old chunk is not this one"
        );
    }
}
