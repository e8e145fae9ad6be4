//! A worker running one chunk: marking each item's start in the progress page, timing it when
//! traced, collecting the outcomes, and sending them in parts when together they would pass
//! what one message can carry.

use std::io::{self, Write};

use serde::Serialize;

use crate::forked;
use crate::progress::Progress;
use crate::sys;
use crate::wire::{self, Failure, FromWorker};

/// One chunk under way in a worker. Tasks see it through
/// [`Registered::run_chunk`](crate::Registered::run_chunk); a concrete type, so the per-item
/// steps inline into each task's loop.
#[doc(hidden)]
pub struct ChunkRun<'a> {
    progress: &'a Progress,
    seq: u64,
    timed: bool,
    traced: bool,
    /// The outcomes not sent yet, end to end.
    out: &'a mut Vec<u8>,
    /// How many outcomes `out` holds.
    unsent: u32,
    /// Where the current item's outcome starts in `out`.
    item_start: usize,
    /// Start and end of each item in `out`, and whether it succeeded, when traced.
    times: Vec<(u64, u64, bool)>,
    started: u64,
    all_ok: bool,
    /// Where parts go: the channel.
    channel: &'a mut dyn Write,
    /// The most bytes of outcomes one message carries.
    limit: usize,
}

impl std::fmt::Debug for ChunkRun<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkRun")
            .field("seq", &self.seq)
            .field("unsent", &self.unsent)
            .finish_non_exhaustive()
    }
}

/// What is left when a chunk's items have run: the outcomes of the last message.
#[derive(Debug)]
pub(crate) struct Ended {
    /// Outcomes in the buffer, to send with `Done`.
    pub count: u32,
    pub times: Vec<(u64, u64, bool)>,
    /// Whether every item of the chunk succeeded.
    pub all_ok: bool,
}

impl<'a> ChunkRun<'a> {
    pub(crate) fn new(
        progress: &'a Progress,
        seq: u64,
        timed: bool,
        traced: bool,
        out: &'a mut Vec<u8>,
        channel: &'a mut dyn Write,
        limit: usize,
    ) -> Self {
        out.clear();
        ChunkRun {
            progress,
            seq,
            timed,
            traced,
            out,
            unsent: 0,
            item_start: 0,
            times: Vec::new(),
            started: 0,
            all_ok: true,
            channel,
            limit,
        }
    }

    /// Item `item` (of the chunk) starts now.
    #[inline]
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
    #[inline]
    pub(crate) fn push_ok<R: Serialize>(&mut self, value: &R) -> io::Result<()> {
        // A copy forked by the task returns here too: it must not write the page or speak.
        forked::end_if_copy();
        let ok = wire::encode_ok(value, self.out);
        self.item_done(ok)
    }

    /// The item [`before`](Self::before) started failed (anything it had written is dropped).
    pub(crate) fn push_failure(&mut self, failure: Failure) -> io::Result<()> {
        forked::end_if_copy();
        self.out.truncate(self.item_start);
        wire::encode_failure(&failure, self.out);
        self.item_done(false)
    }

    #[inline]
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
        wire::write_frame(&mut *self.channel, &part, &self.out[..split])?;
        self.out.drain(..split);
        self.item_start = 0;
        self.unsent = 1;
        Ok(())
    }

    /// Every item that will run has run.
    pub(crate) fn end(self) -> Ended {
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
    use crate::wire::{FrameReader, Outcomes};

    #[test]
    fn outcomes_past_the_limit_go_out_in_parts() {
        let (progress, _fd) = Progress::create().unwrap();
        let mut out = Vec::new();
        let mut channel = Vec::new();
        // Each outcome of a 40-byte string takes 42 bytes; at most 100 fit in one message.
        let mut run = ChunkRun::new(&progress, 1, false, true, &mut out, &mut channel, 100);
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
        while let Some(frame) = reader.read_frame(&mut wire).unwrap() {
            let FromWorker::Part { count, times, .. } = frame.header().unwrap() else {
                panic!("a part")
            };
            assert!(frame.body().len() <= 100);
            assert_eq!(times.len(), count as usize);
            let mut outcomes = Outcomes::new(frame.body());
            for _ in 0..count {
                assert_eq!(outcomes.next::<String>(None).unwrap().len(), 40);
            }
            counts.push(count);
        }
        assert_eq!(counts, [2, 2], "two parts of two, then one left for Done");
        assert_eq!(out.len(), 42);
    }
}
