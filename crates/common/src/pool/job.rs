//! What travels from a call to a supervisor (a [`Job`]: a chunk of encoded arguments) and back
//! (a [`Delivery`]), and how a call's input is cut into chunks.

use std::any::Any;
use std::cell::Cell;
use std::marker::PhantomData;
use std::ops::Range;
use std::panic::{self as std_panic, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crossbeam_channel::Sender;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::attach::{self, Attachments};
use crate::error::Error;
use crate::link::Args;
use crate::panic;
use crate::trace::Trace;
use crate::wire::word::{self, AsValue, Kind, Word, WordError};
use crate::wire::{self, Frame, Layout, Results};

/// State shared by one call (`map`, `imap`…) and the jobs it submitted.
#[derive(Debug)]
pub(crate) struct CallState {
    /// Jobs whose first item is at or past this index are no longer wanted (`usize::MAX`:
    /// all are). `map` lowers it past its first failure; a dropped `imap` sets it to 0.
    skip_from: AtomicUsize,
}

impl CallState {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(CallState {
            skip_from: AtomicUsize::new(usize::MAX),
        })
    }

    pub(crate) fn skip_from(&self, index: usize) {
        self.skip_from.fetch_min(index, Ordering::Relaxed);
    }

    pub(crate) fn wants(&self, first: usize) -> bool {
        first < self.skip_from.load(Ordering::Relaxed)
    }
}

/// What every job of one call has in common.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub task: &'static str,
    pub limit: Option<Duration>,
    pub trace: Option<Trace>,
    pub decode: Decoder,
}

/// Decodes a worker's outcomes for items `first..first + count` into a boxed [`Decoded`] of the
/// first `found` of them: all, unless one could not be decoded (its `Deserialize` refused it or
/// panicked), which ends them, since the next cannot be found without a length. The
/// supervisor that receives an answer runs it, so decoding is spread over the pool's threads
/// instead of piling up on the caller's.
pub(crate) type Decoder =
    fn(body: &[u8], first: usize, count: usize) -> (Box<dyn Any + Send>, usize);

/// Decoded outcomes of consecutive items. Values and failures are kept apart because an
/// `Error` is large: a `Vec<Result<R, Error>>` of a million small results would be mostly
/// room for errors that never happened, and a chunk without failures (the usual case) is then
/// a plain `Vec<R>` that `map` can hand on without touching each item again.
#[derive(Debug)]
pub(crate) struct Decoded<R> {
    /// The results of the items that succeeded, in order.
    pub values: Vec<R>,
    /// Input index and error of each failed item, in order.
    pub failures: Vec<(usize, Error)>,
}

impl<R> Decoded<R> {
    /// Every item's outcome, by input index, from `first` on.
    pub(crate) fn into_outcomes(
        self,
        first: usize,
    ) -> impl Iterator<Item = (usize, Result<R, Error>)> {
        let count = self.values.len() + self.failures.len();
        let mut values = self.values.into_iter();
        let mut failures = self.failures.into_iter().peekable();
        (first..first + count).map(move |index| match failures.next_if(|(i, _)| *i == index) {
            Some((_, error)) => (index, Err(error)),
            None => (
                index,
                Ok(values.next().expect("one value per item that did not fail")),
            ),
        })
    }
}

/// The [`Decoder`] for results of type `R`.
pub(crate) fn decoder<R: DeserializeOwned + Send + 'static>() -> Decoder {
    |body, first, count| {
        let mut values = Vec::with_capacity(count);
        let mut failures = Vec::new();
        // A result type's own `Deserialize` may panic; that must fail its item, not the
        // supervisor thread running this (which would leave the items unanswered).
        let reached = Cell::new(0);
        // Words without failures (the usual `map` of numbers): one tight loop per kind.
        if let Some((kind, words)) = Results::new(body, count).plain_words() {
            let mut start = 0;
            while start < count {
                let caught = panic::catch(|| {
                    word::for_kind!(kind, K => {
                        for (offset, bytes) in words.chunks_exact(8).enumerate().skip(start) {
                            reached.set(offset);
                            let bits = u64::from_le_bytes(bytes.try_into().expect("eight bytes"));
                            match word::from_bits::<R, K>(bits) {
                                Ok(value) => values.push(value),
                                Err(e) => failures.push((first + offset, Error::Decode {
                                    index: Some(first + offset),
                                    message: e.to_string(),
                                })),
                            }
                        }
                    })
                });
                match caught {
                    Ok(()) => break,
                    // Words keep their places: only the item that panicked fails.
                    Err(caught) => {
                        let index = first + reached.get();
                        failures.push((index, Error::decode_panicked(Some(index), &caught)));
                        start = reached.get() + 1;
                    }
                }
            }
            return (Box::new(Decoded::<R> { values, failures }), count);
        }
        let caught = panic::catch(|| {
            let mut outcomes = Results::new(body, count);
            for index in first..first + count {
                reached.set(index - first);
                match outcomes.next(Some(index)) {
                    Ok(value) => values.push(value),
                    Err(error) => failures.push((index, error)),
                }
                if outcomes.lost() {
                    return index - first + 1;
                }
            }
            count
        });
        let found = caught.unwrap_or_else(|caught| {
            let index = first + reached.get();
            failures.push((index, Error::decode_panicked(Some(index), &caught)));
            reached.get() + 1
        });
        (Box::new(Decoded::<R> { values, failures }), found)
    }
}

/// Where a job's results go, on the supervisor thread that has them: a channel that the caller
/// reads (`imap`), or a sink that completes an [`AsyncResult`](crate::AsyncResult) there and
/// then (`map_async`, `apply_async`).
pub(crate) trait Deliver: Send + Sync {
    fn deliver(&self, delivery: Delivery);
}

impl Deliver for Sender<Delivery> {
    fn deliver(&self, delivery: Delivery) {
        // A caller that stopped listening (a dropped `imap`) wants nothing more.
        let _ = self.send(delivery);
    }
}

impl Spec {
    /// A job of this call for items `first..first + args.len()`.
    pub(crate) fn job(
        &self,
        first: usize,
        args: ChunkArgs,
        call: &Arc<CallState>,
        reply: &Arc<dyn Deliver>,
    ) -> Job {
        Job {
            task: self.task,
            first,
            args,
            limit: self.limit,
            trace: self.trace.clone(),
            decode: self.decode,
            call: Arc::clone(call),
            reply: Arc::clone(reply),
        }
    }
}

/// A chunk of consecutive items of one call, encoded, waiting for a worker.
pub(crate) struct Job {
    pub task: &'static str,
    /// Input index of the chunk's first item.
    pub first: usize,
    pub args: ChunkArgs,
    /// Time limit per item.
    pub limit: Option<Duration>,
    /// Where to record each item's run, if the call is traced.
    pub trace: Option<Trace>,
    pub decode: Decoder,
    pub call: Arc<CallState>,
    pub reply: Arc<dyn Deliver>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("task", &self.task)
            .field("first", &self.first)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// A chunk's arguments, as the wire carries them.
#[derive(Debug)]
pub(crate) struct ChunkArgs {
    bytes: Vec<u8>,
    lens: Lens,
    /// The descriptors the encodings carry (see `attach`), held until the job is done, since a
    /// worker's death may make it send them again.
    attached: Attachments,
}

/// Where each argument of a chunk starts.
#[derive(Debug)]
enum Lens {
    /// `count` words of this kind: item `i` is at byte `8 * i`.
    Words(Kind, usize),
    /// Encoded values end to end, with each one's length.
    Encoded(Vec<u32>),
}

impl ChunkArgs {
    /// Encoded values end to end, of these lengths.
    pub(crate) fn encoded(bytes: Vec<u8>, lens: Vec<u32>, attached: Attachments) -> Self {
        ChunkArgs {
            bytes,
            lens: Lens::Encoded(lens),
            attached,
        }
    }

    /// Number of items.
    pub(crate) fn len(&self) -> usize {
        match &self.lens {
            Lens::Words(_, count) => *count,
            Lens::Encoded(lens) => lens.len(),
        }
    }

    /// Whether every argument is a word of one kind.
    #[cfg(test)]
    fn is_words(&self) -> bool {
        matches!(self.lens, Lens::Words(..))
    }
}

impl Job {
    /// Number of items.
    pub(crate) fn len(&self) -> usize {
        self.args.len()
    }

    /// The arguments of items `range` (offsets into this job), and how many there are. The
    /// descriptors go with every slice: which items hold which is not tracked.
    pub(crate) fn slice(&self, range: Range<usize>) -> (Args<'_>, u32) {
        Job::slice_of(&self.args, range)
    }

    fn slice_of(args: &ChunkArgs, range: Range<usize>) -> (Args<'_>, u32) {
        let bytes = &args.bytes;
        let count = range.len() as u32;
        let (bytes, layout) = match &args.lens {
            Lens::Words(kind, _) => (&bytes[8 * range.start..8 * range.end], Layout::Words(*kind)),
            // The whole job is the common case; only a split after a worker's death needs sums.
            Lens::Encoded(_) if range == (0..args.len()) => (&bytes[..], Layout::Encoded),
            Lens::Encoded(lens) => {
                let start: usize = lens[..range.start].iter().map(|&l| l as usize).sum();
                let len: usize = lens[range].iter().map(|&l| l as usize).sum();
                (&bytes[start..start + len], Layout::Encoded)
            }
        };
        let args = Args {
            bytes,
            layout,
            attached: &args.attached,
        };
        (args, count)
    }

    /// Reports items `range` (offsets into this job) as done by a worker. Returns how many of
    /// them, from the start, have an outcome: fewer when one could not be decoded, and the
    /// results after it are lost.
    pub(crate) fn done(&self, range: Range<usize>, frame: Frame) -> usize {
        let first = self.first + range.start;
        let (results, found) = (self.decode)(frame.body(), first, range.len());
        self.reply.deliver(Delivery::Done { first, results });
        found
    }

    /// Reports items `range` (offsets into this job) as failed with `error`.
    pub(crate) fn fail(&self, range: Range<usize>, error: Error) {
        if !range.is_empty() {
            self.reply.deliver(Delivery::Failed {
                first: self.first + range.start,
                count: range.len(),
                error,
            });
        }
    }
}

/// What a call receives for a run of consecutive items. Every item of every job a call still
/// wants is answered exactly once: that is what lets callers wait without timeouts.
#[derive(Debug)]
pub(crate) enum Delivery {
    /// Results for items from `first` on: a [`Decoded<R>`] made by the call's [`Decoder`].
    Done {
        first: usize,
        results: Box<dyn Any + Send>,
    },
    /// Items `first..first + count` failed with `error` (the same for each).
    Failed {
        first: usize,
        count: usize,
        error: Error,
    },
}

/// A piece of a call's input: a chunk ready to submit, or an item that could not be encoded.
#[derive(Debug)]
pub(crate) enum Piece {
    Chunk { first: usize, args: ChunkArgs },
    Unencodable { index: usize, error: Error },
}

/// Cuts an input into chunks of at most `size` items, encoding them on the way.
///
/// The input iterator and the items' `Serialize` impls are the caller's code, and may panic.
/// The chunker catches such a panic, ends the chunk it was building there (the items before the
/// panic still go out), ends the input, and keeps the panic for the caller to resume once it
/// has dealt with what was submitted ([`take_panic`](Self::take_panic)).
pub(crate) struct Chunker<I, A> {
    items: I,
    size: usize,
    next_index: usize,
    held: Option<Piece>,
    panic: Option<Box<dyn Any + Send>>,
    ended: bool,
    /// An encoded item that did not fit in the previous chunk's message, and its descriptors.
    carried: Option<(usize, Vec<u8>, Attachments)>,
    /// Where the carried item's descriptors start (see [`attach::mark`]).
    carried_mark: u64,
    /// The previous chunk's encoded size: the next one is likely alike, so its buffer starts
    /// that large rather than doubling its way there.
    last_len: usize,
    /// Whether to try items as words (until one is not a number).
    words: bool,
    _arg: PhantomData<fn(A)>,
}

impl<I, A> std::fmt::Debug for Chunker<I, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chunker")
            .field("size", &self.size)
            .field("next_index", &self.next_index)
            .finish_non_exhaustive()
    }
}

impl<I: Iterator<Item = A>, A: Serialize> Chunker<I, A> {
    /// How many items have been taken from the input so far.
    pub(crate) fn items_read(&self) -> usize {
        self.next_index
    }

    /// A panic of the input (or of an item's `Serialize`), once the input has ended with it.
    pub(crate) fn take_panic(&mut self) -> Option<Box<dyn Any + Send>> {
        self.panic.take()
    }

    pub(crate) fn new(items: I, size: usize) -> Self {
        Chunker {
            items,
            size,
            next_index: 0,
            held: None,
            panic: None,
            ended: false,
            carried: None,
            carried_mark: 0,
            last_len: 0,
            words: true,
            _arg: PhantomData,
        }
    }
}

impl<I: Iterator<Item = A>, A: Serialize> Iterator for Chunker<I, A> {
    type Item = Piece;

    fn next(&mut self) -> Option<Piece> {
        if let Some(piece) = self.held.take() {
            return Some(piece);
        }
        if self.ended {
            return None;
        }
        let mut first = self.next_index;
        let mut chunk = Building {
            bytes: Vec::with_capacity(self.last_len),
            lens: Vec::new(),
            kind: None,
            count: 0,
        };
        let mut carried_fds = Attachments::default();
        if let Some((index, bytes, fds)) = self.carried.take() {
            first = index;
            chunk.lens.push(bytes.len() as u32);
            chunk.bytes = bytes;
            chunk.count = 1;
            carried_fds = fds;
        }
        // One catch for the chunk, not one per item (small items are that cheap); one
        // collection of descriptors for the chunk too.
        let (filled, mut attached) =
            attach::collect(|| std_panic::catch_unwind(AssertUnwindSafe(|| self.fill(&mut chunk))));
        attached.extend(carried_fds);
        if let Some((_, _, fds)) = &mut self.carried {
            // The carried item's descriptors were collected with this chunk: they go with it.
            fds.extend(attached.split_from(self.carried_mark));
        }
        match filled {
            Ok(Some(unencodable)) => return Some(unencodable),
            Ok(None) => {}
            Err(payload) => {
                // The items before the panic stay; the bytes of the one being encoded go.
                let complete = match chunk.kind {
                    Some(_) => 8 * chunk.count,
                    None => chunk.lens.iter().map(|&len| len as usize).sum(),
                };
                chunk.bytes.truncate(complete);
                self.panic = Some(payload);
                self.ended = true;
            }
        }
        self.last_len = chunk.bytes.len();
        (chunk.count > 0).then(|| Piece::Chunk {
            first,
            args: chunk.finish(attached),
        })
    }
}

/// A chunk's arguments as the [`Chunker`] fills it: words while every item is a word of one
/// kind, encoded values from the first that is not.
struct Building {
    bytes: Vec<u8>,
    /// Each value's length, once encoded.
    lens: Vec<u32>,
    /// `Some` while the chunk is words.
    kind: Option<Kind>,
    count: usize,
}

impl Building {
    /// The words so far become encoded values.
    #[cold]
    fn words_become_values(&mut self) {
        let Some(kind) = self.kind.take() else {
            return;
        };
        let words = std::mem::take(&mut self.bytes);
        for bytes in words.chunks_exact(8) {
            let bits = u64::from_le_bytes(bytes.try_into().expect("eight bytes"));
            let before = self.bytes.len();
            wire::encode_value(&AsValue(Word { kind, bits }), &mut self.bytes)
                .expect("a number always encodes");
            self.lens.push((self.bytes.len() - before) as u32);
        }
    }

    fn finish(self, attached: Attachments) -> ChunkArgs {
        ChunkArgs {
            bytes: self.bytes,
            lens: match self.kind {
                Some(kind) => Lens::Words(kind, self.count),
                None => Lens::Encoded(self.lens),
            },
            attached,
        }
    }
}

impl<I: Iterator<Item = A>, A: Serialize> Chunker<I, A> {
    /// Adds items to the chunk until it is full or the input ends. Returns an unencodable
    /// first item, which is a piece of its own.
    fn fill(&mut self, chunk: &mut Building) -> Option<Piece> {
        while chunk.count < self.size {
            let Some(item) = self.items.next() else {
                self.ended = true;
                break;
            };
            let index = self.next_index;
            self.next_index += 1;
            // A word, if the items so far were words of its kind (or there are none yet).
            if self.words && (chunk.count == 0 || chunk.kind.is_some()) {
                match word::to_word(&item) {
                    Ok(w) if chunk.count == 0 || chunk.kind == Some(w.kind) => {
                        if chunk.count == 0 {
                            // A chunk of words is 8 bytes an item: room for all of them at once.
                            let left = self.items.size_hint().0.saturating_add(1);
                            chunk.bytes.reserve(8 * self.size.min(left));
                        }
                        chunk.kind = Some(w.kind);
                        chunk.bytes.extend_from_slice(&w.bits.to_le_bytes());
                        chunk.count += 1;
                        if chunk.bytes.len() + 8 > wire::MAX_BODY {
                            break;
                        }
                        continue;
                    }
                    Ok(_) => chunk.words_become_values(),
                    Err(WordError::NotAWord) => {
                        // Not a number: this input is encoded from here on, all of it.
                        self.words = false;
                        chunk.words_become_values();
                    }
                    Err(WordError::Custom(message)) => {
                        match self.unencodable(index, message, chunk.count) {
                            Some(bad) => return Some(bad),
                            None => break,
                        }
                    }
                }
            }
            let before = chunk.bytes.len();
            let mark = attach::mark();
            match wire::encode_value(&item, &mut chunk.bytes) {
                // One value always fits a message; with the others it may not: it starts the
                // next chunk.
                Ok(()) if chunk.bytes.len() > wire::MAX_BODY => {
                    let bytes = chunk.bytes.split_off(before);
                    self.carried = Some((index, bytes, Attachments::default()));
                    self.carried_mark = mark;
                    break;
                }
                Ok(()) => {
                    chunk.lens.push((chunk.bytes.len() - before) as u32);
                    chunk.count += 1;
                }
                Err(message) => {
                    chunk.bytes.truncate(before);
                    match self.unencodable(index, message, chunk.count) {
                        Some(bad) => return Some(bad),
                        None => break,
                    }
                }
            }
        }
        None
    }

    /// Item `index` cannot be encoded: it is a piece of its own. Chunks hold consecutive
    /// items, so a chunk of `count` items so far ends before it: returns the piece to give
    /// now if the chunk is empty, else holds it for next time (`None`: end the chunk).
    fn unencodable(&mut self, index: usize, message: String, count: usize) -> Option<Piece> {
        let bad = Piece::Unencodable {
            index,
            error: Error::Encode {
                index: Some(index),
                message,
            },
        };
        if count == 0 {
            return Some(bad);
        }
        self.held = Some(bad);
        None
    }
}

// ANCHOR: chunksize
/// Python's default `chunksize` for `map`: `ceil(len / (4 * workers))`, at least 1.
pub(crate) fn default_chunksize(len: usize, workers: usize) -> usize {
    len.div_ceil(4 * workers).max(1)
}
// ANCHOR_END: chunksize

#[cfg(test)]
mod tests {
    use super::*;

    struct Picky(u32);
    impl Serialize for Picky {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            if self.0 == 13 {
                Err(serde::ser::Error::custom("unlucky"))
            } else {
                s.serialize_u32(self.0)
            }
        }
    }

    #[test]
    fn chunks_hold_consecutive_items_around_unencodable_ones() {
        let pieces: Vec<_> = Chunker::new((10..17).map(Picky), 2).collect();
        let shape: Vec<String> = pieces
            .iter()
            .map(|p| match p {
                Piece::Chunk { first, args } => format!("{first}+{}", args.len()),
                Piece::Unencodable { index, .. } => format!("!{index}"),
            })
            .collect();
        assert_eq!(shape, ["0+2", "2+1", "!3", "4+2", "6+1"]);
    }

    #[test]
    fn a_panicking_input_ends_its_chunk_and_is_kept() {
        let input = (0..10u32).inspect(|&i| assert_ne!(i, 5, "no 5"));
        let mut chunks = Chunker::new(input, 3);
        let lens: Vec<usize> = chunks
            .by_ref()
            .map(|p| match p {
                Piece::Chunk { args, .. } => args.len(),
                Piece::Unencodable { .. } => 0,
            })
            .collect();
        assert_eq!(lens, [3, 2], "items 0-4 still go out");
        assert_eq!(chunks.items_read(), 5);
        assert!(chunks.take_panic().is_some());
        assert!(chunks.next().is_none());
    }

    #[test]
    fn numbers_are_chunked_as_words_until_one_is_not() {
        let words: Vec<_> = Chunker::new(0..10u64, 4).collect();
        assert!(
            words
                .iter()
                .all(|p| matches!(p, Piece::Chunk { args, .. } if args.is_words()))
        );
        // Words, then a value that is not one: that chunk and every later one are encoded,
        // and the words before it come out as the values they were.
        let items = [Some(1u64), Some(2), None, Some(4), Some(5)];
        let mixed: Vec<_> = Chunker::new(items.iter().map(|i| i.map(|x| x)), 2).collect();
        assert!(
            mixed
                .iter()
                .all(|p| matches!(p, Piece::Chunk { args, .. } if !args.is_words()))
        );
        // Option<u64> is not a word (Some is not a single number): all encoded from the start.
        let kinds = [1u64, 2, 3].map(|x| x as f64);
        let floats: Vec<_> = Chunker::new(kinds.into_iter(), 8).collect();
        let Piece::Chunk { args, .. } = &floats[0] else {
            panic!("a chunk")
        };
        let (Args { bytes, layout, .. }, count) = Job::slice_of(args, 1..3);
        assert_eq!((layout, count), (Layout::Words(Kind::F64), 2));
        assert_eq!(
            bytes,
            [
                2.0f64.to_bits().to_le_bytes(),
                3.0f64.to_bits().to_le_bytes()
            ]
            .concat()
        );
        // A number and then a different number: encoded, and each value still round-trips.
        let pieces: Vec<_> = Chunker::new([Picky(7), Picky(8)].into_iter(), 8).collect();
        let Piece::Chunk { args, .. } = &pieces[0] else {
            panic!("a chunk")
        };
        assert!(args.is_words());
    }

    #[test]
    fn python_chunksize() {
        assert_eq!(default_chunksize(0, 4), 1);
        assert_eq!(default_chunksize(11, 4), 1);
        assert_eq!(default_chunksize(17, 4), 2);
        assert_eq!(default_chunksize(1_000_000, 4), 62_500);
    }
}
