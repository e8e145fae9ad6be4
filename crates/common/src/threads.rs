//! [`ThreadPool`]: the same `map` and `imap` as [`Pool`](crate::Pool), on threads.
//!
//! Rust has no global interpreter lock, so threads run Rust code truly in parallel; for
//! CPU-bound work they are usually the better tool, and nothing needs encoding. This wrapper
//! takes the same [`Task`]s and has the same call shape as the process pool, so a program can
//! show both side by side with one call each.

use std::collections::VecDeque;
use std::fmt;

use crossbeam_channel::{Receiver, Sender};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::panic;
use crate::pool::Args;
use crate::task::Task;
use crate::trace::{Outcome, Span, Trace};

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
        let items: Vec<A> = items.into_iter().collect();
        let task = *task;
        let outcomes: Vec<Result<R>> = self.pool.install(|| {
            items
                .into_par_iter()
                .enumerate()
                .map(|(i, a)| match trace {
                    None => run(task, i, a),
                    Some(trace) => run_traced(task, i, a, trace),
                })
                .collect()
        });
        // Collecting every outcome first keeps the reported failure the lowest-index one.
        outcomes.into_iter().collect()
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

    /// Results one by one in input order, reading the input lazily with at most
    /// `2 × threads` items in flight, like [`Pool::imap`](crate::Pool::imap).
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
            submitted: 0,
            yielded: 0,
            reply,
            results,
            buffer: VecDeque::new(),
        }
    }
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

/// [`run`], recording the thread, the times and the outcome in `trace`.
fn run_traced<A, R>(task: Task<A, R>, index: usize, arg: A, trace: &Trace) -> Result<R> {
    let start = trace.now();
    let result = run(task, index, arg);
    let end = trace.now();
    trace.record(Span {
        index,
        pid: Trace::thread_id(),
        start,
        end,
        outcome: if result.is_ok() {
            Outcome::Ran
        } else {
            Outcome::Failed
        },
    });
    result
}

fn run<A, R>(task: Task<A, R>, index: usize, arg: A) -> Result<R> {
    panic::catch(|| task.call(arg)).map_err(|caught| Error::TaskPanicked {
        index: Some(index),
        message: caught.message,
        location: caught.location,
    })
}

/// The iterator of [`ThreadPool::imap`].
pub struct ThreadIMap<'p, I: Iterator, R> {
    pool: &'p ThreadPool,
    task: Task<I::Item, R>,
    items: I,
    window: usize,
    submitted: usize,
    yielded: usize,
    reply: Sender<(usize, Result<R>)>,
    results: Receiver<(usize, Result<R>)>,
    /// Slot `i` holds item `yielded + i` once it arrives.
    buffer: VecDeque<Option<Result<R>>>,
}

impl<I: Iterator, R> fmt::Debug for ThreadIMap<'_, I, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadIMap")
            .field("submitted", &self.submitted)
            .field("yielded", &self.yielded)
            .finish_non_exhaustive()
    }
}

impl<I, R> Iterator for ThreadIMap<'_, I, R>
where
    I: Iterator,
    I::Item: Send + 'static,
    R: Send + 'static,
{
    type Item = Result<R>;

    fn next(&mut self) -> Option<Result<R>> {
        while self.submitted - self.yielded < self.window {
            let Some(arg) = self.items.next() else { break };
            let (task, index, reply) = (self.task, self.submitted, self.reply.clone());
            self.pool.pool.spawn(move || {
                let _ = reply.send((index, run(task, index, arg)));
            });
            self.submitted += 1;
        }
        loop {
            if let Some(Some(_)) = self.buffer.front() {
                self.yielded += 1;
                return self.buffer.pop_front().flatten();
            }
            if self.yielded == self.submitted {
                return None;
            }
            let (index, result) = self.results.recv().expect("the iterator holds a sender");
            let slot = index - self.yielded;
            if self.buffer.len() <= slot {
                self.buffer.resize_with(slot + 1, || None);
            }
            self.buffer[slot] = Some(result);
        }
    }
}
