//! The iterator of [`Pool::imap`](crate::Pool::imap) and
//! [`Pool::imap_unordered`](crate::Pool::imap_unordered): results one by one, with a bounded
//! number of items in flight.

use std::any::Any;
use std::collections::VecDeque;
use std::fmt;
use std::panic;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::job::{CallState, Chunker, Decoded, Deliver, Delivery, Piece, Spec};
use super::shared::Shared;
use crate::error::{Error, Result};

/// Decodes one delivery into `(index, result)` pairs.
fn unpack<R: 'static>(delivery: Delivery, mut each: impl FnMut(usize, Result<R>)) {
    match delivery {
        Delivery::Done { first, results } => {
            let decoded = *results
                .downcast::<Decoded<R>>()
                .expect("a call's jobs are decoded for the call's result type");
            for (index, outcome) in decoded.into_outcomes(first) {
                each(index, outcome);
            }
        }
        Delivery::Failed {
            first,
            count,
            error,
        } => {
            for index in first..first + count {
                each(index, Err(error.clone().at(index)));
            }
        }
    }
}

/// The iterator of [`Pool::imap`](crate::Pool::imap) and
/// [`Pool::imap_unordered`](crate::Pool::imap_unordered).
///
/// It reads its input lazily and keeps a bounded number of items in flight, so an endless input
/// works and memory stays flat. Dropping it cancels the chunks not yet started.
///
/// If reading the input panics, the results of the items read before come out first, then the
/// panic resumes in the caller of `next`, as Python raises the input's exception after them.
pub struct IMap<'p, I, R>
where
    I: Iterator,
{
    shared: &'p Shared,
    spec: Spec,
    chunks: Chunker<I, I::Item>,
    exhausted: bool,
    call: Arc<CallState>,
    /// Held so that the channel never disconnects while we wait on it.
    reply: Arc<Sender<Delivery>>,
    deliveries: Receiver<Delivery>,
    /// The input's panic, resumed once every item before it is out.
    panicked: Option<Box<dyn Any + Send>>,
    /// Most items submitted but not yet yielded.
    window: usize,
    submitted: usize,
    yielded: usize,
    ordered: bool,
    /// In order: slot `i` holds item `yielded + i` once it arrives. Unordered: arrivals, FIFO.
    buffer: VecDeque<Option<(usize, Result<R>)>>,
}

impl<I: Iterator, R> fmt::Debug for IMap<'_, I, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IMap")
            .field("task", &self.spec.task)
            .field("ordered", &self.ordered)
            .field("submitted", &self.submitted)
            .field("yielded", &self.yielded)
            .finish_non_exhaustive()
    }
}

impl<'p, I, R> IMap<'p, I, R>
where
    I: Iterator,
    I::Item: Serialize,
    R: DeserializeOwned + Send + 'static,
{
    pub(crate) fn new(
        shared: &'p Shared,
        spec: Spec,
        items: I,
        chunksize: usize,
        window: usize,
        ordered: bool,
    ) -> Self {
        let (reply, deliveries) = crossbeam_channel::unbounded();
        IMap {
            shared,
            spec,
            chunks: Chunker::new(items, chunksize),
            exhausted: false,
            call: CallState::new(),
            reply: Arc::new(reply),
            deliveries,
            panicked: None,
            window: window.max(chunksize),
            submitted: 0,
            yielded: 0,
            ordered,
            buffer: VecDeque::new(),
        }
    }

    /// Makes the iterator yield `error` once and end (a bad call caught before any work).
    pub(crate) fn poison(&mut self, error: Error) {
        self.exhausted = true;
        self.submitted = 1;
        self.store(0, Err(error));
    }

    /// Files one `(index, result)` where `next` will find it.
    fn store(&mut self, index: usize, result: Result<R>) {
        if self.ordered {
            let slot = index - self.yielded;
            if self.buffer.len() <= slot {
                self.buffer.resize_with(slot + 1, || None);
            }
            self.buffer[slot] = Some((index, result));
        } else {
            self.buffer.push_back(Some((index, result)));
        }
    }

    /// The next result, waiting at most until `deadline` (`None`: as long as it takes).
    fn next_until(&mut self, deadline: Option<Instant>) -> Option<Result<R>> {
        loop {
            self.top_up();
            if matches!(self.buffer.front(), Some(Some(_))) {
                let (_, result) = self
                    .buffer
                    .pop_front()
                    .flatten()
                    .expect("checked just above");
                self.yielded += 1;
                return Some(result);
            }
            if self.yielded == self.submitted {
                // Input exhausted and everything yielded: the input's panic, if it had one.
                if let Some(payload) = self.panicked.take() {
                    panic::resume_unwind(payload);
                }
                return None;
            }
            let delivery = match deadline {
                None => self
                    .deliveries
                    .recv()
                    .map_err(|_| RecvTimeoutError::Disconnected),
                Some(deadline) => self.deliveries.recv_deadline(deadline),
            };
            let delivery = match delivery {
                Ok(delivery) => delivery,
                Err(RecvTimeoutError::Timeout) => return None,
                Err(RecvTimeoutError::Disconnected) => unreachable!("the iterator holds a sender"),
            };
            let mut arrived = Vec::new();
            unpack(delivery, |index, result| arrived.push((index, result)));
            for (index, result) in arrived {
                self.store(index, result);
            }
        }
    }

    /// Like [`next`](Iterator::next), but waits at most `timeout` (any duration): Python's
    /// `next(timeout)`. When no result comes in time, returns `Some(Err(Error::WaitTimeout))`
    /// and takes nothing: the next call goes on waiting for the same item.
    pub fn next_timeout(&mut self, timeout: Duration) -> Option<Result<R>> {
        match crate::sys::deadline(timeout) {
            None => self.next_until(None),
            Some(deadline) => match self.next_until(Some(deadline)) {
                // Nothing yet, though items are in flight: timed out, not finished.
                None if self.yielded < self.submitted => Some(Err(Error::WaitTimeout(timeout))),
                done => done,
            },
        }
    }

    /// Submits chunks until the window is full or the input ends.
    fn top_up(&mut self) {
        while !self.exhausted && self.submitted - self.yielded < self.window {
            match self.chunks.next() {
                None => {
                    self.exhausted = true;
                    self.panicked = self.chunks.take_panic();
                }
                Some(Piece::Unencodable { index, error }) => {
                    self.submitted += 1;
                    self.store(index, Err(error));
                }
                Some(Piece::Chunk { first, args }) => {
                    let count = args.len();
                    self.submitted += count;
                    let reply: Arc<dyn Deliver> = self.reply.clone();
                    let job = self.spec.job(first, args, &self.call, &reply);
                    if let Err(error) = self.shared.submit(job) {
                        // The pool stopped taking work: fail this chunk and end the input.
                        for index in first..first + count {
                            self.store(index, Err(error.clone()));
                        }
                        self.exhausted = true;
                    }
                }
            }
        }
    }
}

impl<I, R> Iterator for IMap<'_, I, R>
where
    I: Iterator,
    I::Item: Serialize,
    R: DeserializeOwned + Send + 'static,
{
    type Item = Result<R>;

    fn next(&mut self) -> Option<Result<R>> {
        self.next_until(None)
    }
}

impl<I: Iterator, R> Drop for IMap<'_, I, R> {
    fn drop(&mut self) {
        // Chunks still queued are not wanted any more.
        self.call.skip_from(0);
    }
}
