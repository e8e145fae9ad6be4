//! The wire protocol between the parent and a worker process.
//!
//! Every message is one frame on the worker's private socket:
//!
//! ```text
//! | u32 LE: length of the rest | u32 LE: header length | header (postcard) | body (raw bytes) |
//! ```
//!
//! The header is a small enum; the body carries the bulk (encoded arguments or results) so big
//! payloads are never copied through serde a second time. A body of 64 KiB or more does not go
//! through the socket: the sender writes it into its shared file ([`SharedFile`]), sets the top
//! bit of the header length, and sends the body's length (a u64) in its place.
//!
//! A body's values are laid out one of two ways ([`Layout`]). Values that are one number each
//! (`u64`, `f64`, a newtype of one: see `word`) are 8-byte words, item `i` at byte `8 * i`.
//! Any other values are postcard values laid end to end, with no length before each: postcard
//! values delimit themselves, and only the parent, which encoded them, needs to know where each
//! starts (to send part of a chunk again). The arguments' layout is in the `Run` header; results
//! say theirs in the body's first byte (see [`Results`]).

mod custom;
pub(crate) mod word;

use std::io::{self, Read, Write};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::panic::{self, Caught};
use crate::sys::{Mapping, SharedFile};
use word::{Kind, Word, WordError};

/// Bumped whenever a frame's layout changes, so a stale worker is refused rather than misread.
pub(crate) const PROTOCOL: u32 = 4;

/// How the values of a body lie: see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Layout {
    /// Postcard values end to end.
    Encoded,
    /// One 8-byte little-endian word per value, each a primitive of this kind.
    Words(Kind),
}

/// How long to wait for an answer awake before blocking (see
/// [`spin_until_readable`](crate::sys::spin_until_readable)); both sides use it.
pub(crate) const SPIN: Duration = Duration::from_micros(50);

/// Parent → worker. `Run` asks for `task` on each of the `count` arguments of the body, laid
/// out as `layout`, in order. The descriptors in `attached` arrive with the frame's first byte
/// (SCM_RIGHTS), in that order.
#[derive(Debug, Serialize, Deserialize)]
// ANCHOR: messages
pub(crate) enum ToWorker {
    Run {
        seq: u64,
        task: String,
        layout: Layout,
        timed: bool,      // record each item's start time, for a task time limit
        exit_after: bool, // exit after answering (a `Process` runs one task)
        traced: bool,     // report each item's start and end time
        count: u32,
        attached: Vec<u64>, // ids of the descriptors the arguments carry (see `attach`)
    },
}

// ANCHOR_END: messages
/// Worker → parent.
///
/// `Part` and `Done` carry the outcomes of a `Run`'s items in the body. A `Part` is sent early,
/// when with the next outcome they would not fit in one message; more follow. When the parts
/// and the `Done` hold fewer outcomes than the chunk had items, the worker stopped early (after
/// an argument it could not decode, the next cannot be found) and the rest never started. With
/// `traced`, `times` holds each item's start and end on the monotonic clock, and whether it
/// succeeded.
#[derive(Debug, Serialize, Deserialize)]
// ANCHOR: messages
pub(crate) enum FromWorker {
    /// Sent once, when the worker is ready for work.
    Hello { pid: u32, protocol: u32 },
    /// The outcomes of the next `count` items of `Run { seq }`, sent early: more follow.
    Part {
        seq: u64,
        count: u32,
        times: Vec<(u64, u64, bool)>,
    },
    /// The last outcomes of `Run { seq }`: `count` of them.
    Done {
        seq: u64,
        count: u32,
        times: Vec<(u64, u64, bool)>,
    },
    // ANCHOR_END: messages
    /// Sent instead of `Hello` by a worker that could not set up, and then exits.
    Unready { reason: String },
    // ANCHOR: messages
}
// ANCHOR_END: messages

/// Why one task failed inside a worker; becomes an [`Error`] in the parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Failure {
    Panicked {
        message: String,
        location: Option<String>,
    },
    Encode(String),
    Decode(String),
    Unregistered(String),
}

impl From<Caught> for Failure {
    fn from(caught: Caught) -> Self {
        Failure::Panicked {
            message: caught.message,
            location: caught.location,
        }
    }
}

impl Failure {
    pub(crate) fn into_error(self, index: Option<usize>) -> Error {
        match self {
            Failure::Panicked { message, location } => Error::TaskPanicked {
                index,
                message,
                location,
            },
            Failure::Encode(message) => Error::Encode { index, message },
            Failure::Decode(message) => Error::Decode { index, message },
            Failure::Unregistered(name) => Error::UnregisteredTask(name),
        }
    }
}

/// One received frame: its header and body share one allocation (or the body is the sender's
/// shared file, mapped).
#[derive(Debug)]
pub(crate) struct Frame {
    buf: Vec<u8>,
    header_len: usize,
    mapped: Option<Mapping>,
}

impl Frame {
    pub(crate) fn header<H: DeserializeOwned>(&self) -> io::Result<H> {
        postcard::from_bytes(&self.buf[..self.header_len]).map_err(|e| {
            io::Error::new(io::ErrorKind::InvalidData, format!("bad frame header: {e}"))
        })
    }

    pub(crate) fn body(&self) -> &[u8] {
        match &self.mapped {
            Some(mapped) => mapped,
            None => &self.buf[self.header_len..],
        }
    }
}

/// Bodies at least this large go through the shared file, not the socket.
pub(crate) const SHARED_MIN: usize = 64 * 1024;

/// The header-length bit that says the body is in the sender's shared file.
const IN_SHARED: u32 = 1 << 31;

/// Below this size a frame is copied into one buffer and sent with one `write`; above it the
/// body goes out on its own so a large payload is not copied again.
const COALESCE: usize = 64 * 1024;

/// Writes one frame; a large body goes through `shared` if given.
pub(crate) fn write_frame<H: Serialize>(
    w: &mut (impl Write + ?Sized),
    shared: Option<&SharedFile>,
    header: &H,
    body: &[u8],
) -> io::Result<()> {
    let mut buf = Vec::with_capacity(
        64 + if body.len() <= COALESCE {
            body.len()
        } else {
            0
        },
    );
    buf.extend_from_slice(&[0; 8]);
    postcard::to_io(header, &mut buf).map_err(io::Error::other)?;
    let header_len = buf.len() - 8;
    if let Some(shared) = shared.filter(|_| body.len() >= SHARED_MIN) {
        // The body first: once the frame is read, it must all be there.
        shared.write(body)?;
        buf.extend_from_slice(&(body.len() as u64).to_le_bytes());
        let rest = (buf.len() - 4) as u32; // a header of a few bytes
        buf[..4].copy_from_slice(&rest.to_le_bytes());
        buf[4..8].copy_from_slice(&(header_len as u32 | IN_SHARED).to_le_bytes());
        return w.write_all(&buf);
    }
    let rest = u32::try_from(header_len + 4 + body.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame larger than 4 GiB"))?;
    buf[..4].copy_from_slice(&rest.to_le_bytes());
    // header_len fits: it is smaller than `rest`.
    buf[4..8].copy_from_slice(&(header_len as u32).to_le_bytes());
    if body.len() <= COALESCE {
        buf.extend_from_slice(body);
        w.write_all(&buf)
    } else {
        w.write_all(&buf)?;
        w.write_all(body)
    }
}

/// Where frames are read from: a `Read` that can also append many bytes to a `Vec` without
/// zero-filling the room first (a `Read` that only implements `read` has its buffer zeroed by
/// `read_to_end` before every call: for a large frame, a page fault and a `memset` per page).
pub(crate) trait Source: Read + Sized {
    /// Appends exactly `n` more bytes to `buf`, growing it geometrically as they arrive; an
    /// `UnexpectedEof` error if the stream ends first.
    fn append_exact(&mut self, buf: &mut Vec<u8>, n: usize) -> io::Result<()> {
        let read = self.by_ref().take(n as u64).read_to_end(buf)?;
        if read < n {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }
}

/// Blocking: `read_to_end` reads into the spare capacity directly.
impl Source for std::os::unix::net::UnixStream {}

impl Source for &[u8] {}

/// The most a frame's body is given before its bytes arrive.
const PREALLOCATE: usize = 1 << 20;

/// Reads frames through a buffer, so a small frame costs one `read` instead of three.
#[derive(Debug)]
pub(crate) struct FrameReader {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Map a body from the shared file rather than copy it (see [`FrameReader::mapping`]).
    map_shared: bool,
}

impl FrameReader {
    pub(crate) fn new() -> Self {
        FrameReader {
            buf: vec![0; 64 * 1024].into_boxed_slice(),
            start: 0,
            end: 0,
            map_shared: false,
        }
    }

    /// A reader that maps a body the peer put in its shared file instead of copying it out:
    /// no copy, no buffer. The frame's body then is the file.
    ///
    /// # Safety
    /// The peer must not change or shrink its shared file from the moment it sends a frame
    /// until it receives the next frame from us (by then ours was dropped): see
    /// [`SharedFile::map`]. A parent keeps to that; a worker, running tasks, cannot promise it,
    /// so only a worker reads this way.
    pub(crate) unsafe fn mapping() -> Self {
        FrameReader {
            map_shared: true,
            ..FrameReader::new()
        }
    }

    /// Whether bytes of a next frame are already here (then there is no need to wait for the
    /// socket to become readable).
    pub(crate) fn has_buffered(&self) -> bool {
        self.end > self.start
    }

    /// Reads one frame; `Ok(None)` when the peer closed the connection between frames. A body
    /// the peer put in its shared file is read from `shared`.
    pub(crate) fn read_frame(
        &mut self,
        r: &mut impl Source,
        shared: Option<&SharedFile>,
    ) -> io::Result<Option<Frame>> {
        while self.end - self.start < 8 {
            if !self.fill(r)? {
                return if self.has_buffered() {
                    Err(io::ErrorKind::UnexpectedEof.into())
                } else {
                    Ok(None)
                };
            }
        }
        let word = |at: usize| {
            let bytes: [u8; 4] = self.buf[at..at + 4].try_into().expect("four bytes");
            u32::from_le_bytes(bytes) as usize
        };
        let (rest, flagged) = (word(self.start), word(self.start + 4));
        let in_shared = flagged as u32 & IN_SHARED != 0;
        let header_len = (flagged as u32 & !IN_SHARED) as usize;
        if in_shared && rest != 4 + header_len + 8 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "bad shared-body frame",
            ));
        }
        if rest < 4 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "frame too short",
            ));
        }
        if header_len > rest - 4 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "frame header too long",
            ));
        }
        let len = rest - 4;
        let here = (self.end - self.start - 8).min(len);
        // Room for what is here and a little more, not for the length the peer announced: a
        // bad length must not make us allocate gigabytes for bytes that never come.
        let mut body = Vec::with_capacity(len.min(here.max(PREALLOCATE)));
        body.extend_from_slice(&self.buf[self.start + 8..self.start + 8 + here]);
        self.start += 8 + here;
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        }
        if here < len {
            // A large frame: the rest goes straight into place, not through the buffer.
            r.append_exact(&mut body, len - here)?;
        }
        if in_shared {
            let bytes: [u8; 8] = body[header_len..].try_into().expect("eight bytes");
            let shared_len = usize::try_from(u64::from_le_bytes(bytes))
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "body too large"))?;
            let shared = shared.ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    "a shared body with no shared file",
                )
            })?;
            // As above: never room for more than the bytes that are there.
            if shared.len() < shared_len as u64 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            body.truncate(header_len);
            if self.map_shared {
                // SAFETY: a reader made by `mapping`, whose contract is `map`'s: the peer
                // leaves the file alone until we answer; it is at least `shared_len` long.
                let mapped = unsafe { shared.map(shared_len)? };
                return Ok(Some(Frame {
                    buf: body,
                    header_len,
                    mapped: Some(mapped),
                }));
            }
            shared.read_into(&mut body, shared_len)?;
        }
        Ok(Some(Frame {
            buf: body,
            header_len,
            mapped: None,
        }))
    }

    /// Reads more bytes into the buffer; `false` at end of file.
    fn fill(&mut self, r: &mut impl Source) -> io::Result<bool> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, self.end - self.start);
        }
        loop {
            match r.read(&mut self.buf[self.end..]) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// A postcard output that appends to a `Vec` in place. (`to_io` would make a `write` call, and
/// a `memcpy`, for every byte or two of a small value; `to_extend` would take the `Vec` away.)
struct AppendTo<'a>(&'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for AppendTo<'_> {
    type Output = ();

    #[inline]
    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0.push(byte);
        Ok(())
    }

    #[inline]
    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        // Most extends are a varint of a few bytes: pushing them beats a `memcpy` call.
        if bytes.len() <= 16 {
            self.0.reserve(bytes.len());
            bytes.iter().for_each(|&b| self.0.push(b));
        } else {
            // A large value (bytes, a string): room for it, on huge pages if it is large.
            crate::sys::reserve(self.0, bytes.len());
            self.0.extend_from_slice(bytes);
        }
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

/// The most bytes of encoded values one message carries (its length is a `u32`, and the header
/// needs a little room).
pub(crate) const MAX_BODY: usize = u32::MAX as usize - 64 * 1024;

/// Appends `value`'s encoding to `out`; on failure `out` is left as it was.
pub(crate) fn encode_value<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let start = out.len();
    let encoded = postcard::serialize_with_flavor(value, AppendTo(&mut *out));
    if encoded.is_ok() && out.len() - start > MAX_BODY {
        out.truncate(start);
        return Err("larger than the 4 GiB one message can carry".into());
    }
    encoded.map_err(|e| {
        out.truncate(start);
        match e {
            // postcard drops the message of a `Serialize` impl's own error (it is no_std);
            // serde_json keeps it, so ask it what the impl said.
            postcard::Error::SerdeSerCustom => {
                match serde_json::to_writer(std::io::sink(), value) {
                    Err(e) => e.to_string(),
                    Ok(()) => postcard::Error::SerdeSerCustom.to_string(),
                }
            }
            e => e.to_string(),
        }
    })
}

const OK: u8 = 0;
const FAILED: u8 = 1;

/// Appends one task outcome to `out`. Returns whether it is a success.
///
/// A result that cannot be encoded becomes an `Encode` failure for that task alone.
#[cfg(test)]
fn encode_outcome<R: Serialize>(outcome: &Result<R, Failure>, out: &mut Vec<u8>) -> bool {
    match outcome {
        Ok(value) => encode_ok(value, out),
        Err(failure) => {
            encode_failure(failure, out);
            false
        }
    }
}

/// Appends a successful outcome; if `value` cannot be encoded, an `Encode` failure instead.
/// Returns whether it is a success.
#[inline]
pub(crate) fn encode_ok<R: Serialize + ?Sized>(value: &R, out: &mut Vec<u8>) -> bool {
    out.push(OK);
    match encode_value(value, out) {
        Ok(()) => true,
        Err(message) => {
            out.pop();
            encode_failure(&Failure::Encode(message), out);
            false
        }
    }
}

/// Appends a failed outcome.
pub(crate) fn encode_failure(failure: &Failure, out: &mut Vec<u8>) {
    out.push(FAILED);
    encode_value(failure, out).expect("a failure always encodes");
}

/// Decodes the value at the start of `bytes`; returns it and the bytes after it. On failure the
/// message is the decoder's own when the value's `Deserialize` impl gave one.
#[inline]
pub(crate) fn take_value<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, &[u8]), String> {
    match postcard::take_from_bytes(bytes) {
        Ok(taken) => Ok(taken),
        Err(e) => Err(decode_error::<T>(bytes, e)),
    }
}

/// The message for value `index` of `bytes` (values end to end), which failed with `error`.
#[cold]
#[inline(never)]
pub(crate) fn decode_error_at<T: DeserializeOwned>(
    bytes: &[u8],
    index: usize,
    error: postcard::Error,
) -> String {
    if error != postcard::Error::SerdeDeCustom {
        return error.to_string();
    }
    // Find where it starts: the ones before it decoded once, so they decode again.
    let mut rest = bytes;
    for _ in 0..index {
        match postcard::take_from_bytes::<T>(rest) {
            Ok((_, after)) => rest = after,
            Err(_) => return error.to_string(),
        }
    }
    decode_error::<T>(rest, error)
}

/// The message for the value at the start of `bytes`, which failed with `error`: the decoder's
/// own when its `Deserialize` impl gave one (postcard drops it; see `custom`).
#[cold]
#[inline(never)]
fn decode_error<T: DeserializeOwned>(bytes: &[u8], error: postcard::Error) -> String {
    match error {
        postcard::Error::SerdeDeCustom => {
            custom::message::<T>(bytes).unwrap_or_else(|| error.to_string())
        }
        e => e.to_string(),
    }
}

/// Decodes the one outcome in `body` (an `apply`, a [`Process`](crate::Process)); a panicking
/// `Deserialize` becomes an error, as in the supervisors' decoders.
pub(crate) fn decode_single<R: DeserializeOwned>(body: &[u8]) -> Result<R> {
    panic::catch(|| Results::new(body, 1).next(None))
        .unwrap_or_else(|caught| Err(Error::decode_panicked(None, &caught)))
}

// ANCHOR: results
/// The first byte of a body of results: how the results lie.
pub(crate) const ENCODED_RESULTS: u8 = 0;
/// Then the kind (one byte), the words, and the failures (a postcard `Vec<(u32, Failure)>`,
/// by offset in the body; a failed item's word is 0).
pub(crate) const WORD_RESULTS: u8 = 1;

/// Reads a body of results, laid out either way.
#[derive(Debug)]
pub(crate) enum Results<'a> {
    Encoded(Outcomes<'a>),
    Words {
        kind: Kind,
        /// The words not read yet.
        words: std::slice::Iter<'a, [u8; 8]>,
        failures: std::iter::Peekable<std::vec::IntoIter<(u32, Failure)>>,
        at: u32,
    },
    /// A malformed body: every item is a decode error.
    Broken(String),
}
// ANCHOR_END: results

impl<'a> Results<'a> {
    /// The results of `count` items in `body`.
    pub(crate) fn new(body: &'a [u8], count: usize) -> Self {
        match body.split_first() {
            Some((&ENCODED_RESULTS, rest)) => Results::Encoded(Outcomes::new(rest)),
            Some((&WORD_RESULTS, rest)) => Self::words(rest, count),
            _ => Results::Broken("results missing or of an unknown layout".into()),
        }
    }

    fn words(rest: &'a [u8], count: usize) -> Self {
        let kind = rest
            .split_first()
            .and_then(|(&k, _)| postcard::from_bytes::<Kind>(&[k]).ok());
        let words_len = count.checked_mul(8).filter(|&n| n < rest.len());
        let (Some(kind), Some(words_len)) = (kind, words_len) else {
            return Results::Broken("word results cut short".into());
        };
        let (words, tail) = rest[1..].split_at(words_len);
        match postcard::from_bytes::<Vec<(u32, Failure)>>(tail) {
            Ok(failures) => Results::Words {
                kind,
                words: words.as_chunks::<8>().0.iter(),
                failures: failures.into_iter().peekable(),
                at: 0,
            },
            Err(e) => Results::Broken(format!("the failures of word results: {e}")),
        }
    }

    /// The kind and the words of results that are all words, with no failure among them.
    pub(crate) fn plain_words(&self) -> Option<(Kind, &'a [u8])> {
        match self {
            Results::Words {
                kind,
                words,
                failures,
                ..
            } if failures.len() == 0 => Some((*kind, words.as_slice().as_flattened())),
            _ => None,
        }
    }

    /// Whether an outcome could not be decoded, so those after it cannot be found (only
    /// values end to end lose their place).
    pub(crate) fn lost(&self) -> bool {
        match self {
            Results::Encoded(outcomes) => outcomes.lost(),
            Results::Words { .. } => false,
            Results::Broken(_) => true,
        }
    }

    /// The next outcome; `index` labels a failure.
    #[inline]
    pub(crate) fn next<R: DeserializeOwned>(&mut self, index: Option<usize>) -> Result<R> {
        match self {
            Results::Encoded(outcomes) => outcomes.next(index),
            Results::Words {
                kind,
                words,
                failures,
                at,
            } => {
                let this = *at;
                *at += 1;
                let word = words.next().map(|w| u64::from_le_bytes(*w));
                if let Some((_, failure)) = failures.next_if(|(i, _)| *i == this) {
                    return Err(failure.into_error(index));
                }
                let Some(bits) = word else {
                    return Err(Error::Decode {
                        index,
                        message: "result missing".into(),
                    });
                };
                word::from_word(Word { kind: *kind, bits }).map_err(|e| Error::Decode {
                    index,
                    message: match e {
                        WordError::Custom(message) => message,
                        e => e.to_string(),
                    },
                })
            }
            Results::Broken(message) => Err(Error::Decode {
                index,
                message: message.clone(),
            }),
        }
    }
}

/// Appends the failures of a body of word results (see [`WORD_RESULTS`]).
pub(crate) fn end_word_results(out: &mut Vec<u8>, failures: &[(u32, Failure)]) {
    encode_value(failures, out).expect("failures always encode");
}

/// Reads outcomes laid end to end by [`encode_ok`] and [`encode_failure`].
#[derive(Debug)]
pub(crate) struct Outcomes<'a> {
    rest: &'a [u8],
    lost: bool,
}

impl<'a> Outcomes<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Outcomes {
            rest: bytes,
            lost: false,
        }
    }

    /// Whether an outcome could not be decoded, so those after it cannot be found.
    pub(crate) fn lost(&self) -> bool {
        self.lost
    }

    /// The next outcome; `index` labels a failure. A malformed stream yields `Decode` forever
    /// after, so a count mismatch can never read garbage.
    #[inline]
    pub(crate) fn next<R: DeserializeOwned>(&mut self, index: Option<usize>) -> Result<R> {
        let decode_error = |message: String| Error::Decode { index, message };
        let Some((&tag, rest)) = self.rest.split_first() else {
            self.lost = true;
            return Err(decode_error("result missing".into()));
        };
        let taken = match tag {
            OK => take_value::<R>(rest).map(|(v, rest)| (Ok(v), rest)),
            FAILED => take_value::<Failure>(rest).map(|(f, rest)| (Err(f.into_error(index)), rest)),
            _ => {
                self.rest = &[];
                self.lost = true;
                return Err(decode_error(format!("bad result tag {tag}")));
            }
        };
        match taken {
            Ok((outcome, rest)) => {
                self.rest = rest;
                outcome
            }
            Err(message) => {
                // Without a length we cannot find the next outcome: give up on the rest.
                self.rest = &[];
                self.lost = true;
                Err(decode_error(message))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn frames_round_trip_small_and_large() {
        for size in [0, 10, COALESCE, COALESCE + 1, 1 << 20] {
            let body: Vec<u8> = (0..size).map(|i| i as u8).collect();
            let mut wire = Vec::new();
            write_frame(
                &mut wire,
                None,
                &FromWorker::Done {
                    seq: 9,
                    count: 1,
                    times: vec![],
                },
                &body,
            )
            .unwrap();
            let frame = FrameReader::new()
                .read_frame(&mut wire.as_slice(), None)
                .unwrap()
                .unwrap();
            assert!(matches!(
                frame.header().unwrap(),
                FromWorker::Done { seq: 9, .. }
            ));
            assert_eq!(frame.body(), &body[..]);
        }
    }

    #[test]
    fn a_large_body_goes_through_the_shared_file() {
        let sender = SharedFile::create(c"test").unwrap();
        let receiver = SharedFile::from_fd(sender.as_fd().try_clone_to_owned().unwrap());
        let done = FromWorker::Done {
            seq: 3,
            count: 1,
            times: vec![],
        };
        for size in [10, SHARED_MIN, 3 * SHARED_MIN + 7] {
            let body: Vec<u8> = (0..size).map(|i| (i * 7) as u8).collect();
            let mut wire = Vec::new();
            write_frame(&mut wire, Some(&sender), &done, &body).unwrap();
            if size >= SHARED_MIN {
                assert!(wire.len() < 100, "only the length goes inline");
            }
            let frame = FrameReader::new()
                .read_frame(&mut wire.as_slice(), Some(&receiver))
                .unwrap()
                .unwrap();
            assert_eq!(frame.body(), &body[..]);
        }
        // Without a shared file, or with a file shorter than announced: an error.
        let mut wire = Vec::new();
        write_frame(&mut wire, Some(&sender), &done, &[1; SHARED_MIN]).unwrap();
        assert!(
            FrameReader::new()
                .read_frame(&mut wire.as_slice(), None)
                .is_err()
        );
        sender.clear();
        let err = FrameReader::new()
            .read_frame(&mut wire.as_slice(), Some(&receiver))
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn word_results_and_their_failures_come_back_in_order() {
        let mut body = vec![WORD_RESULTS];
        encode_value(&Kind::U64, &mut body).unwrap();
        for w in [4u64, 0, 16] {
            body.extend_from_slice(&w.to_le_bytes());
        }
        end_word_results(&mut body, &[(1, Failure::Encode("no".into()))]);
        let mut results = Results::new(&body, 3);
        assert_eq!(results.next::<u64>(Some(0)).unwrap(), 4);
        assert!(matches!(
            results.next::<u64>(Some(1)),
            Err(Error::Encode { index: Some(1), .. })
        ));
        assert_eq!(results.next::<u64>(Some(2)).unwrap(), 16);
        assert!(!results.lost());
        // Cut short: every item is a decode error, never garbage.
        let mut cut = Results::new(&body[..10], 3);
        assert!(matches!(cut.next::<u64>(None), Err(Error::Decode { .. })));
    }

    #[test]
    fn clean_eof_is_none_and_torn_frame_is_an_error() {
        assert!(
            FrameReader::new()
                .read_frame(&mut &[][..], None)
                .unwrap()
                .is_none()
        );
        let mut wire = Vec::new();
        write_frame(
            &mut wire,
            None,
            &FromWorker::Done {
                seq: 1,
                count: 1,
                times: vec![],
            },
            b"abc",
        )
        .unwrap();
        wire.pop();
        assert!(
            FrameReader::new()
                .read_frame(&mut wire.as_slice(), None)
                .is_err()
        );
        assert!(
            FrameReader::new()
                .read_frame(&mut &[1, 0][..], None)
                .is_err()
        );
    }

    #[test]
    fn frames_arriving_together_are_read_one_by_one() {
        let mut wire = Vec::new();
        for seq in 0..3 {
            write_frame(
                &mut wire,
                None,
                &FromWorker::Done {
                    seq,
                    count: 1,
                    times: vec![],
                },
                &[seq as u8; 5],
            )
            .unwrap();
        }
        let mut reader = FrameReader::new();
        let mut input = wire.as_slice();
        for seq in 0..3 {
            let frame = reader.read_frame(&mut input, None).unwrap().unwrap();
            assert!(matches!(frame.header().unwrap(), FromWorker::Done { seq: s, .. } if s == seq));
            assert_eq!(frame.body(), &[seq as u8; 5]);
        }
        assert!(!reader.has_buffered());
        assert!(reader.read_frame(&mut input, None).unwrap().is_none());
    }

    #[test]
    fn a_length_from_the_peer_is_not_allocated_before_its_bytes_arrive() {
        // A header that announces 3 GiB, followed by ten bytes and the end.
        let mut wire = Vec::new();
        wire.extend_from_slice(&(3u32 << 30).to_le_bytes());
        wire.extend_from_slice(&2u32.to_le_bytes());
        wire.extend_from_slice(&[0; 10]);
        let mut reader = FrameReader::new();
        crate::alloc_probe::reset();
        let err = reader.read_frame(&mut wire.as_slice(), None).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let largest = crate::alloc_probe::largest_on_this_thread();
        assert!(
            largest < 16 << 20,
            "allocated {largest} bytes for ten that arrived"
        );
    }

    #[test]
    fn outcomes_round_trip() {
        let mut out = Vec::new();
        assert!(encode_outcome::<String>(&Ok("a".into()), &mut out));
        assert!(!encode_outcome::<String>(
            &Err(Failure::Encode("x".into())),
            &mut out
        ));
        let mut outcomes = Outcomes::new(&out);
        assert_eq!(outcomes.next::<String>(Some(0)).unwrap(), "a");
        let err = outcomes.next::<String>(Some(1)).unwrap_err();
        assert!(matches!(err, Error::Encode { index: Some(1), .. }));
        assert!(matches!(
            outcomes.next::<String>(Some(2)),
            Err(Error::Decode { .. })
        ));
    }

    #[test]
    fn unencodable_result_becomes_a_failure() {
        struct Refuses;
        impl Serialize for Refuses {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("refused"))
            }
        }
        let mut out = vec![7];
        assert!(!encode_outcome(&Ok(Refuses), &mut out));
        let mut outcomes = Outcomes::new(&out[1..]);
        let err = outcomes.next::<()>(None).unwrap_err();
        assert!(matches!(err, Error::Encode { .. }), "{err:?}");
    }
}
