//! One message of a [`Queue`](crate::Queue) or a [`Pipe`](crate::Pipe): a record on a
//! `SOCK_SEQPACKET` socket, which the kernel delivers whole to exactly one reader.
//!
//! A record is a small header (the ids of the descriptors it carries, and where its payload
//! is), then the payload, the value encoded with postcard. A payload above [`INLINE_MAX`] goes
//! in an in-memory file of its own, sealed against writing, sent beside the record: a record
//! must fit the socket's buffer, and this way a large message costs one copy in and is read in
//! place.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Instant;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::IpcError;
use crate::attach::{self, Attachments};
use crate::sys;
use crate::wire;

/// The largest payload sent inside the record itself.
pub(crate) const INLINE_MAX: usize = 32 * 1024;

/// Room for a record: the largest inline payload and the largest header.
const ROOM: usize = INLINE_MAX + 4 * 1024;

#[derive(Debug, Serialize, Deserialize)]
struct Head {
    /// The ids of the descriptors the value carries, in the order they arrive.
    ids: Vec<u64>,
    /// The payload is in an in-memory file, the last descriptor, not in the record.
    outside: bool,
}

/// An encoded message, ready to send (possibly more than once).
#[derive(Debug)]
pub(crate) struct Outgoing {
    bytes: Vec<u8>,
    attached: Attachments,
    outside: Option<File>,
}

/// Encodes `value` into a record.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Outgoing, IpcError> {
    let (encoded, attached) = attach::collect(|| {
        postcard::serialize_with_flavor(value, Spill::default()).map_err(|e| (e, value))
    });
    let payload = match encoded {
        Ok(payload) => payload,
        Err((postcard::Error::SerializeBufferFull, _)) => {
            return Err(IpcError::Io(io::Error::other(
                "cannot write a large message to memory",
            )));
        }
        // The pool's encoder says the same thing, with the `Serialize` impl's own message.
        Err((_, value)) => {
            let message = wire::encode_value(value, &mut Vec::new())
                .err()
                .unwrap_or_else(|| "the value could not be encoded".into());
            return Err(IpcError::Encode(message));
        }
    };
    let outside = payload.file.is_some();
    if attached.len() + outside as usize > sys::MAX_FDS {
        return Err(IpcError::Encode(format!(
            "more than {} descriptors in one message",
            sys::MAX_FDS
        )));
    }
    let head = Head {
        ids: attached.ids(),
        outside,
    };
    let mut bytes = postcard::to_allocvec(&head).map_err(|e| IpcError::Encode(e.to_string()))?;
    let outside = match payload.file {
        Some(file) => Some(seal(file.into_inner().map_err(|e| e.into_error())?)?),
        None => {
            bytes.extend_from_slice(&payload.inline);
            None
        }
    };
    Ok(Outgoing {
        bytes,
        attached,
        outside,
    })
}

/// A postcard output that keeps a payload of up to [`INLINE_MAX`] bytes in memory, and writes
/// a larger one into an in-memory file as it is encoded, so a large value is copied once.
#[derive(Default)]
struct Spill {
    inline: Vec<u8>,
    /// Buffered: a value of many small fields writes a few bytes at a time.
    file: Option<io::BufWriter<File>>,
}

impl Spill {
    /// Writes `bytes` on, moving to a file first if they would take the payload past the limit.
    fn write(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        let full = |_| postcard::Error::SerializeBufferFull;
        if self.file.is_none() && self.inline.len() + bytes.len() > INLINE_MAX {
            let file = sys::memfd(c"common-message").map_err(full)?;
            let mut file = io::BufWriter::with_capacity(INLINE_MAX, file);
            file.write_all(&self.inline).map_err(full)?;
            self.inline = Vec::new();
            self.file = Some(file);
        }
        match &mut self.file {
            Some(file) => file.write_all(bytes).map_err(full),
            None => {
                self.inline.extend_from_slice(bytes);
                Ok(())
            }
        }
    }
}

impl postcard::ser_flavors::Flavor for Spill {
    type Output = Spill;

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        match self.file {
            None if self.inline.len() < INLINE_MAX => {
                self.inline.push(byte);
                Ok(())
            }
            _ => self.write(&[byte]),
        }
    }

    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        self.write(bytes)
    }

    fn finalize(mut self) -> postcard::Result<Spill> {
        if let Some(file) = &mut self.file {
            file.flush()
                .map_err(|_| postcard::Error::SerializeBufferFull)?;
        }
        Ok(self)
    }
}

/// Seals a payload file: the reader can map it and trust it not to change.
fn seal(file: File) -> io::Result<File> {
    let seals = libc::F_SEAL_WRITE | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;
    sys::add_seals(&file, seals)?;
    Ok(file)
}

/// `payload` in a new in-memory file, sealed.
fn payload_file(payload: &[u8]) -> io::Result<File> {
    let mut file = sys::memfd(c"common-message")?;
    file.write_all(payload)?;
    seal(file)
}

/// Milliseconds to wait in `poll` for `deadline`: rounded up, -1 for none.
fn poll_ms(deadline: Option<Instant>) -> libc::c_int {
    match deadline {
        None => -1,
        Some(deadline) => {
            let left = deadline.saturating_duration_since(Instant::now());
            left.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int
        }
    }
}

/// Waits until `sock` is ready for `events` or `deadline` passes; `Ok(false)` on a timeout.
/// A hang-up or an error counts as ready: the next call says what it is.
pub(crate) fn wait(
    sock: BorrowedFd<'_>,
    events: libc::c_short,
    deadline: Option<Instant>,
) -> Result<bool, IpcError> {
    loop {
        match sys::poll_once(sock, events, poll_ms(deadline)) {
            Ok(0) if deadline.is_some_and(|d| Instant::now() >= d) => return Ok(false),
            Ok(0) => {}
            Ok(_) => return Ok(true),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(IpcError::Io(e)),
        }
    }
}

/// Whether every process at the other end of `sock` has closed it (or died).
pub(crate) fn hung_up(sock: BorrowedFd<'_>) -> Result<bool, IpcError> {
    let events = sys::poll_once(sock, libc::POLLOUT, 0).map_err(IpcError::Io)?;
    Ok(events & (libc::POLLHUP | libc::POLLERR) != 0)
}

/// Sends `message` on `sock`, waiting while its buffer is full until `deadline` (then
/// `Ok(false)`). Every reader gone is [`IpcError::Disconnected`].
pub(crate) fn send(
    sock: BorrowedFd<'_>,
    message: &mut Outgoing,
    deadline: Option<Instant>,
) -> Result<bool, IpcError> {
    loop {
        let sent = {
            let mut fds = message.attached.fds();
            fds.extend(message.outside.as_ref().map(AsFd::as_fd));
            sys::send_with_fds(sock, &message.bytes, &fds, true)
        };
        match sent {
            Ok(_) => return Ok(true),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if gone(&e) => return Err(IpcError::Disconnected),
            // The socket's buffer is smaller than this record (a machine with a small default):
            // the payload goes outside instead.
            Err(e) if e.raw_os_error() == Some(libc::EMSGSIZE) && message.outside.is_none() => {
                message.move_outside()?;
                continue;
            }
            Err(e) => return Err(IpcError::Io(e)),
        }
        if !wait(sock, libc::POLLOUT, deadline)? {
            return Ok(false);
        }
    }
}

impl Outgoing {
    fn move_outside(&mut self) -> Result<(), IpcError> {
        let (head, payload) = postcard::take_from_bytes::<Head>(&self.bytes)
            .map_err(|e| IpcError::Encode(e.to_string()))?;
        let file = payload_file(payload)?;
        let head = Head {
            outside: true,
            ..head
        };
        self.bytes = postcard::to_allocvec(&head).map_err(|e| IpcError::Encode(e.to_string()))?;
        self.outside = Some(file);
        Ok(())
    }
}

fn gone(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EPIPE | libc::ECONNRESET | libc::ENOTCONN)
    )
}

/// A received message, not decoded yet.
#[derive(Debug)]
pub(crate) struct Incoming {
    payload: Payload,
    attached: Attachments,
}

#[derive(Debug)]
enum Payload {
    /// In the record, from this offset on.
    Inline(Vec<u8>, usize),
    /// In a sealed in-memory file, mapped.
    Mapped(memmap2::Mmap),
}

/// Receives one record from `sock`, waiting until `deadline` (then `Ok(None)`). Every writer
/// gone, once the records already sent have been read, is [`IpcError::Disconnected`].
pub(crate) fn recv(
    sock: BorrowedFd<'_>,
    deadline: Option<Instant>,
) -> Result<Option<Incoming>, IpcError> {
    let mut bytes = Vec::new();
    let mut fds = Vec::new();
    loop {
        match sys::recv_with_fds(sock, &mut bytes, ROOM, &mut fds, true) {
            // Records are never empty: a read of nothing is the end.
            Ok(got) if got.len == 0 => return Err(IpcError::Disconnected),
            Ok(got) if got.truncated => {
                return Err(IpcError::Decode(format!(
                    "a record longer than {ROOM} bytes: not one this crate sent"
                )));
            }
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if gone(&e) => return Err(IpcError::Disconnected),
            Err(e) => return Err(IpcError::Io(e)),
        }
        if !wait(sock, libc::POLLIN, deadline)? {
            return Ok(None);
        }
    }
    let (head, rest) =
        postcard::take_from_bytes::<Head>(&bytes).map_err(|e| IpcError::Decode(e.to_string()))?;
    let offset = bytes.len() - rest.len();
    let payload = if head.outside {
        let file = fds
            .pop()
            .ok_or_else(|| IpcError::Decode("the message's payload did not arrive".into()))?;
        Payload::Mapped(map_payload(file)?)
    } else {
        Payload::Inline(bytes, offset)
    };
    let attached = Attachments::received(head.ids, fds).map_err(IpcError::Io)?;
    Ok(Some(Incoming { payload, attached }))
}

/// Maps a payload file, checked to be sealed against any change.
fn map_payload(fd: OwnedFd) -> Result<memmap2::Mmap, IpcError> {
    let needed = libc::F_SEAL_WRITE | libc::F_SEAL_SHRINK;
    if sys::seals(fd.as_fd()).map_err(IpcError::Io)? & needed != needed {
        return Err(IpcError::Decode(
            "the message's payload is not a sealed in-memory file".into(),
        ));
    }
    let file = File::from(fd);
    // Populated: the whole payload is read anyway, and one call maps it faster than a fault
    // per page would.
    let options = memmap2::MmapOptions::new().populate().clone();
    // SAFETY: the file is sealed against writes and shrinking (checked above): no process can
    // change or truncate it, so the mapping stays valid and its bytes fixed while we read them.
    unsafe { options.map(&file) }.map_err(IpcError::Io)
}

impl Incoming {
    /// Decodes the value, its descriptors available to its `Deserialize` (see `attach`).
    pub(crate) fn decode<T: DeserializeOwned>(self) -> Result<T, IpcError> {
        let Incoming { payload, attached } = self;
        let bytes = match &payload {
            Payload::Inline(bytes, offset) => &bytes[*offset..],
            Payload::Mapped(map) => &map[..],
        };
        attach::receiving(attached, || wire::take_value::<T>(bytes))
            .map(|(value, _)| value)
            .map_err(IpcError::Decode)
    }
}
