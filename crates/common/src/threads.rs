//! [`ThreadPool`]: the same `map` and `imap` as [`Pool`](crate::Pool), on threads.
//!
//! Rust has no global interpreter lock, so threads run Rust code truly in parallel; for
//! CPU-bound work they are usually the better tool, and nothing needs encoding. This wrapper
//! takes the same [`Task`]s and has the same call shape as the process pool, so a program can
//! show both side by side with one call each.
//!
//! It is meant to cost what rayon costs. `map` writes each result straight into its place in
//! the output, as rayon's own `collect` does, with one `catch_unwind` per item and nothing else
//! per item: no `Result` per item to store and unpack, no lock, no thread-local switch (panics
//! are put in capture mode once per rayon job). The side-by-side runner holds it to within
//! 1.5× of a bare `par_iter().map().collect()` on the same number of threads.
//! `imap` hands items out in chunks that grow while items are quick, so a tiny task does not
//! pay a thread wake-up and a channel message per item, and a slow one still goes out alone.

use std::collections::VecDeque;
use std::fmt;
use std::mem::MaybeUninit;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::panic::{self, Capture, Caught};
use crate::pool::Args;
use crate::task::Task;
use crate::trace::{Outcome as SpanOutcome, Span, Trace};

/// A pool of threads (a [rayon] pool) with the process pool's `map` shape.
///
/// ```
/// fn square(x: u64) -> u64 {
///     x * x
/// }
/// const SQUARE: common::Task<u64, u64> = common::task!(square);
///
/// let threads = common::ThreadPool::new(3)?;
/// assert_eq!(threads.map(&SQUARE, [1, 2, 3, 4, 5])?, [1, 4, 9, 16, 25]);
/// # Ok::<(), common::Error>(())
/// ```
///
/// A panicking task becomes [`Error::TaskPanicked`], as in the process pool. What threads cannot
/// offer is isolation: a task that aborts or crashes takes the whole program with it.
pub struct ThreadPool {
    pool: rayon::ThreadPool,
    threads: usize,
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPool")
            .field("threads", &self.threads)
            .finish()
    }
}

impl ThreadPool {
    /// A pool of `n` threads. `n == 0` is [`Error::InvalidArgument`].
    pub fn new(n: usize) -> Result<Self> {
        if n == 0 {
            return Err(Error::InvalidArgument(
                "a thread pool needs at least one thread".into(),
            ));
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("pool thread {i}"))
            .build()
            .map_err(|e| Error::ThreadSpawn(std::sync::Arc::new(std::io::Error::other(e))))?;
        Ok(ThreadPool { pool, threads: n })
    }

    /// Number of threads.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `task` on every item in parallel; results in input order, or the error of the
    /// failing item with the lowest index.
    ///
    /// Every item runs, even after one has failed, so the error reported is always the same
    /// one for the same input.
    pub fn map<A, R>(&self, task: &Task<A, R>, items: impl IntoIterator<Item = A>) -> Result<Vec<R>>
    where
        A: Send,
        R: Send,
    {
        self.map_traced(task, items, None)
    }

    /// Options for one call: record which thread ran each task, and when, in `trace` (best
    /// made with [`Trace::of_threads`], so drawings name the lanes threads).
    ///
    /// ```
    /// # fn square(x: u64) -> u64 { x * x }
    /// # const SQUARE: common::Task<u64, u64> = common::task!(square);
    /// let threads = common::ThreadPool::new(2)?;
    /// let trace = common::Trace::of_threads();
    /// threads.trace(&trace).map(&SQUARE, 1..=4)?;
    /// assert_eq!(trace.spans().len(), 4);
    /// # Ok::<(), common::Error>(())
    /// ```
    pub fn trace(&self, trace: &Trace) -> ThreadCall<'_> {
        ThreadCall {
            pool: self,
            trace: trace.clone(),
        }
    }

    fn map_traced<A, R>(
        &self,
        task: &Task<A, R>,
        items: impl IntoIterator<Item = A>,
        trace: Option<&Trace>,
    ) -> Result<Vec<R>>
    where
        A: Send,
        R: Send,
    {
        let mut items: Vec<A> = items.into_iter().collect();
        let n = items.len();
        let task = *task;
        let failures = Failures::default();
        // Chunks of contiguous items, sixteen per thread, so that a thread runs a tight loop
        // and enters `catch_unwind` once per chunk, not per item. Each chunk is a job of its
        // own (`with_max_len(1)`): left to itself rayon would run a quarter of them as one
        // job, which no other thread can take over, so a thread that loses its core (another
        // program wants it) would hold back a quarter of the work.
        let chunk = n.div_ceil(16 * self.threads).max(1);
        // SAFETY: shrinking the length only forgets the items: from here on `items` owns their
        // memory but will not drop them. `run_chunk` moves each one out exactly once.
        unsafe { items.set_len(0) };
        let out = self.pool.install(|| {
            // Allocated here, on a pool thread, as rayon's `collect` does: glibc then reuses
            // the memory from one call to the next instead of mapping fresh pages each time.
            let mut out: Vec<R> = Vec::with_capacity(n);
            items.spare_capacity_mut()[..n]
                .par_chunks_mut(chunk)
                .zip(out.spare_capacity_mut()[..n].par_chunks_mut(chunk))
                .enumerate()
                .with_max_len(1)
                .for_each(|(c, (args, slots))| {
                    run_chunk(task, c * chunk, args, slots, &failures, trace);
                });
            out
        });
        failures.finish(out, n)
    }

    /// `map` for a task of several arguments, given as tuples (see
    /// [`Pool::starmap`](crate::Pool::starmap)).
    pub fn starmap<A, R>(
        &self,
        task: &Task<A, R>,
        items: impl IntoIterator<Item = A>,
    ) -> Result<Vec<R>>
    where
        A: Args + Send,
        R: Send,
    {
        self.map(task, items)
    }

    /// Results one by one in input order, reading the input lazily, like
    /// [`Pool::imap`](crate::Pool::imap).
    ///
    /// Items go to the threads in chunks: at most `2 × threads` chunks are in flight. A chunk
    /// starts as one item; it doubles (up to 4096 items) while chunks take under 100 µs, and
    /// halves when one takes over 800 µs. So a quick task is handed out in batches instead of
    /// paying a thread wake-up and a message per item, and a slow one is still handed out, and
    /// returned, one by one.
    pub fn imap<A, R, I>(
        &self,
        task: &Task<A, R>,
        items: I,
    ) -> ThreadIMap<'_, std::iter::Fuse<I::IntoIter>, R>
    where
        I: IntoIterator<Item = A>,
        A: Send + 'static,
        R: Send + 'static,
    {
        let (reply, results) = crossbeam_channel::unbounded();
        ThreadIMap {
            pool: self,
            task: *task,
            items: items.into_iter().fuse(),
            window: 2 * self.threads,
            chunk: 1,
            sent: 0,
            reply,
            results,
            pending: VecDeque::new(),
            current: Vec::new().into_iter(),
            next_index: 0,
            panicked: None,
        }
    }
}

/// Runs `task` on each of `args` (items `first..` of the input), writing each result to its
/// slot; a panic is recorded in `failures` and the loop goes on with the next item. With a
/// `trace`, each item's thread, times and outcome go into it.
fn run_chunk<A, R>(
    task: Task<A, R>,
    first: usize,
    args: &mut [MaybeUninit<A>],
    slots: &mut [MaybeUninit<R>],
    failures: &Failures,
    trace: Option<&Trace>,
) {
    panic::capturing(Capture::Quiet, || {
        let mut next = 0;
        let mut started = Default::default();
        while next < args.len() {
            let ran = panic::catch_captured(|| {
                for (arg, slot) in args[next..].iter_mut().zip(&mut slots[next..]) {
                    next += 1; // before the call: if it panics, this item is not read again
                    // SAFETY: `map` handed us initialised items it will not drop, and `next` has
                    // moved past this one, so it is read here once and never again.
                    let arg = unsafe { arg.assume_init_read() };
                    match trace {
                        None => {
                            slot.write(task.call(arg));
                        }
                        Some(trace) => {
                            started = trace.now();
                            slot.write(task.call(arg));
                            record(trace, first + next - 1, started, SpanOutcome::Ran);
                        }
                    }
                }
            });
            if let Err(caught) = ran {
                if let Some(trace) = trace {
                    record(trace, first + next - 1, started, SpanOutcome::Failed);
                }
                failures.record(first + next - 1, caught);
            }
        }
    });
}

/// Adds item `index`, run on this thread from `start` until now, to `trace`.
fn record(trace: &Trace, index: usize, start: Duration, outcome: SpanOutcome) {
    trace.record(Span {
        index,
        pid: Trace::thread_id(),
        start,
        end: trace.now(),
        outcome,
    });
}

/// One call on a [`ThreadPool`] with options: see [`ThreadPool::trace`].
#[derive(Debug)]
pub struct ThreadCall<'p> {
    pool: &'p ThreadPool,
    trace: Trace,
}

impl ThreadCall<'_> {
    /// [`ThreadPool::map`], traced.
    pub fn map<A, R>(&self, task: &Task<A, R>, items: impl IntoIterator<Item = A>) -> Result<Vec<R>>
    where
        A: Send,
        R: Send,
    {
        self.pool.map_traced(task, items, Some(&self.trace))
    }

    /// [`ThreadPool::starmap`], traced.
    pub fn starmap<A, R>(
        &self,
        task: &Task<A, R>,
        items: impl IntoIterator<Item = A>,
    ) -> Result<Vec<R>>
    where
        A: Args + Send,
        R: Send,
    {
        self.map(task, items)
    }
}

/// What `map` collects about failing items: rare, so a lock is fine.
#[derive(Default)]
struct Failures(Mutex<Vec<(usize, Caught)>>);

impl Failures {
    fn record(&self, index: usize, caught: Caught) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((index, caught));
    }

    /// The results, once every item has run (`out`'s first `n` slots written, except those of
    /// failed items), or the lowest-index error.
    fn finish<R>(self, mut out: Vec<R>, n: usize) -> Result<Vec<R>> {
        let mut failed = self.0.into_inner().unwrap_or_else(|e| e.into_inner());
        if failed.is_empty() {
            // SAFETY: `map` ran every item, and each one that did not fail wrote its slot;
            // none failed, so all `n` slots are initialised.
            unsafe { out.set_len(n) };
            return Ok(out);
        }
        failed.sort_unstable_by_key(|(i, _)| *i);
        if std::mem::needs_drop::<R>() {
            let mut failed_indices = failed.iter().map(|(i, _)| *i).peekable();
            for (i, slot) in out.spare_capacity_mut()[..n].iter_mut().enumerate() {
                if failed_indices.next_if_eq(&i).is_none() {
                    // SAFETY: item `i` did not fail, so it wrote its slot, and nothing has
                    // read or dropped it (`out`'s length is still 0).
                    unsafe { slot.assume_init_drop() };
                }
            }
        }
        let (index, caught) = failed.swap_remove(0);
        Err(panicked(index, caught))
    }
}

fn panicked(index: usize, caught: Caught) -> Error {
    Error::TaskPanicked {
        index: Some(index),
        message: caught.message,
        location: caught.location,
    }
}

/// The most items one `imap` chunk holds.
const MAX_CHUNK: usize = 4096;

/// How long an `imap` chunk should take: enough to hide a thread wake-up (tens of
/// microseconds on a virtual machine), short enough that results still stream.
const CHUNK_TARGET: Duration = Duration::from_micros(200);

/// One item's outcome in a chunk. The error is boxed: an [`Error`] is several words, a box
/// one, and a million quick items should not drag a million errors' worth of room along.
type Outcome<R> = std::result::Result<R, Box<Error>>;

/// One finished chunk: its sequence number, its outcomes, how long it ran.
type Finished<R> = (usize, Vec<Outcome<R>>, Duration);

/// The iterator of [`ThreadPool::imap`].
pub struct ThreadIMap<'p, I: Iterator, R> {
    pool: &'p ThreadPool,
    task: Task<I::Item, R>,
    items: I,
    /// The most chunks in flight.
    window: usize,
    /// Items in the next chunk.
    chunk: usize,
    /// Chunks sent so far; each has a sequence number.
    sent: usize,
    reply: Sender<Finished<R>>,
    results: Receiver<Finished<R>>,
    /// A slot per chunk sent and not yet handed out, oldest first: slot `k` holds chunk
    /// `sent - pending.len() + k` once it has arrived.
    pending: VecDeque<Option<Vec<Outcome<R>>>>,
    /// The chunk being handed out.
    current: std::vec::IntoIter<Outcome<R>>,
    /// The input index of the first item of the next chunk sent.
    next_index: usize,
    /// The input's panic: resumed once every item read before it is out, as
    /// [`Pool::imap`](crate::Pool::imap) does (and Python raises the input's exception).
    panicked: Option<Box<dyn std::any::Any + Send>>,
}

impl<I: Iterator, R> fmt::Debug for ThreadIMap<'_, I, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadIMap")
            .field("chunks_sent", &self.sent)
            .field("chunk", &self.chunk)
            .finish_non_exhaustive()
    }
}

impl<I, R> ThreadIMap<'_, I, R>
where
    I: Iterator,
    I::Item: Send + 'static,
    R: Send + 'static,
{
    /// Sends chunks until the window is full or the input ends (or panics: the items read
    /// before the panic still go out, and no more is read).
    fn fill(&mut self) {
        while self.pending.len() < self.window && self.panicked.is_none() {
            let mut args: Vec<I::Item> = Vec::with_capacity(self.chunk);
            // One by one, so the items read before a panic stay in `args`.
            let read = std::panic::catch_unwind(AssertUnwindSafe(|| {
                for arg in self.items.by_ref().take(self.chunk) {
                    args.push(arg);
                }
            }));
            if let Err(payload) = read {
                self.panicked = Some(payload);
            }
            if args.is_empty() {
                return;
            }
            let (task, seq, first, reply) =
                (self.task, self.sent, self.next_index, self.reply.clone());
            self.next_index += args.len();
            self.sent += 1;
            self.pending.push_back(None);
            self.pool.pool.spawn(move || {
                let started = Instant::now();
                let outcomes = panic::capturing(Capture::Quiet, || {
                    args.into_iter()
                        .enumerate()
                        .map(|(k, arg)| {
                            panic::catch_captured(|| task.call(arg))
                                .map_err(|caught| Box::new(panicked(first + k, caught)))
                        })
                        .collect()
                });
                // The iterator may have been dropped: then nobody wants the results.
                let _ = reply.send((seq, outcomes, started.elapsed()));
            });
        }
    }

    /// The next chunk size, from how long the last chunk of `len` items took.
    fn adapt(&mut self, len: usize, took: Duration) {
        if len == self.chunk && took < CHUNK_TARGET / 2 {
            self.chunk = (self.chunk * 2).min(MAX_CHUNK);
        } else if took > CHUNK_TARGET * 4 && self.chunk > 1 {
            self.chunk = (self.chunk / 2).max(1);
        }
    }
}

impl<I, R> Iterator for ThreadIMap<'_, I, R>
where
    I: Iterator,
    I::Item: Send + 'static,
    R: Send + 'static,
{
    type Item = Result<R>;

    // The common case, the next outcome of the chunk at hand, is small enough to inline into
    // the caller's loop; the rest is out of line.
    #[inline]
    fn next(&mut self) -> Option<Result<R>> {
        match self.current.next() {
            Some(outcome) => Some(outcome.map_err(|e| *e)),
            None => self.next_chunk(),
        }
    }
}

impl<I, R> ThreadIMap<'_, I, R>
where
    I: Iterator,
    I::Item: Send + 'static,
    R: Send + 'static,
{
    /// Waits for the next chunk in order (sending more as the window frees up) and returns its
    /// first outcome; `None` once the input is done and every chunk handed out.
    #[inline(never)]
    fn next_chunk(&mut self) -> Option<Result<R>> {
        loop {
            if let Some(outcome) = self.current.next() {
                return Some(outcome.map_err(|e| *e));
            }
            self.fill();
            if let Some(Some(_)) = self.pending.front() {
                self.current = self.pending.pop_front().flatten()?.into_iter();
                continue;
            }
            if self.pending.is_empty() {
                // Nothing in flight, and `fill` found no more input: done, or the input's panic.
                if let Some(payload) = self.panicked.take() {
                    std::panic::resume_unwind(payload);
                }
                return None;
            }
            let (seq, outcomes, took) = self.results.recv().expect("the iterator holds a sender");
            self.adapt(outcomes.len(), took);
            let slot = seq - (self.sent - self.pending.len());
            self.pending[slot] = Some(outcomes);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn square(x: u64) -> u64 {
        x * x
    }
    const SQUARE: Task<u64, u64> = crate::task!(square);

    /// Panics on multiples of 7 above 0; returns a `String`, which must be dropped.
    fn picky(x: u64) -> String {
        assert!(x == 0 || !x.is_multiple_of(7), "no multiples of 7: {x}");
        x.to_string()
    }
    const PICKY: Task<u64, String> = crate::task!(picky);

    static RAN: AtomicUsize = AtomicUsize::new(0);
    fn counted(x: u64) -> u64 {
        RAN.fetch_add(1, Ordering::Relaxed);
        assert_ne!(x, 3, "three");
        x
    }
    const COUNTED: Task<u64, u64> = crate::task!(counted);

    #[test]
    fn map_keeps_input_order() {
        let threads = ThreadPool::new(3).unwrap();
        let n = 100_000;
        let got = threads.map(&SQUARE, 0..n).unwrap();
        assert_eq!(got, (0..n).map(square).collect::<Vec<_>>());
        assert_eq!(threads.map(&SQUARE, []).unwrap(), Vec::<u64>::new());
    }

    #[test]
    fn map_reports_the_lowest_failing_index_and_runs_every_item() {
        let threads = ThreadPool::new(4).unwrap();
        for _ in 0..20 {
            let err = threads.map(&PICKY, (1..2000).rev()).unwrap_err();
            // Inputs run from 1999 down: the first multiple of 7 is 1995, at index 4.
            assert_eq!(err.index(), Some(4), "{err}");
            assert!(err.to_string().contains("no multiples of 7: 1995"), "{err}");
        }
        RAN.store(0, Ordering::Relaxed);
        assert!(threads.map(&COUNTED, 0..500).is_err());
        assert_eq!(RAN.load(Ordering::Relaxed), 500);
    }

    static DONE_AFTER: AtomicUsize = AtomicUsize::new(0);
    /// Item 0 waits until items 2 to 15 are done: only another thread can run them meanwhile.
    fn waits_for_the_others(i: u64) -> bool {
        if i == 0 {
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while DONE_AFTER.load(Ordering::Acquire) < 14 {
                if std::time::Instant::now() > deadline {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        } else if (2..16).contains(&i) {
            DONE_AFTER.fetch_add(1, Ordering::Release);
        }
        true
    }
    const WAITS: Task<u64, bool> = crate::task!(waits_for_the_others);

    #[test]
    fn a_slow_item_does_not_hold_back_the_items_after_it() {
        // Rayon left to itself runs the first quarter of 64 items as one job on one thread;
        // then items 2 to 15 could only run after item 0, which waits for them (and gives up
        // after a minute: this test fails rather than hangs).
        let threads = ThreadPool::new(2).unwrap();
        let ran = threads.map(&WAITS, 0..64).unwrap();
        assert!(ran[0], "items 2..16 stayed behind item 0 on its thread");
    }

    #[test]
    fn imap_streams_in_order_with_each_failure_in_its_place() {
        let threads = ThreadPool::new(2).unwrap();
        let got: Vec<Result<String>> = threads.imap(&PICKY, 0..50).collect();
        assert_eq!(got.len(), 50);
        for (i, outcome) in got.iter().enumerate() {
            match outcome {
                Ok(s) => assert_eq!(s, &i.to_string()),
                Err(e) => {
                    assert!(i.is_multiple_of(7) && i > 0, "{i}: {e}");
                    assert_eq!(e.index(), Some(i));
                }
            }
        }
        // An endless input, and quick items: the chunks grow, the order holds.
        let squares: Vec<u64> = threads
            .imap(&SQUARE, 0..)
            .take(200_000)
            .map(Result::unwrap)
            .collect();
        assert_eq!(squares, (0..200_000).map(square).collect::<Vec<_>>());
        assert_eq!(threads.imap(&SQUARE, []).count(), 0);
    }

    #[test]
    fn imap_reads_its_input_lazily() {
        let threads = ThreadPool::new(2).unwrap();
        let read = AtomicUsize::new(0);
        let mut it = threads.imap(
            &SQUARE,
            (0..1_000_000u64).inspect(|_| {
                read.fetch_add(1, Ordering::Relaxed);
            }),
        );
        assert_eq!(it.next().unwrap().unwrap(), 0);
        // At most the window (2 × threads chunks) of the largest chunk size.
        assert!(read.load(Ordering::Relaxed) <= 4 * MAX_CHUNK);
        drop(it);
    }

    #[test]
    fn imap_yields_the_results_before_a_failing_input_then_its_panic() {
        let threads = ThreadPool::new(2).unwrap();
        let input = (0..10u64).inspect(|&x| assert_ne!(x, 3, "the input fails at 3"));
        let mut it = threads.imap(&SQUARE, input);
        let mut got = Vec::new();
        let ended = std::panic::catch_unwind(AssertUnwindSafe(|| {
            for r in it.by_ref() {
                got.push(r.unwrap());
            }
        }));
        assert_eq!(
            got,
            [0, 1, 4],
            "the results read before the failure come first"
        );
        let payload = ended.expect_err("then the input's panic");
        let message = payload
            .downcast_ref::<String>()
            .expect("a formatted message");
        assert!(message.contains("the input fails at 3"), "{message}");
    }

    #[test]
    fn chunks_grow_while_quick_and_shrink_when_slow() {
        let threads = ThreadPool::new(1).unwrap();
        let mut it = threads.imap(&SQUARE, 0..);
        it.adapt(1, Duration::ZERO);
        it.adapt(2, Duration::ZERO);
        assert_eq!(it.chunk, 4);
        it.adapt(1, Duration::ZERO); // a short last chunk says nothing about the size
        assert_eq!(it.chunk, 4);
        it.adapt(4, Duration::from_millis(5));
        assert_eq!(it.chunk, 2);
        for _ in 0..20 {
            it.adapt(it.chunk, Duration::ZERO);
        }
        assert_eq!(it.chunk, MAX_CHUNK);
    }
}
