//! A worker running one chunk: marking each item's start in the progress page, timing it when
//! traced, collecting the outcomes, and sending them in parts when together they would pass
//! what one message can carry.

use std::io::{self, Write};

use serde::Serialize;

use crate::forked;
use crate::progress::Progress;
use crate::sys::{self, SharedFile};
use crate::wire::word::{self, AsValue, WordError};
use crate::wire::{self, ENCODED_RESULTS, Failure, FromWorker, Layout, WORD_RESULTS};

/// One chunk under way in a worker. Tasks see it through
/// [`Registered::run_chunk`](crate::Registered::run_chunk); a concrete type, so the per-item
/// steps inline into each task's loop.
///
/// The first result decides how the results lie ([`Layout`]): as words if it is one number,
/// else encoded. A later result that is not a word of the same kind turns the words so far
/// into encoded outcomes, and the rest follow encoded.
#[doc(hidden)]
pub struct ChunkRun<'a> {
    progress: &'a Progress,
    seq: u64,
    /// How the chunk's arguments lie.
    args: Layout,
    timed: bool,
    traced: bool,
    /// The results not sent yet: the layout byte(s), then the outcomes.
    out: &'a mut Vec<u8>,
    /// How `out` lies; `None` until the first outcome.
    layout: Option<Layout>,
    /// With words: the failed items among the unsent ones, by offset.
    failures: Vec<(u32, Failure)>,
    /// How many outcomes `out` holds.
    unsent: u32,
    /// Where the current item's outcome starts in `out`.
    item_start: usize,
    /// Start and end of each item in `out`, and whether it succeeded, when traced.
    times: Vec<(u64, u64, bool)>,
    started: u64,
    all_ok: bool,
    /// Where parts go: the channel, and the shared file for their bodies.
    channel: &'a mut dyn Write,
    shared: Option<&'a SharedFile>,
    /// The most bytes of outcomes one message carries.
    limit: usize,
}

impl std::fmt::Debug for ChunkRun<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkRun")
            .field("seq", &self.seq)
            .field("layout", &self.layout)
            .field("unsent", &self.unsent)
            .finish_non_exhaustive()
    }
}

/// What is left when a chunk's items have run: the outcomes of the last message, whose body is
/// the buffer.
#[derive(Debug)]
pub(crate) struct Ended {
    /// Outcomes in the buffer, to send with `Done`.
    pub count: u32,
    pub times: Vec<(u64, u64, bool)>,
    /// Whether every item of the chunk succeeded.
    pub all_ok: bool,
}

/// Where a [`ChunkRun`] sends its parts.
pub(crate) struct Sink<'a> {
    pub channel: &'a mut dyn Write,
    pub shared: Option<&'a SharedFile>,
    pub limit: usize,
}

impl<'a> ChunkRun<'a> {
    pub(crate) fn new(
        progress: &'a Progress,
        (seq, args): (u64, Layout),
        timed: bool,
        traced: bool,
        out: &'a mut Vec<u8>,
        sink: Sink<'a>,
    ) -> Self {
        out.clear();
        ChunkRun {
            progress,
            seq,
            args,
            timed,
            traced,
            out,
            layout: None,
            failures: Vec::new(),
            unsent: 0,
            item_start: 0,
            times: Vec::new(),
            started: 0,
            all_ok: true,
            channel: sink.channel,
            shared: sink.shared,
            limit: sink.limit,
        }
    }

    /// How the chunk's arguments lie.
    #[inline]
    pub(crate) fn args_layout(&self) -> Layout {
        self.args
    }

    /// Item `item` (of the chunk) starts now.
    #[inline(always)]
    pub(crate) fn before(&mut self, item: usize) {
        forked::end_if_copy();
        // A traced item's start is kept too, so a death while it runs can be drawn.
        self.progress
            .begin(self.seq, item, self.timed || self.traced);
        self.item_start = self.out.len();
        if self.traced {
            self.started = sys::monotonic_nanos();
        }
    }

    /// The result of the item [`before`](Self::before) started. Encoding it runs the value's
    /// own `Serialize`, which may panic: the caller catches that and reports the item with
    /// [`push_failure`](Self::push_failure).
    #[inline(always)]
    pub(crate) fn push_ok<R: Serialize>(&mut self, value: &R) -> io::Result<()> {
        // A copy forked by the task returns here too: it must not write the page or speak.
        forked::end_if_copy();
        // The usual case first, inlined into the task's loop: one more word of the same kind.
        if let Some(Layout::Words(kind)) = self.layout
            && let Ok(w) = word::to_word(value)
            && w.kind == kind
        {
            self.out.extend_from_slice(&w.bits.to_le_bytes());
            return self.item_done(true);
        }
        self.push_ok_slow(value)
    }

    #[inline(never)]
    fn push_ok_slow<R: Serialize>(&mut self, value: &R) -> io::Result<()> {
        if self.layout != Some(Layout::Encoded) {
            match word::to_word(value) {
                Ok(w) => match self.layout {
                    Some(Layout::Words(kind)) if kind == w.kind => {
                        self.out.extend_from_slice(&w.bits.to_le_bytes());
                        return self.item_done(true);
                    }
                    None => {
                        self.lay_out(Layout::Words(w.kind));
                        self.item_start = self.out.len();
                        self.out.extend_from_slice(&w.bits.to_le_bytes());
                        return self.item_done(true);
                    }
                    _ => self.words_become_values(),
                },
                Err(WordError::Custom(message)) => {
                    return self.push_failure(Failure::Encode(message));
                }
                Err(WordError::NotAWord) => self.words_become_values(),
            }
        }
        let ok = wire::encode_ok(value, self.out);
        self.item_done(ok)
    }

    /// The item [`before`](Self::before) started failed (anything it had written is dropped).
    pub(crate) fn push_failure(&mut self, failure: Failure) -> io::Result<()> {
        forked::end_if_copy();
        self.out.truncate(self.item_start);
        if let Some(Layout::Words(_)) = self.layout {
            self.out.extend_from_slice(&[0; 8]);
            self.failures.push((self.unsent, failure));
        } else {
            self.words_become_values();
            wire::encode_failure(&failure, self.out);
        }
        self.item_done(false)
    }

    /// Starts `out` with the layout byte(s) of `layout` (before the first outcome).
    fn lay_out(&mut self, layout: Layout) {
        debug_assert!(self.out.is_empty());
        match layout {
            Layout::Encoded => self.out.push(ENCODED_RESULTS),
            Layout::Words(kind) => {
                self.out.push(WORD_RESULTS);
                wire::encode_value(&kind, self.out).expect("a kind always encodes");
            }
        }
        self.layout = Some(layout);
    }

    /// From here on, outcomes are encoded: the words so far are rewritten as encoded outcomes.
    #[cold]
    fn words_become_values(&mut self) {
        let Some(Layout::Words(kind)) = self.layout else {
            if self.layout.is_none() {
                self.lay_out(Layout::Encoded);
                self.item_start = self.out.len();
            }
            return;
        };
        let words = std::mem::take(self.out);
        let mut failures = std::mem::take(&mut self.failures).into_iter().peekable();
        self.layout = None;
        self.lay_out(Layout::Encoded);
        let start = words.len() - 8 * self.unsent as usize;
        for (i, bytes) in words[start..].chunks_exact(8).enumerate() {
            if let Some((_, failure)) = failures.next_if(|(at, _)| *at as usize == i) {
                wire::encode_failure(&failure, self.out);
            } else {
                let bits = u64::from_le_bytes(bytes.try_into().expect("eight bytes"));
                wire::encode_ok(&AsValue(word::Word { kind, bits }), self.out);
            }
        }
        self.item_start = self.out.len();
    }

    #[inline(always)]
    fn item_done(&mut self, ok: bool) -> io::Result<()> {
        if self.traced {
            self.times.push((self.started, sys::monotonic_nanos(), ok));
        }
        self.all_ok &= ok;
        self.unsent += 1;
        if self.out.len() > self.limit && self.unsent > 1 {
            self.send_part(self.item_start)?;
        }
        Ok(())
    }

    /// Sends the outcomes before `split` (all but the last item's) as a part, keeping the last.
    #[cold]
    fn send_part(&mut self, split: usize) -> io::Result<()> {
        // No item runs while the part is sent: a death now is nobody's fault.
        self.progress.idle(self.seq);
        let count = self.unsent - 1;
        let times = if self.traced {
            self.times.drain(..count as usize).collect()
        } else {
            Vec::new()
        };
        let part = FromWorker::Part {
            seq: self.seq,
            count,
            times,
        };
        let last = self.out.split_off(split);
        let prefix = match self.layout {
            Some(Layout::Words(_)) => 2,
            _ => 1,
        };
        let kept: Vec<(u32, Failure)> = if let Some(Layout::Words(_)) = self.layout {
            let at = self.failures.partition_point(|(i, _)| *i < count);
            let kept = self.failures.split_off(at);
            wire::end_word_results(self.out, &self.failures);
            self.failures.clear();
            kept.into_iter().map(|(i, f)| (i - count, f)).collect()
        } else {
            Vec::new()
        };
        wire::write_frame(&mut *self.channel, self.shared, &part, self.out)?;
        self.out.truncate(prefix);
        self.out.extend_from_slice(&last);
        self.failures = kept;
        self.item_start = prefix;
        self.unsent = 1;
        Ok(())
    }

    /// Every item that will run has run: `out` is the body of the last message.
    pub(crate) fn end(mut self) -> Ended {
        match self.layout {
            None => self.lay_out(Layout::Encoded),
            Some(Layout::Words(_)) => wire::end_word_results(self.out, &self.failures),
            Some(Layout::Encoded) => {}
        }
        Ended {
            count: self.unsent,
            times: self.times,
            all_ok: self.all_ok,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{FrameReader, Results};

    #[test]
    fn outcomes_past_the_limit_go_out_in_parts() {
        let (progress, _fd) = Progress::create().unwrap();
        let mut out = Vec::new();
        let mut channel = Vec::new();
        // Each outcome of a 40-byte string takes 42 bytes, after the layout byte; at most 100
        // fit in one message.
        let sink = Sink {
            channel: &mut channel,
            shared: None,
            limit: 100,
        };
        let mut run = ChunkRun::new(&progress, (1, Layout::Encoded), false, true, &mut out, sink);
        for item in 0..5 {
            run.before(item);
            run.push_ok(&"x".repeat(40)).unwrap();
        }
        let ended = run.end();
        assert_eq!(
            (ended.count, ended.times.len()),
            (1, 1),
            "the last one is kept"
        );
        let mut reader = FrameReader::new();
        let mut wire = channel.as_slice();
        let mut counts = Vec::new();
        while let Some(frame) = reader.read_frame(&mut wire, None).unwrap() {
            let FromWorker::Part { count, times, .. } = frame.header().unwrap() else {
                panic!("a part")
            };
            assert!(frame.body().len() <= 100);
            assert_eq!(times.len(), count as usize);
            let mut outcomes = Results::new(frame.body(), count as usize);
            for _ in 0..count {
                assert_eq!(outcomes.next::<String>(None).unwrap().len(), 40);
            }
            counts.push(count);
        }
        assert_eq!(counts, [2, 2], "two parts of two, then one left for Done");
        assert_eq!(out.len(), 1 + 42);
    }
}
