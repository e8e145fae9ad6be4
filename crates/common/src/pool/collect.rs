//! `map` and `map_async`: submit every chunk, and put the results together on the pool threads
//! as they arrive. The result is all values in input order, or the error of the failing item
//! with the lowest index (always the same one, whatever the timing: items below it are
//! awaited, chunks above it are skipped).

use std::collections::BTreeMap;
use std::panic;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::async_result::{AsyncResult, Callbacks, Slot};
use super::job::{CallState, Chunker, Decoded, Deliver, Delivery, Piece, Spec};
use super::shared::Shared;
use crate::error::{Error, Result};

/// Submits `items` in chunks of `chunksize` and returns at once with the result to come.
///
/// The input is read here, on the caller's thread (as Python's `map_async` lists it first). If
/// reading it panics, the chunks already queued are cancelled and the panic goes on to the
/// caller.
pub(crate) fn map_async<A: Serialize, R: DeserializeOwned + Send + 'static>(
    shared: &Shared,
    spec: Spec,
    items: impl Iterator<Item = A>,
    chunksize: usize,
    callbacks: Option<Callbacks<Vec<R>>>,
) -> Result<AsyncResult<Vec<R>>> {
    let call = CallState::new();
    let slot = Slot::new();
    let sink = Arc::new(MapSink {
        state: Mutex::new(MapState {
            collected: Collected::new(items.size_hint().0, Arc::clone(&call)),
            input_done: false,
            callbacks,
        }),
        slot: Arc::clone(&slot),
    });
    let reply: Arc<dyn Deliver> = sink.clone();
    let mut chunks = Chunker::new(items, chunksize);
    for piece in chunks.by_ref() {
        match piece {
            Piece::Chunk { first, args } => {
                let job = spec.job(first, args, &call, &reply);
                if let Err(e) = shared.submit(job) {
                    call.skip_from(0);
                    return Err(e);
                }
            }
            Piece::Unencodable { index, error } => sink.lock().collected.fail(index, error),
        }
    }
    if let Some(payload) = chunks.take_panic() {
        call.skip_from(0);
        panic::resume_unwind(payload);
    }
    let mut state = sink.lock();
    // The length the iterator announced is a hint; what it yielded is the truth.
    state.collected.n = chunks.items_read();
    state.input_done = true;
    sink.finish_if_complete(state);
    Ok(AsyncResult::new(slot))
}

/// The sink every job of one `map` delivers to.
struct MapSink<R> {
    state: Mutex<MapState<R>>,
    slot: Arc<Slot<Vec<R>>>,
}

struct MapState<R> {
    collected: Collected<R>,
    /// Every chunk has been submitted (until then, more items may come).
    input_done: bool,
    /// Taken when the result is filled, so it is filled once.
    callbacks: Option<Callbacks<Vec<R>>>,
}

impl<R: DeserializeOwned + Send + 'static> MapSink<R> {
    fn lock(&self) -> MutexGuard<'_, MapState<R>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn finish_if_complete(&self, mut state: MutexGuard<'_, MapState<R>>) {
        if !state.input_done || !state.collected.complete() || state.collected.finished {
            return;
        }
        let result = state.collected.finish();
        let callbacks = state.callbacks.take();
        drop(state);
        self.slot.fill(result, callbacks);
    }
}

impl<R: DeserializeOwned + Send + 'static> Deliver for MapSink<R> {
    fn deliver(&self, delivery: Delivery) {
        let mut state = self.lock();
        state.collected.absorb(delivery);
        self.finish_if_complete(state);
    }
}

impl<R> Drop for MapSink<R> {
    fn drop(&mut self) {
        // The last job is gone. Every wanted job is answered before that, so the result was
        // filled, unless the input ended in an error, or a job vanished unanswered (a
        // supervisor that panicked): then never leave a waiter waiting.
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        if !state.collected.finished {
            let error = state
                .collected
                .first_error
                .take()
                .map_or(Error::PoolTerminated, |(_, e)| e);
            let callbacks = state.callbacks.take();
            self.slot.fill(Err(error), callbacks);
        }
    }
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
    /// The result was taken.
    finished: bool,
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
            finished: false,
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
                let Decoded { values, failures } = *results
                    .downcast::<Decoded<R>>()
                    .expect("a call's jobs are decoded for the call's result type");
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

    /// The result, once [`complete`](Self::complete); the rest of the call is cancelled.
    fn finish(&mut self) -> Result<Vec<R>> {
        self.finished = true;
        self.call.skip_from(0);
        if let Some((_, error)) = self.first_error.take() {
            return Err(error);
        }
        let mut results = Vec::with_capacity(self.n);
        for (first, run) in std::mem::take(&mut self.runs) {
            debug_assert_eq!(first, results.len(), "runs cover the input in order");
            results.extend(run);
        }
        Ok(results)
    }
}
