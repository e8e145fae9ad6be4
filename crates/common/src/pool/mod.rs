//! [`Pool`]: a fixed set of worker processes that run tasks, like Python's
//! `multiprocessing.Pool`.

mod async_result;
mod collect;
mod direct;
mod imap;
mod job;
mod shared;
mod slots;
mod supervisor;

use std::fmt;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use self::async_result::{AsyncResult, Callbacks};
use self::async_result::{OneSink, Slot};
use self::direct::OneTask;
pub use self::imap::IMap;
use self::job::{CallState, ChunkArgs, Deliver, Spec, decoder, default_chunksize};
use self::shared::{Initializer, Shared};
use self::supervisor::Supervisor;
use crate::attach::{self, Attachments};
use crate::error::{Error, Result};
use crate::spawn::{StartMethod, default_start_method};
use crate::task::{self, Task};
use crate::trace::Trace;
use crate::wire;

/// A pool of worker processes.
///
/// Each worker is this binary started again (see [`init`](crate::init)) and runs tasks sent to
/// it, one at a time, for as long as the pool lives. The methods mirror Python's
/// `multiprocessing.Pool`: [`map`](Self::map), [`starmap`](Self::starmap),
/// [`imap`](Self::imap), [`imap_unordered`](Self::imap_unordered), [`apply`](Self::apply),
/// [`apply_async`](Self::apply_async), [`close`](Self::close), [`join`](Self::join),
/// [`terminate`](Self::terminate). Per-call options come first, as in
/// `pool.chunksize(8).map(&TASK, items)`.
///
/// ```
/// fn square(x: u64) -> u64 {
///     x * x
/// }
/// const SQUARE: common::Task<u64, u64> = common::task!(square);
///
/// fn main() -> common::Result<()> {
///     common::init(&[&SQUARE]);
///     let pool = common::Pool::new(3)?;
///     assert_eq!(pool.map(&SQUARE, [1, 2, 3, 4, 5])?, [1, 4, 9, 16, 25]);
///     Ok(())
/// }
/// ```
///
/// Unlike Python's, this pool survives its workers: a worker that dies or overruns a time limit
/// fails only the task it was running and is replaced (see the crate docs for the full table).
/// Dropping the pool is [`terminate`](Self::terminate): workers are killed and reaped, queued
/// tasks fail with [`Error::PoolTerminated`]. Call [`join`](Self::join) to let queued work finish.
///
/// # When a worker dies
///
/// A worker sends back a chunk's results together, when the chunk is done. When it dies (or is
/// killed for overrunning a time limit), one rule decides what happens to the chunk: the item
/// it was running fails with [`Error::WorkerDied`] (or [`Error::TaskTimeout`]) and does not run
/// again; every other item whose result had not arrived runs again on a fresh worker, since
/// those results died with it. When no item was running (the worker died before starting the
/// chunk, or after finishing it but before its results arrived), nobody is blamed and the
/// whole chunk runs again, up to three times in a row before its items fail.
///
/// Results are lost another way too: outcomes travel end to end without lengths, so when the
/// parent cannot decode one (its `Deserialize` refuses the value or panics), that item fails
/// with [`Error::Decode`] and the items after it in its chunk run again.
///
/// So a task may run twice: with a chunk size above 1, an item that finished before another
/// item of its chunk killed the worker, or after one whose result could not be decoded; at any
/// chunk size, one whose worker was killed from outside in the moment after it returned. A
/// task with side effects (printing, writing a file) should be safe to repeat. The task that
/// was running when its worker died never runs again.
pub struct Pool {
    shared: Arc<Shared>,
    supervisors: Vec<JoinHandle<()>>,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("workers", &self.workers())
            .field("pids", &self.pids())
            .finish()
    }
}

/// Builds a [`Pool`] with options; start from [`Pool::builder`].
pub struct PoolBuilder {
    workers: Option<usize>,
    initializer: Option<Result<Initializer>>,
    max_tasks_per_child: Option<usize>,
    task_timeout: Option<Duration>,
    start_method: Option<StartMethod>,
}

impl fmt::Debug for PoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("workers", &self.workers)
            .field("max_tasks_per_child", &self.max_tasks_per_child)
            .field("task_timeout", &self.task_timeout)
            .field("start_method", &self.start_method)
            .finish_non_exhaustive()
    }
}

impl PoolBuilder {
    /// Number of worker processes (default: [`available_parallelism`], like Python's
    /// `os.cpu_count()`).
    ///
    /// [`available_parallelism`]: std::thread::available_parallelism
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = Some(n);
        self
    }

    /// A task every new worker runs once before any other (Python's `initializer`/`initargs`).
    /// If it fails, [`build`](Self::build) returns [`Error::InitializerFailed`].
    pub fn initializer<A: Serialize>(mut self, task: &Task<A, ()>, arg: A) -> Self {
        let initializer = task::ensure_registered(task).and_then(|()| {
            let (arg, _, attached) = encode_one(&arg)?;
            Ok(Initializer {
                task: task.key(),
                arg,
                attached,
            })
        });
        self.initializer = Some(initializer);
        self
    }

    /// Replace a worker after it has run `n` tasks (Python's `maxtasksperchild`; as there, a
    /// chunk of `map` counts as one task).
    pub fn max_tasks_per_child(mut self, n: usize) -> Self {
        self.max_tasks_per_child = Some(n);
        self
    }

    /// Default time limit for every task: a task running longer fails with
    /// [`Error::TaskTimeout`] and its worker is killed and replaced.
    pub fn task_timeout(mut self, limit: Duration) -> Self {
        self.task_timeout = Some(limit);
        self
    }

    /// How the workers start (Python's `get_context(method).Pool()`): see [`StartMethod`].
    /// Without it, [`default_start_method`](crate::default_start_method). Asking for
    /// [`StartMethod::ForkServer`] when there is no fork server makes [`build`](Self::build)
    /// fail with an [`Error::Spawn`] that says why.
    pub fn start_method(mut self, method: StartMethod) -> Self {
        self.start_method = Some(method);
        self
    }

    /// Starts the workers and waits until every one is ready.
    pub fn build(self) -> Result<Pool> {
        task::ensure_initialized()?;
        let start_method = self.start_method.unwrap_or_else(default_start_method);
        let workers = match self.workers {
            Some(0) => {
                return Err(Error::InvalidArgument(
                    "a pool needs at least one worker".into(),
                ));
            }
            Some(n) => n,
            None => thread::available_parallelism().map_or(1, |n| n.get()),
        };
        if self.max_tasks_per_child == Some(0) {
            return Err(Error::InvalidArgument(
                "max_tasks_per_child must be at least 1".into(),
            ));
        }
        let initializer = self.initializer.transpose()?;
        let shared = Arc::new(Shared::new(
            workers,
            initializer,
            self.max_tasks_per_child,
            self.task_timeout,
            start_method,
        ));
        let (ready_tx, ready_rx) = crossbeam_channel::bounded(workers);
        let mut pool = Pool {
            shared,
            supervisors: Vec::with_capacity(workers),
        };
        for slot in 0..workers {
            let (shared, ready) = (Arc::clone(&pool.shared), ready_tx.clone());
            // Counted before the thread starts, so `terminate` never misses one; if the spawn
            // fails the closure (and the guard in it) is dropped, counting it out again.
            let running = pool.shared.supervisor_running(slot);
            let spawned = thread::Builder::new()
                .name(format!("pool worker {slot}"))
                .spawn(move || Supervisor::run(shared, slot, ready, running));
            match spawned {
                Ok(handle) => pool.supervisors.push(handle),
                Err(e) => return Err(Error::spawn(e)), // dropping `pool` stops the others
            }
        }
        drop(ready_tx);
        for _ in 0..workers {
            // A supervisor that cannot start its worker reports why; dropping `pool` cleans up.
            ready_rx.recv().unwrap_or(Err(Error::PoolTerminated))?;
        }
        Ok(pool)
    }
}

impl Pool {
    /// A pool of `n` worker processes, ready when this returns. `n == 0` is
    /// [`Error::InvalidArgument`].
    pub fn new(n: usize) -> Result<Pool> {
        Pool::builder().workers(n).build()
    }

    /// A builder for a pool with options.
    pub fn builder() -> PoolBuilder {
        PoolBuilder {
            workers: None,
            initializer: None,
            max_tasks_per_child: None,
            task_timeout: None,
            start_method: None,
        }
    }

    /// How this pool's workers start.
    pub fn start_method(&self) -> StartMethod {
        self.shared.start_method
    }

    /// Number of worker processes.
    pub fn workers(&self) -> usize {
        self.supervisors.len()
    }

    /// Process ids of the workers alive now (a replaced worker has a new id).
    pub fn pids(&self) -> Vec<u32> {
        self.shared.pids()
    }

    /// How many worker processes this pool has started so far, replacements included.
    pub fn spawned(&self) -> usize {
        self.shared.spawned()
    }

    /// Options for one call: the chunk size of `map`, `starmap` and the `imap`s.
    pub fn chunksize(&self, n: usize) -> Call<'_> {
        self.call().chunksize(n)
    }

    /// Options for one call: record each task's worker and times in `trace`.
    pub fn trace(&self, trace: &Trace) -> Call<'_> {
        self.call().trace(trace)
    }

    /// Options for one call: a time limit per task (overrides the pool's).
    pub fn task_timeout(&self, limit: Duration) -> Call<'_> {
        self.call().task_timeout(limit)
    }

    /// A call with the pool's default options, to set options on conditionally:
    /// `let mut call = pool.call(); if let Some(t) = &trace { call = call.trace(t); }`.
    pub fn call(&self) -> Call<'_> {
        Call {
            pool: self,
            chunksize: None,
            task_timeout: self.shared.task_timeout,
            trace: None,
        }
    }

    /// Runs `task` on every item, in parallel; results in input order. See [`Call::map`].
    pub fn map<A, R>(&self, task: &Task<A, R>, items: impl IntoIterator<Item = A>) -> Result<Vec<R>>
    where
        A: Serialize,
        R: DeserializeOwned + Send + 'static,
    {
        self.call().map(task, items)
    }

    /// `map` for a task of several arguments, given as tuples. See [`Call::starmap`].
    pub fn starmap<A, R>(
        &self,
        task: &Task<A, R>,
        items: impl IntoIterator<Item = A>,
    ) -> Result<Vec<R>>
    where
        A: Args,
        R: DeserializeOwned + Send + 'static,
    {
        self.call().starmap(task, items)
    }

    /// `map` that returns at once with a handle to the results (Python's `map_async`). See
    /// [`Call::map_async`].
    pub fn map_async<A, R>(
        &self,
        task: &Task<A, R>,
        items: impl IntoIterator<Item = A>,
    ) -> Result<AsyncResult<Vec<R>>>
    where
        A: Serialize,
        R: DeserializeOwned + Send + 'static,
    {
        self.call().map_async(task, items)
    }

    /// [`map_async`](Self::map_async) with Python's `callback` and `error_callback`.
    pub fn map_async_with<A, R>(
        &self,
        task: &Task<A, R>,
        items: impl IntoIterator<Item = A>,
        callbacks: Callbacks<Vec<R>>,
    ) -> Result<AsyncResult<Vec<R>>>
    where
        A: Serialize,
        R: DeserializeOwned + Send + 'static,
    {
        self.call().map_async_with(task, items, callbacks)
    }

    /// `starmap` that returns at once with a handle to the results.
    pub fn starmap_async<A, R>(
        &self,
        task: &Task<A, R>,
        items: impl IntoIterator<Item = A>,
    ) -> Result<AsyncResult<Vec<R>>>
    where
        A: Args,
        R: DeserializeOwned + Send + 'static,
    {
        self.call().starmap_async(task, items)
    }

    /// [`starmap_async`](Self::starmap_async) with Python's `callback` and `error_callback`.
    pub fn starmap_async_with<A, R>(
        &self,
        task: &Task<A, R>,
        items: impl IntoIterator<Item = A>,
        callbacks: Callbacks<Vec<R>>,
    ) -> Result<AsyncResult<Vec<R>>>
    where
        A: Args,
        R: DeserializeOwned + Send + 'static,
    {
        self.call().starmap_async_with(task, items, callbacks)
    }

    /// Results one by one, in input order, as they become available. See [`Call::imap`].
    pub fn imap<A, R, I>(&self, task: &Task<A, R>, items: I) -> IMap<'_, I::IntoIter, R>
    where
        I: IntoIterator<Item = A>,
        A: Serialize,
        R: DeserializeOwned + Send + 'static,
    {
        self.call().imap(task, items)
    }

    /// Results one by one, in completion order. See [`Call::imap_unordered`].
    pub fn imap_unordered<A, R, I>(&self, task: &Task<A, R>, items: I) -> IMap<'_, I::IntoIter, R>
    where
        I: IntoIterator<Item = A>,
        A: Serialize,
        R: DeserializeOwned + Send + 'static,
    {
        self.call().imap_unordered(task, items)
    }

    /// Runs `task(arg)` in a worker and waits for the result.
    pub fn apply<A: Serialize, R: DeserializeOwned + Send + 'static>(
        &self,
        task: &Task<A, R>,
        arg: A,
    ) -> Result<R> {
        self.call().apply(task, arg)
    }

    /// Starts `task(arg)` in a worker and returns at once with a handle to the result.
    pub fn apply_async<A: Serialize, R: DeserializeOwned + Send + 'static>(
        &self,
        task: &Task<A, R>,
        arg: A,
    ) -> Result<AsyncResult<R>> {
        self.call().apply_async(task, arg)
    }

    /// [`apply_async`](Self::apply_async) with Python's `callback` and `error_callback`.
    pub fn apply_async_with<A: Serialize, R: DeserializeOwned + Send + 'static>(
        &self,
        task: &Task<A, R>,
        arg: A,
        callbacks: Callbacks<R>,
    ) -> Result<AsyncResult<R>> {
        self.call().apply_async_with(task, arg, callbacks)
    }

    /// Stops accepting tasks; those already submitted still run. Later submissions fail with
    /// [`Error::PoolClosed`]. That includes an `imap` still reading its lazy input: the items it
    /// had submitted arrive, then it yields one `Err(PoolClosed)` and ends.
    pub fn close(&self) {
        self.shared.close();
    }

    /// Closes the pool, waits for every submitted task to finish, then ends and reaps the
    /// workers. (Python requires `close()` first; here `join` implies it.)
    pub fn join(mut self) {
        self.shared.close();
        for supervisor in self.supervisors.drain(..) {
            let _ = supervisor.join();
        }
    }

    /// Stops at once: kills every worker, fails running and queued tasks with
    /// [`Error::PoolTerminated`], and returns when every worker has been reaped. Takes `&self`
    /// so another thread can stop a pool that is busy in `map`.
    pub fn terminate(&self) {
        self.shared.terminate();
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.shared.terminate();
        for supervisor in self.supervisors.drain(..) {
            let _ = supervisor.join();
        }
    }
}

/// One call's options, made by [`Pool::chunksize`] or [`Pool::task_timeout`]; it has the same
/// methods as [`Pool`].
#[derive(Debug, Clone)]
pub struct Call<'p> {
    pool: &'p Pool,
    chunksize: Option<usize>,
    task_timeout: Option<Duration>,
    trace: Option<Trace>,
}

impl<'p> Call<'p> {
    /// Records which worker ran each task, and when, in `trace` (see [`Trace::timeline`]).
    pub fn trace(mut self, trace: &Trace) -> Self {
        self.trace = Some(trace.clone());
        self
    }

    fn spec<R: DeserializeOwned + Send + 'static>(&self, key: &'static str) -> Spec {
        Spec {
            task: key,
            limit: self.task_timeout,
            trace: self.trace.clone(),
            decode: decoder::<R>(),
        }
    }

    /// Items per chunk: a worker receives and answers a chunk as one message. Larger chunks
    /// mean fewer messages; smaller ones balance uneven tasks better. Defaults: for `map` and
    /// `starmap`, Python's `ceil(len / (4 * workers))`; for the `imap`s, 1.
    pub fn chunksize(mut self, n: usize) -> Self {
        self.chunksize = Some(n);
        self
    }

    /// A time limit per task for this call.
    pub fn task_timeout(mut self, limit: Duration) -> Self {
        self.task_timeout = Some(limit);
        self
    }

    fn checked_chunksize(&self, default: usize) -> Result<usize> {
        match self.chunksize {
            Some(0) => Err(Error::InvalidArgument(
                "chunksize must be at least 1".into(),
            )),
            Some(n) if n > u32::MAX as usize / 2 => {
                Err(Error::InvalidArgument("chunksize is too large".into()))
            }
            Some(n) => Ok(n),
            None => Ok(default),
        }
    }

    /// Runs `task` on every item and returns the results in input order.
    ///
    /// On failure returns the error of the failing item with the lowest index, whatever the
    /// order in which workers finished; chunks after it are skipped. A panic of the input
    /// iterator cancels the chunks already queued and goes on to the caller.
    pub fn map<A, R>(self, task: &Task<A, R>, items: impl IntoIterator<Item = A>) -> Result<Vec<R>>
    where
        A: Serialize,
        R: DeserializeOwned + Send + 'static,
    {
        self.map_async_with(task, items, Callbacks::new())?.get()
    }

    /// Like [`map`](Self::map), but returns at once with a handle to the results (Python's
    /// `map_async`). The input is read (and encoded) before this returns, as Python lists it.
    pub fn map_async<A, R>(
        self,
        task: &Task<A, R>,
        items: impl IntoIterator<Item = A>,
    ) -> Result<AsyncResult<Vec<R>>>
    where
        A: Serialize,
        R: DeserializeOwned + Send + 'static,
    {
        self.map_async_with(task, items, Callbacks::new())
    }

    /// [`map_async`](Self::map_async) with Python's `callback` (given all the results) and
    /// `error_callback` (given the error `get` will return); see [`Callbacks`].
    pub fn map_async_with<A, R>(
        self,
        task: &Task<A, R>,
        items: impl IntoIterator<Item = A>,
        callbacks: Callbacks<Vec<R>>,
    ) -> Result<AsyncResult<Vec<R>>>
    where
        A: Serialize,
        R: DeserializeOwned + Send + 'static,
    {
        task::ensure_registered(task)?;
        let spec = self.spec::<R>(task.key());
        let workers = self.pool.workers();
        let items = items.into_iter();
        let shared = &self.pool.shared;
        // The default chunk size needs the input's length. An iterator that knows it exactly
        // (a range, a Vec) is read as it goes; any other is collected first.
        match items.size_hint() {
            (len, Some(upper)) if len == upper => {
                let chunksize = self.checked_chunksize(default_chunksize(len, workers))?;
                collect::map_async(shared, spec, items, chunksize, Some(callbacks))
            }
            _ => {
                let items: Vec<A> = items.collect();
                let chunksize = self.checked_chunksize(default_chunksize(items.len(), workers))?;
                collect::map_async(shared, spec, items.into_iter(), chunksize, Some(callbacks))
            }
        }
    }

    /// `map` for a task that takes several arguments, made with `task!(f(a, b))`: each item is
    /// a tuple of arguments (Python's `starmap`).
    pub fn starmap<A, R>(
        self,
        task: &Task<A, R>,
        items: impl IntoIterator<Item = A>,
    ) -> Result<Vec<R>>
    where
        A: Args,
        R: DeserializeOwned + Send + 'static,
    {
        self.map(task, items)
    }

    /// `starmap` that returns at once with a handle to the results.
    pub fn starmap_async<A, R>(
        self,
        task: &Task<A, R>,
        items: impl IntoIterator<Item = A>,
    ) -> Result<AsyncResult<Vec<R>>>
    where
        A: Args,
        R: DeserializeOwned + Send + 'static,
    {
        self.map_async(task, items)
    }

    /// [`starmap_async`](Self::starmap_async) with Python's `callback` and `error_callback`.
    pub fn starmap_async_with<A, R>(
        self,
        task: &Task<A, R>,
        items: impl IntoIterator<Item = A>,
        callbacks: Callbacks<Vec<R>>,
    ) -> Result<AsyncResult<Vec<R>>>
    where
        A: Args,
        R: DeserializeOwned + Send + 'static,
    {
        self.map_async_with(task, items, callbacks)
    }

    /// Results one by one in input order, as soon as each (and all before it) is done.
    ///
    /// The input is read lazily and at most about `2 × workers × chunksize` items are in flight,
    /// so an endless iterator works: `pool.imap(&T, 0..).take(10)`. Unlike `map`, a failure is
    /// one `Err` item and iteration goes on. [`IMap::next_timeout`] waits at most so long. If
    /// the input iterator panics, the results of the items before come out first, then the
    /// panic resumes in the caller of `next`.
    pub fn imap<A, R, I>(self, task: &Task<A, R>, items: I) -> IMap<'p, I::IntoIter, R>
    where
        I: IntoIterator<Item = A>,
        A: Serialize,
        R: DeserializeOwned + Send + 'static,
    {
        self.make_imap(task, items, true)
    }

    /// Like [`imap`](Self::imap), but yields results in the order they finish.
    pub fn imap_unordered<A, R, I>(self, task: &Task<A, R>, items: I) -> IMap<'p, I::IntoIter, R>
    where
        I: IntoIterator<Item = A>,
        A: Serialize,
        R: DeserializeOwned + Send + 'static,
    {
        self.make_imap(task, items, false)
    }

    fn make_imap<A, R, I>(
        self,
        task: &Task<A, R>,
        items: I,
        ordered: bool,
    ) -> IMap<'p, I::IntoIter, R>
    where
        I: IntoIterator<Item = A>,
        A: Serialize,
        R: DeserializeOwned + Send + 'static,
    {
        let shared = &self.pool.shared;
        let workers = self.pool.workers();
        // Checks that fail here surface as the iterator's first item.
        let checked = task::ensure_registered(task).and_then(|()| self.checked_chunksize(1));
        let (chunksize, poisoned) = match checked {
            Ok(n) => (n, None),
            Err(e) => (1, Some(e)),
        };
        let spec = self.spec::<R>(task.key());
        let window = 2 * workers * chunksize;
        let mut imap = IMap::new(shared, spec, items.into_iter(), chunksize, window, ordered);
        if let Some(error) = poisoned {
            imap.poison(error);
        }
        imap
    }

    /// Runs `task(arg)` in a worker and waits for the result.
    ///
    /// When a worker is idle and nothing is queued, the calling thread talks to it directly
    /// rather than through the queue, which saves two thread hops on a call that waits anyway.
    /// (Work queued before still goes first: the shortcut never jumps the queue.)
    pub fn apply<A: Serialize, R: DeserializeOwned + Send + 'static>(
        self,
        task: &Task<A, R>,
        arg: A,
    ) -> Result<R> {
        task::ensure_registered(task)?;
        let (args, len, attached) = encode_one(&arg)?;
        let index = self.apply_index();
        let one = OneTask {
            task: task.key(),
            arg: &args,
            attached: &attached,
            limit: self.task_timeout,
            trace: self.trace.as_ref().map(|t| (t, index)),
        };
        if let Some(result) = direct::apply(&self.pool.shared, &one) {
            return result;
        }
        let encoded = ChunkArgs::encoded(args, vec![len], attached);
        self.submit_one(task.key(), encoded, index, None)?.get()
    }

    /// Starts `task(arg)` in a worker; returns at once with a handle to the result.
    pub fn apply_async<A: Serialize, R: DeserializeOwned + Send + 'static>(
        self,
        task: &Task<A, R>,
        arg: A,
    ) -> Result<AsyncResult<R>> {
        self.apply_async_with(task, arg, Callbacks::new())
    }

    /// [`apply_async`](Self::apply_async) with Python's `callback` and `error_callback`; see
    /// [`Callbacks`].
    pub fn apply_async_with<A: Serialize, R: DeserializeOwned + Send + 'static>(
        self,
        task: &Task<A, R>,
        arg: A,
        callbacks: Callbacks<R>,
    ) -> Result<AsyncResult<R>> {
        task::ensure_registered(task)?;
        let (args, len, attached) = encode_one(&arg)?;
        let index = self.apply_index();
        let encoded = ChunkArgs::encoded(args, vec![len], attached);
        self.submit_one(task.key(), encoded, index, Some(callbacks))
    }

    /// A single item: traced applies are numbered in the order they were made.
    fn apply_index(&self) -> usize {
        self.trace.as_ref().map_or(0, Trace::next_apply)
    }

    fn submit_one<R: DeserializeOwned + Send + 'static>(
        &self,
        key: &'static str,
        args: ChunkArgs,
        index: usize,
        callbacks: Option<Callbacks<R>>,
    ) -> Result<AsyncResult<R>> {
        let slot = Slot::new();
        let reply: Arc<dyn Deliver> = Arc::new(OneSink::new(Arc::clone(&slot), callbacks));
        let job = self
            .spec::<R>(key)
            .job(index, args, &CallState::new(), &reply);
        self.pool.shared.submit(job)?;
        Ok(AsyncResult::new(slot))
    }
}

/// Encodes one argument, with its length as the wire carries it and the descriptors it
/// carries (see `attach`).
fn encode_one<A: Serialize>(arg: &A) -> Result<(Vec<u8>, u32, Attachments)> {
    let mut args = Vec::new();
    let (encoded, attached) = attach::collect(|| wire::encode_value(arg, &mut args));
    encoded.map_err(|message| Error::Encode {
        index: None,
        message,
    })?;
    let len = args.len() as u32; // at most `wire::MAX_BODY`
    Ok((args, len, attached))
}

/// Argument tuples for [`Pool::starmap`]: tuples of 1 to 6 serde values.
pub trait Args: Serialize + sealed::Sealed {}

mod sealed {
    pub trait Sealed {}
}

macro_rules! args_tuples {
    ($(($($t:ident),+)),+ $(,)?) => {$(
        impl<$($t: serde::Serialize),+> sealed::Sealed for ($($t,)+) {}
        impl<$($t: serde::Serialize),+> Args for ($($t,)+) {}
    )+};
}
args_tuples!(
    (A),
    (A, B),
    (A, B, C),
    (A, B, C, D),
    (A, B, C, D, E),
    (A, B, C, D, E, F)
);
