//! Descriptors that travel beside encoded values: the ends of a [`Queue`](crate::Queue), a
//! [`Pipe`](crate::Pipe), shared memory, any [`Descriptor`](crate::Descriptor).
//!
//! A descriptor is a number that means something only in the process that holds it, so it
//! cannot be encoded like data. Instead, when a value that holds one is encoded, its
//! `Serialize` calls [`attach`]: the descriptor is duplicated into the collection of the
//! message being built, and only an id goes into the bytes. The message then carries the
//! collected descriptors beside its bytes (SCM_RIGHTS on the worker's socket, or on a queue's),
//! and the receiving side decodes with them [`receiving`]: the `Deserialize` finds its
//! descriptor by id ([`take`]). A task's arguments collect theirs while they are encoded
//! ([`collect`]), and the job that holds the bytes holds the descriptors too, for as long as
//! it may be sent again (after a worker's death).
//!
//! Encoding such a value anywhere else (to JSON, say) is an error, not a number that would be
//! meaningless on the other side.

use std::cell::RefCell;
use std::fmt;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::sys;
use crate::wire::Source;

/// Descriptors collected while encoding one message, each with the id its encoding names.
#[derive(Default)]
pub(crate) struct Attachments {
    list: Vec<(u64, OwnedFd)>,
}

impl fmt::Debug for Attachments {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.list.iter().map(|(id, _)| id))
            .finish()
    }
}

impl Attachments {
    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    /// The ids, in the order of [`fds`](Self::fds): what the message's header carries.
    pub(crate) fn ids(&self) -> Vec<u64> {
        self.list.iter().map(|(id, _)| *id).collect()
    }

    /// The descriptors, in the order of [`ids`](Self::ids): what SCM_RIGHTS carries.
    pub(crate) fn fds(&self) -> Vec<BorrowedFd<'_>> {
        self.list.iter().map(|(_, fd)| fd.as_fd()).collect()
    }

    /// Pairs received descriptors with the ids sent beside them; an error if the counts differ.
    pub(crate) fn received(ids: Vec<u64>, fds: Vec<OwnedFd>) -> io::Result<Attachments> {
        if ids.len() != fds.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} descriptors announced, {} arrived", ids.len(), fds.len()),
            ));
        }
        Ok(Attachments {
            list: ids.into_iter().zip(fds).collect(),
        })
    }

    /// Moves the descriptors whose id is at least `mark` (see [`mark`]) into a collection of
    /// their own: those attached since the mark was taken, on this thread.
    pub(crate) fn split_from(&mut self, mark: u64) -> Attachments {
        let (later, earlier) = std::mem::take(&mut self.list)
            .into_iter()
            .partition(|(id, _)| *id >= mark);
        self.list = earlier;
        Attachments { list: later }
    }

    /// Adds `other`'s descriptors to these.
    pub(crate) fn extend(&mut self, other: Attachments) {
        self.list.extend(other.list);
    }
}

thread_local! {
    /// The collection of the message being encoded on this thread, if any.
    static COLLECTING: RefCell<Option<Attachments>> = const { RefCell::new(None) };
    /// The descriptors of the message being decoded on this thread, if any.
    static RECEIVED: RefCell<Option<Attachments>> = const { RefCell::new(None) };
}

/// Ids are unique in this process, so descriptors collected for different items never mix.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The id the next [`attach`] on any thread will get: descriptors attached on this thread
/// after this call have an id at least this large.
pub(crate) fn mark() -> u64 {
    NEXT_ID.load(Ordering::Relaxed)
}

/// Runs `encode` with a fresh collection for the descriptors the encoded values attach, and
/// returns its result and that collection. Nests: an encoding inside `encode` that collects for
/// itself (a queue's `put` in a `Serialize`, say) gets its own.
pub(crate) fn collect<T>(encode: impl FnOnce() -> T) -> (T, Attachments) {
    let outer = COLLECTING.replace(Some(Attachments::default()));
    // Put the outer collection back even if `encode` panics (the pool catches such panics).
    struct Restore(Option<Option<Attachments>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            if let Some(outer) = self.0.take() {
                COLLECTING.set(outer);
            }
        }
    }
    let mut restore = Restore(Some(outer));
    let value = encode();
    let collected = COLLECTING
        .replace(restore.0.take().expect("restored once"))
        .unwrap_or_default();
    (value, collected)
}

/// Why a descriptor could not be attached; its `Display` is the message the encoding fails
/// with.
#[derive(Debug)]
pub(crate) enum AttachError {
    /// No message is being built: the value is encoded outside a task argument or a record.
    Outside,
    /// The message already carries as many descriptors as the kernel passes in one.
    TooMany,
    /// Duplicating the descriptor failed (no descriptor left, say).
    Dup(io::Error),
}

impl fmt::Display for AttachError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttachError::Outside => f.write_str(
                "a descriptor (a queue or pipe end, shared memory) can only be sent to another \
                 process as a task argument, or inside a queue or pipe message",
            ),
            AttachError::TooMany => write!(
                f,
                "more than {} descriptors in one message (the kernel passes at most that many); \
                 send fewer at once, with a smaller chunksize",
                sys::MAX_FDS
            ),
            AttachError::Dup(e) => write!(f, "cannot duplicate a descriptor to send it: {e}"),
        }
    }
}

/// Attaches a duplicate of `fd` to the message being encoded on this thread; returns the id to
/// encode in its place.
pub(crate) fn attach(fd: BorrowedFd<'_>) -> Result<u64, AttachError> {
    COLLECTING.with_borrow_mut(|collecting| {
        let Some(collection) = collecting else {
            return Err(AttachError::Outside);
        };
        if collection.len() >= sys::MAX_FDS {
            return Err(AttachError::TooMany);
        }
        let copy = fd.try_clone_to_owned().map_err(AttachError::Dup)?;
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        collection.list.push((id, copy));
        Ok(id)
    })
}

/// Runs `decode` with `received` available to [`take`]; they are closed afterwards (what was
/// taken was duplicated). Nests like [`collect`].
pub(crate) fn receiving<T>(received: Attachments, decode: impl FnOnce() -> T) -> T {
    let outer = RECEIVED.replace(Some(received));
    struct Restore(Option<Option<Attachments>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            if let Some(outer) = self.0.take() {
                RECEIVED.set(outer);
            }
        }
    }
    let _restore = Restore(Some(outer));
    decode()
}

/// A duplicate of the received descriptor `id` (decoding may run twice, to find an error
/// message; each gets its own). An error message if there is none.
pub(crate) fn take(id: u64) -> Result<OwnedFd, String> {
    RECEIVED.with_borrow(|received| {
        let Some(received) = received else {
            return Err(format!(
                "descriptor {id} cannot be decoded here: descriptors arrive only with a task \
                 argument or a queue or pipe message"
            ));
        };
        let (_, fd) = received
            .list
            .iter()
            .find(|(have, _)| *have == id)
            .ok_or_else(|| format!("descriptor {id} was not sent with this message"))?;
        fd.try_clone()
            .map_err(|e| format!("cannot duplicate received descriptor {id}: {e}"))
    })
}

/// A worker's channel, read so that the descriptors that come with a frame's first byte are
/// kept (a plain `read` would close them), for the frame's `Run` to claim.
#[derive(Debug)]
pub(crate) struct WithDescriptors<'a> {
    pub sock: &'a mut UnixStream,
    /// Every descriptor received so far and not claimed, in order of arrival.
    pub fds: &'a mut Vec<OwnedFd>,
}

impl WithDescriptors<'_> {
    /// The first `count` descriptors received, for a frame that announced them.
    pub(crate) fn claim(&mut self, ids: Vec<u64>) -> io::Result<Attachments> {
        let count = ids.len().min(self.fds.len());
        let fds = self.fds.drain(..count).collect();
        Attachments::received(ids, fds)
    }
}

impl Read for WithDescriptors<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        sys::read_with_fds(self.sock.as_fd(), buf, self.fds)
    }
}

impl Source for WithDescriptors<'_> {
    fn append_exact(&mut self, buf: &mut Vec<u8>, n: usize) -> io::Result<()> {
        // Descriptors come only with a frame's first byte, which `read` has taken: the rest of
        // a frame is read the fast way, without zero-filling.
        self.sock.append_exact(buf, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn attached_descriptors_are_found_by_id_on_the_other_side() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let (id, collected) = collect(|| attach(a.as_fd()).unwrap());
        assert_eq!(collected.ids(), [id]);
        assert!(matches!(attach(a.as_fd()), Err(AttachError::Outside)));
        let ids = collected.ids();
        let fds = collected.list.into_iter().map(|(_, fd)| fd).collect();
        let received = Attachments::received(ids, fds).unwrap();
        let fd = receiving(received, || take(id).unwrap());
        assert_ne!(fd.as_raw_fd(), a.as_raw_fd());
        assert!(take(id).is_err(), "outside `receiving`");
    }

    #[test]
    fn collections_nest_and_split_by_mark() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let ((inner, mark), mut outer) = collect(|| {
            attach(a.as_fd()).unwrap();
            let (_, inner) = collect(|| attach(a.as_fd()).unwrap());
            let mark = mark();
            attach(a.as_fd()).unwrap();
            (inner, mark)
        });
        assert_eq!((inner.len(), outer.len()), (1, 2));
        let later = outer.split_from(mark);
        assert_eq!((later.len(), outer.len()), (1, 1));
    }

    #[test]
    fn a_message_carries_at_most_what_the_kernel_passes() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let (results, collected) = collect(|| {
            (0..=sys::MAX_FDS)
                .map(|_| attach(a.as_fd()))
                .collect::<Vec<_>>()
        });
        assert_eq!(collected.len(), sys::MAX_FDS);
        assert!(matches!(results.last(), Some(Err(AttachError::TooMany))));
    }
}
