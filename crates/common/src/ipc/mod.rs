//! Communication between processes beyond task arguments and results: Python's `Queue`,
//! `Pipe`, `Value`, `Array`, `Lock` and `shared_memory`.
//!
//! Each of them is a descriptor (a socket, an in-memory file) that every process using it
//! holds, and each reaches a worker as a task argument: the descriptor travels beside the
//! task over the worker's socket (see [`Descriptor`](crate::Descriptor)). The kernel counts
//! who holds what, which is how a queue knows that all its producers are gone, and frees an
//! in-memory file when the last holder lets go, however it ended.
//!
//! The crate docs map each to Python's (`# Queues, pipes and shared memory`).
//!
//! What a process's death does to each, where Python hangs:
//!
//! - a [`QueueReceiver`] whose every sender is gone, and a [`Pipe`] whose other end is, get
//!   [`IpcError::Disconnected`] once the items already sent are read; a sender whose every
//!   receiver is gone gets it at once;
//! - a [`Lock`] (and the lock of a [`Value`] or an [`Array`]) whose holder dies is released by
//!   the kernel, and the next holder learns of the death through a poisoned lock;
//! - a process killed in the middle of a `put` or a `get` leaves the queue able to hold one
//!   more item, never one fewer, so it cannot make anyone wait forever.

mod lock;
mod memory;
mod pipe;
mod queue;
mod record;
mod region;

use std::io;

pub use lock::{Lock, LockGuard, SharedGuard};
pub use memory::{Array, Atomic, SharedAtomic, Value};
pub use pipe::{Pipe, PipePair};
pub use queue::{MAX_QUEUE_SIZE, Queue, QueueReceiver, QueueSender};

/// Why a [`Queue`] or [`Pipe`] operation did not deliver.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IpcError {
    /// The queue stayed full for the whole timeout (Python's `queue.Full`).
    #[error("the queue stayed full")]
    Full,
    /// Nothing arrived within the timeout (Python's `queue.Empty`).
    #[error("nothing arrived in time")]
    Empty,
    /// Every process at the other end has closed it or died: nothing will ever arrive (or
    /// be taken) again. Python's `EOFError` or `BrokenPipeError`.
    #[error("the other side is gone: every end there was closed, or its process died")]
    Disconnected,
    /// The value could not be encoded (its `Serialize` failed).
    #[error("cannot encode the message: {0}")]
    Encode(String),
    /// A message could not be decoded as the expected type; it is consumed.
    #[error("cannot decode the message: {0}")]
    Decode(String),
    /// A system call failed (no descriptor left, no memory).
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl Serialize for IpcError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Wire::from(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for IpcError {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Wire::deserialize(d)?.into())
    }
}

use serde::{Deserialize, Serialize};

/// An [`IpcError`] as a task's result carries it back to the parent (an `io::Error` as its
/// kind and message).
#[derive(Serialize, Deserialize)]
enum Wire {
    Full,
    Empty,
    Disconnected,
    Encode(String),
    Decode(String),
    Io(Option<i32>, String),
}

impl From<&IpcError> for Wire {
    fn from(e: &IpcError) -> Wire {
        match e {
            IpcError::Full => Wire::Full,
            IpcError::Empty => Wire::Empty,
            IpcError::Disconnected => Wire::Disconnected,
            IpcError::Encode(m) => Wire::Encode(m.clone()),
            IpcError::Decode(m) => Wire::Decode(m.clone()),
            IpcError::Io(e) => Wire::Io(e.raw_os_error(), e.to_string()),
        }
    }
}

impl From<Wire> for IpcError {
    fn from(w: Wire) -> IpcError {
        match w {
            Wire::Full => IpcError::Full,
            Wire::Empty => IpcError::Empty,
            Wire::Disconnected => IpcError::Disconnected,
            Wire::Encode(m) => IpcError::Encode(m),
            Wire::Decode(m) => IpcError::Decode(m),
            Wire::Io(Some(code), _) => IpcError::Io(io::Error::from_raw_os_error(code)),
            Wire::Io(None, m) => IpcError::Io(io::Error::other(m)),
        }
    }
}
