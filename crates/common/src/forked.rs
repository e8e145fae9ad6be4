//! A worker copied by `fork()` inside a task. The copy shares the worker's channel and progress
//! page: were it to speak on the one or write the other, the parent would take its words for
//! the worker's. So the copy's channel becomes `/dev/null` the moment it exists (an `atfork`
//! handler), and a copy that returns from its task into the worker's loop ends there.
//!
//! A raw `clone` runs no `atfork` handler; that copy keeps the channel, and the parent copes
//! by watching the worker's pidfd as well as the socket (see `link.rs`).

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use crate::sys;

static CHANNEL: AtomicI32 = AtomicI32::new(-1);
static COPY: AtomicBool = AtomicBool::new(false);

/// Worker: from now on, a `fork()` gives a child whose `channel` is `/dev/null` and which knows
/// it is a copy.
pub(crate) fn guard(channel: RawFd) -> io::Result<()> {
    CHANNEL.store(channel, Ordering::Relaxed);
    sys::after_fork_in_child(in_the_copy)
}

/// Runs in the child of every `fork()`: async-signal-safe calls only.
extern "C" fn in_the_copy() {
    COPY.store(true, Ordering::Relaxed);
    let channel = CHANNEL.load(Ordering::Relaxed);
    if channel >= 0 {
        sys::replace_with_dev_null(channel);
    }
}

/// Ends this process if it is a copy made by `fork()` that came back into the worker's loop:
/// at once, flushing nothing (its buffers are its parent's too). Cheap enough for every item.
#[inline]
pub(crate) fn end_if_copy() {
    if COPY.load(Ordering::Relaxed) {
        sys::exit_now(0);
    }
}
