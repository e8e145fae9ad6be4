//! [`Pipe`]: Python's `multiprocessing.Pipe()`, two connected ends that send values both ways.

use std::fmt;
use std::marker::PhantomData;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::IpcError;
use super::queue::{Fd, OwnedFdDe};
use super::record;
use crate::sys;

/// One end of a two-way channel between processes (or threads): Python's `Connection`, as
/// `multiprocessing.Pipe()` makes a pair of them.
///
/// An end sends values of type `S` and receives values of type `R` (the same type unless you
/// say otherwise): [`Pipe::pair`] gives a `Pipe<S, R>` and its other end, a `Pipe<R, S>`. It
/// reaches a worker as a task argument. Values are serde types, encoded with postcard and
/// delivered whole, one message per `send`.
///
/// ```
/// use common::{IpcError, Pipe, Process, Task, task};
///
/// /// In the child: answers every number with its square, until the parent hangs up.
/// fn squares(end: Pipe<u64>) -> Result<(), IpcError> {
///     loop {
///         match end.recv() {
///             Ok(n) => end.send(&(n * n))?,
///             Err(IpcError::Disconnected) => return Ok(()),
///             Err(e) => return Err(e),
///         }
///     }
/// }
/// const SQUARES: Task<Pipe<u64>, Result<(), IpcError>> = task!(squares);
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     common::init(&[&SQUARES]);
///     let (ours, theirs) = Pipe::<u64>::pair()?;
///     let child = Process::start(&SQUARES, theirs)?; // `theirs` goes to the child
///     ours.send(&7)?;
///     assert_eq!(ours.recv()?, 49);
///     drop(ours); // the child's `recv` now says Disconnected, and it returns
///     child.join()??;
///     Ok(())
/// }
/// ```
///
/// `recv` waits for a message; once every holder of the other end has dropped it or died, and
/// the messages already sent have been read, it returns [`IpcError::Disconnected`] (Python's
/// `recv` raises `EOFError`; after the death of the other side it may also hang, when a
/// grandchild still holds the end). `send` waits while the other end's buffer is full (about
/// 200 KiB of messages), and returns `Disconnected` once nobody holds the other end. A message
/// above 32 KiB travels in an in-memory file of its own, so its size is limited only by memory.
pub struct Pipe<S, R = S> {
    sock: Arc<OwnedFd>,
    _types: PhantomData<fn(S) -> R>,
}

/// The two ends [`Pipe::pair`] makes: one sends `S` and receives `R`, the other the reverse.
pub type PipePair<S, R> = (Pipe<S, R>, Pipe<R, S>);

impl<S, R> Pipe<S, R> {
    /// Two connected ends: what one sends, the other receives.
    pub fn pair() -> std::io::Result<PipePair<S, R>> {
        let (a, b) = sys::seqpacket_pair()?;
        Ok((
            Pipe {
                sock: Arc::new(a),
                _types: PhantomData,
            },
            Pipe {
                sock: Arc::new(b),
                _types: PhantomData,
            },
        ))
    }
}

impl<S: Serialize, R> Pipe<S, R> {
    /// Sends a copy of `value` (encoded now) to the other end (Python's `send`).
    pub fn send(&self, value: &S) -> Result<(), IpcError> {
        let mut message = record::encode(value)?;
        record::send(self.sock.as_fd(), &mut message, None).map(drop)
    }
}

impl<S, R: DeserializeOwned> Pipe<S, R> {
    /// Waits for the next message from the other end (Python's `recv`).
    pub fn recv(&self) -> Result<R, IpcError> {
        self.recv_until(None)
    }

    /// [`recv`](Self::recv), waiting at most `timeout`: [`IpcError::Empty`] if nothing came
    /// (Python: `if conn.poll(timeout): conn.recv()`). Zero does not wait.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<R, IpcError> {
        self.recv_until(sys::deadline(timeout))
    }

    fn recv_until(&self, deadline: Option<std::time::Instant>) -> Result<R, IpcError> {
        match record::recv(self.sock.as_fd(), deadline)? {
            Some(message) => message.decode(),
            None => Err(IpcError::Empty),
        }
    }
}

impl<S, R> Clone for Pipe<S, R> {
    fn clone(&self) -> Self {
        Pipe {
            sock: Arc::clone(&self.sock),
            _types: PhantomData,
        }
    }
}

impl<S, R> fmt::Debug for Pipe<S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipe").finish_non_exhaustive()
    }
}

impl<S, R> Serialize for Pipe<S, R> {
    fn serialize<S2: Serializer>(&self, s: S2) -> Result<S2::Ok, S2::Error> {
        Fd(self.sock.as_fd()).serialize(s)
    }
}

impl<'de, S, R> Deserialize<'de> for Pipe<S, R> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let OwnedFdDe(fd) = Deserialize::deserialize(d)?;
        Ok(Pipe {
            sock: Arc::new(fd),
            _types: PhantomData,
        })
    }
}
