//! Turning deliveries back into typed results: for `map` (all or the lowest failure), for the
//! `imap` iterators (in order or as they come), and for one `apply_async`.

use std::any::Any;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::job::{CallState, Chunker, Decoded, Delivery, Piece, Spec};
use super::shared::Shared;
use crate::error::{Error, Result};

/// The [`Decoded`] a supervisor made for this call's result type.
fn decoded<R: 'static>(results: Box<dyn Any + Send>) -> Decoded<R> {
    *results
        .downcast::<Decoded<R>>()
        .expect("a call's jobs are decoded for the call's result type")
}

/// Decodes one delivery into `(index, result)` pairs.
fn unpack<R: 'static>(delivery: Delivery, mut each: impl FnMut(usize, Result<R>)) {
    match delivery {
        Delivery::Done { first, results } => {
            for (index, outcome) in decoded::<R>(results).into_outcomes(first) {
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

/// `map`: submit every chunk, then collect. Returns all results in input order, or the error of
/// the failing item with the lowest index (always the same one, whatever the timing: items
/// below it are awaited, chunks above it are skipped).
pub(crate) fn map<A: Serialize, R: DeserializeOwned + Send + 'static>(
    shared: &Shared,
    spec: Spec,
    items: impl Iterator<Item = A>,
    chunksize: usize,
) -> Result<Vec<R>> {
    let call = CallState::new();
    let (reply, deliveries) = crossbeam_channel::unbounded();
    let mut collected = Collected::new(items.size_hint().0, Arc::clone(&call));
    let mut chunks = Chunker::new(items, chunksize);
    for piece in chunks.by_ref() {
        match piece {
            Piece::Chunk { first, args, lens } => {
                let job = spec.job(first, args, lens, &call, &reply);
                if let Err(e) = shared.submit(job) {
                    call.skip_from(0);
                    return Err(e);
                }
            }
            Piece::Unencodable { index, error } => collected.fail(index, error),
        }
        // This thread both encodes and decodes: decode what is back while workers still run.
        while let Ok(delivery) = deliveries.try_recv() {
            collected.absorb(delivery);
        }
    }
    drop(reply);
    // The length the iterator announced is a hint; what it yielded is the truth.
    collected.n = chunks.items_read();
    while !collected.complete() {
        let Ok(delivery) = deliveries.recv() else {
            // Only possible if a job vanished unanswered; never wait for it.
            call.skip_from(0);
            return Err(collected
                .first_error
                .map_or(Error::PoolTerminated, |(_, e)| e));
        };
        collected.absorb(delivery);
    }
    collected.finish()
}

/// `map`'s results as they arrive.
struct Collected<R> {
    n: usize,
    /// Runs of consecutive results by first index, as delivered (a run per chunk, usually):
    /// joined once at the end, so no result is moved more than once on the way.
    runs: BTreeMap<usize, Vec<R>>,
    /// Ranges that arrived but are not yet joined to the prefix: start → end.
    pending: BTreeMap<usize, usize>,
    /// Every item below this has arrived.
    resolved: usize,
    /// The failure with the lowest index so far; chunks starting above it are skipped.
    first_error: Option<(usize, Error)>,
    call: Arc<CallState>,
}

impl<R: DeserializeOwned + Send + 'static> Collected<R> {
    fn new(n: usize, call: Arc<CallState>) -> Self {
        Collected {
            n,
            runs: BTreeMap::new(),
            pending: BTreeMap::new(),
            resolved: 0,
            first_error: None,
            call,
        }
    }

    fn fail(&mut self, index: usize, error: Error) {
        if self
            .first_error
            .as_ref()
            .is_none_or(|(lowest, _)| index < *lowest)
        {
            self.call.skip_from(index + 1);
            self.first_error = Some((index, error));
            // Once anything failed, `map` returns that failure: no value is needed any more.
            self.runs.clear();
        }
    }

    /// Items `start..end` arrived.
    fn arrived(&mut self, start: usize, end: usize) {
        self.pending.insert(start, end);
        while let Some(end) = self.pending.remove(&self.resolved) {
            self.resolved = end;
        }
    }

    fn absorb(&mut self, delivery: Delivery) {
        match delivery {
            Delivery::Done { first, results } => {
                let Decoded { values, failures } = decoded::<R>(results);
                self.arrived(first, first + values.len() + failures.len());
                for (index, error) in failures {
                    self.fail(index, error);
                }
                if self.first_error.is_none() {
                    self.runs.insert(first, values);
                }
            }
            Delivery::Failed {
                first,
                count,
                error,
            } => {
                self.arrived(first, first + count);
                self.fail(first, error.at(first));
            }
        }
    }

    /// Whether every item up to the first failure (or the end) has arrived.
    fn complete(&self) -> bool {
        self.resolved
            >= self
                .first_error
                .as_ref()
                .map_or(self.n, |(index, _)| *index)
    }

    fn finish(self) -> Result<Vec<R>> {
        if let Some((_, error)) = self.first_error {
            return Err(error);
        }
        let mut results = Vec::with_capacity(self.n);
        for (first, run) in self.runs {
            debug_assert_eq!(first, results.len(), "runs cover the input in order");
            results.extend(run);
        }
        Ok(results)
    }
}

/// The iterator of [`Pool::imap`](crate::Pool::imap) and
/// [`Pool::imap_unordered`](crate::Pool::imap_unordered).
///
/// It reads its input lazily and keeps a bounded number of items in flight, so an endless input
/// works and memory stays flat. Dropping it cancels the chunks not yet started.
pub struct IMap<'p, I, R>
where
    I: Iterator,
{
    shared: &'p Shared,
    spec: Spec,
    chunks: Chunker<I, I::Item>,
    exhausted: bool,
    call: Arc<CallState>,
    reply: Sender<Delivery>,
    deliveries: Receiver<Delivery>,
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
            reply,
            deliveries,
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

    /// Submits chunks until the window is full or the input ends.
    fn top_up(&mut self) {
        while !self.exhausted && self.submitted - self.yielded < self.window {
            match self.chunks.next() {
                None => self.exhausted = true,
                Some(Piece::Unencodable { index, error }) => {
                    self.submitted += 1;
                    self.store(index, Err(error));
                }
                Some(Piece::Chunk { first, args, lens }) => {
                    let count = lens.len();
                    self.submitted += count;
                    let job = self.spec.job(first, args, lens, &self.call, &self.reply);
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
                return None; // input exhausted and everything yielded
            }
            let delivery = match self.deliveries.recv() {
                Ok(delivery) => delivery,
                Err(_) => unreachable!("the iterator holds a sender"),
            };
            let mut arrived = Vec::new();
            unpack(delivery, |index, result| arrived.push((index, result)));
            for (index, result) in arrived {
                self.store(index, result);
            }
        }
    }
}

impl<I: Iterator, R> Drop for IMap<'_, I, R> {
    fn drop(&mut self) {
        // Chunks still queued are not wanted any more.
        self.call.skip_from(0);
    }
}

/// The handle [`Pool::apply_async`](crate::Pool::apply_async) returns: a result that will arrive.
///
/// Like Python's `AsyncResult`: [`ready`](Self::ready), [`wait`](Self::wait),
/// [`get`](Self::get) and [`get_timeout`](Self::get_timeout). Giving up on waiting does not stop
/// the task; it may still finish later and the result can be fetched then.
pub struct AsyncResult<R> {
    delivery: Receiver<Delivery>,
    arrived: Mutex<Option<Delivery>>,
    _result: PhantomData<fn() -> R>,
}

impl<R> fmt::Debug for AsyncResult<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncResult")
            .field("ready", &self.ready())
            .finish()
    }
}

impl<R> AsyncResult<R> {
    pub(crate) fn new(delivery: Receiver<Delivery>) -> Self {
        AsyncResult {
            delivery,
            arrived: Mutex::new(None),
            _result: PhantomData,
        }
    }

    /// Waits up to `timeout` (forever with `None`) for the delivery; whether it is here.
    fn fetch(&self, timeout: Option<Duration>) -> bool {
        let lock = || self.arrived.lock().unwrap_or_else(|e| e.into_inner());
        if lock().is_some() {
            return true;
        }
        // Receive without holding the lock, so `ready` on another thread never waits behind a
        // `wait` here. The job's sender is dropped right after the one delivery, so a second
        // waiter wakes up (disconnected) and finds what the first one stored.
        let received = match timeout {
            Some(timeout) => self.delivery.recv_timeout(timeout),
            None => self
                .delivery
                .recv()
                .map_err(|_| RecvTimeoutError::Disconnected),
        };
        let mut arrived = lock();
        match received {
            Ok(delivery) => *arrived = Some(delivery),
            Err(RecvTimeoutError::Timeout) => return arrived.is_some(),
            // Every job is answered, so if nothing is stored the result was already taken.
            Err(RecvTimeoutError::Disconnected) => {
                if arrived.is_none() {
                    *arrived = Some(Delivery::Failed {
                        first: 0,
                        count: 1,
                        error: Error::InvalidArgument("this result was already taken".into()),
                    });
                }
            }
        }
        true
    }

    /// Whether the result has arrived (never blocks).
    pub fn ready(&self) -> bool {
        self.fetch(Some(Duration::ZERO))
    }

    /// Blocks until the result has arrived.
    pub fn wait(&self) {
        self.fetch(None);
    }

    /// Blocks up to `timeout`; returns whether the result has arrived.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.fetch(Some(timeout))
    }
}

impl<R: DeserializeOwned + Send + 'static> AsyncResult<R> {
    /// Blocks until the result arrives and returns it.
    pub fn get(mut self) -> Result<R> {
        self.get_inner(None)
    }

    /// Waits up to `timeout` for the result. On [`Error::WaitTimeout`] the task keeps running
    /// and this handle stays usable: call again later. After a result has been returned, later
    /// calls return [`Error::InvalidArgument`].
    pub fn get_timeout(&mut self, timeout: Duration) -> Result<R> {
        self.get_inner(Some(timeout))
    }

    fn get_inner(&mut self, timeout: Option<Duration>) -> Result<R> {
        if !self.fetch(timeout) {
            return Err(Error::WaitTimeout(timeout.unwrap_or_default()));
        }
        let delivery = self
            .arrived
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let mut result = Err(Error::InvalidArgument(
            "this result was already taken".into(),
        ));
        if let Some(delivery) = delivery {
            unpack(delivery, |_, r| result = r);
        }
        // Single-item calls report no index.
        result.map_err(strip_index)
    }
}

fn strip_index(error: Error) -> Error {
    match error {
        Error::TaskPanicked {
            message, location, ..
        } => Error::TaskPanicked {
            index: None,
            message,
            location,
        },
        Error::WorkerDied { pid, exit, .. } => Error::WorkerDied {
            index: None,
            pid,
            exit,
        },
        Error::TaskTimeout { limit, .. } => Error::TaskTimeout { index: None, limit },
        Error::Encode { message, .. } => Error::Encode {
            index: None,
            message,
        },
        Error::Decode { message, .. } => Error::Decode {
            index: None,
            message,
        },
        other => other,
    }
}
