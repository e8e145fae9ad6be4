//! [`AsyncResult`]: a result that will arrive, filled on a pool thread, with the callbacks
//! Python's `apply_async` and `map_async` take.

use std::fmt;
use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::job::{Decoded, Deliver, Delivery};
use crate::error::{Error, Result};
use crate::sys;

/// What [`Pool::map_async`](crate::Pool::map_async) and the other `_async` calls run when their
/// result is complete, as Python's `callback` and `error_callback`.
///
/// Exactly one of the two is called, once, on a pool thread, before any waiter of the
/// [`AsyncResult`] wakes up (so when `get` returns, the callback has run). Keep them short: the
/// thread that runs one does nothing else meanwhile. (When the pool is terminated, a call's
/// `error_callback` runs on the thread that terminates it.) A callback that panics is reported
/// on stderr; the result is still delivered.
///
/// ```
/// # fn square(x: u64) -> u64 { x * x }
/// # const SQUARE: common::Task<u64, u64> = common::task!(square);
/// # fn main() -> common::Result<()> {
/// # common::init(&[&SQUARE]);
/// # let pool = common::Pool::new(2)?;
/// use common::Callbacks;
/// let (tx, rx) = std::sync::mpsc::channel();
/// let squares = pool.map_async_with(
///     &SQUARE,
///     1..=3,
///     Callbacks::new()
///         .callback(move |squares: &Vec<u64>| tx.send(squares.iter().sum::<u64>()).unwrap())
///         .error_callback(|e| eprintln!("failed: {e}")),
/// )?;
/// assert_eq!(squares.get()?, [1, 4, 9]);
/// assert_eq!(rx.recv().unwrap(), 14);
/// # Ok(())
/// # }
/// ```
pub struct Callbacks<T> {
    on_success: Option<OnSuccess<T>>,
    on_error: Option<OnError>,
}

type OnSuccess<T> = Box<dyn FnOnce(&T) + Send>;
type OnError = Box<dyn FnOnce(&Error) + Send>;

impl<T> Callbacks<T> {
    /// No callbacks (add them with [`callback`](Self::callback) and
    /// [`error_callback`](Self::error_callback)).
    pub fn new() -> Self {
        Callbacks {
            on_success: None,
            on_error: None,
        }
    }

    /// Called with the result when the call succeeds.
    pub fn callback(mut self, f: impl FnOnce(&T) + Send + 'static) -> Self {
        self.on_success = Some(Box::new(f));
        self
    }

    /// Called with the error when the call fails.
    pub fn error_callback(mut self, f: impl FnOnce(&Error) + Send + 'static) -> Self {
        self.on_error = Some(Box::new(f));
        self
    }

    /// Runs the one that applies; a panic in it is caught (and printed by the panic hook).
    fn run(self, result: &Result<T>) {
        let ran = panic::catch_unwind(AssertUnwindSafe(|| match result {
            Ok(value) => self.on_success.map(|f| f(value)),
            Err(error) => self.on_error.map(|f| f(error)),
        }));
        if let Err(payload) = ran {
            // Written, not `eprintln!`ed: this runs on a pool thread, and a closed stderr must
            // not panic it (the slot would never be filled, and `get` would wait forever).
            let _ = writeln!(
                std::io::stderr(),
                "common: a callback panicked; the result is delivered all the same"
            );
            // A payload whose own `Drop` panics must not escape either.
            let _ = panic::catch_unwind(AssertUnwindSafe(|| drop(payload)));
        }
    }
}

impl<T> Default for Callbacks<T> {
    fn default() -> Self {
        Callbacks::new()
    }
}

impl<T> fmt::Debug for Callbacks<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callbacks")
            .field("callback", &self.on_success.is_some())
            .field("error_callback", &self.on_error.is_some())
            .finish()
    }
}

enum State<T> {
    Pending,
    Ready(Result<T>),
    /// Taken by `get_timeout`; whether it was a success.
    Taken(bool),
}

/// Where a result waits for its reader: filled once, on a pool thread.
pub(crate) struct Slot<T> {
    state: Mutex<State<T>>,
    filled: Condvar,
}

impl<T> Slot<T> {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Slot {
            state: Mutex::new(State::Pending),
            filled: Condvar::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Fills the slot with `result` (once; later calls are ignored), after running the
    /// callbacks, as Python does.
    pub(crate) fn fill(&self, result: Result<T>, callbacks: Option<Callbacks<T>>) {
        if let Some(callbacks) = callbacks {
            callbacks.run(&result);
        }
        let mut state = self.lock();
        if matches!(*state, State::Pending) {
            *state = State::Ready(result);
        }
        drop(state);
        self.filled.notify_all();
    }

    /// Waits until filled, up to `timeout` (forever with `None`, or with a duration too long
    /// to have an end), and returns the state, filled or not.
    fn wait(&self, timeout: Option<Duration>) -> MutexGuard<'_, State<T>> {
        let deadline = timeout.and_then(sys::deadline);
        let forever = timeout.is_none() || deadline.is_none();
        let mut state = self.lock();
        while matches!(*state, State::Pending) {
            state = if forever {
                self.filled.wait(state).unwrap_or_else(|e| e.into_inner())
            } else {
                let left = deadline
                    .expect("not forever")
                    .saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    break;
                }
                self.filled
                    .wait_timeout(state, left)
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            };
        }
        state
    }
}

/// The handle of a call that returns at once ([`Pool::apply_async`](crate::Pool::apply_async),
/// [`Pool::map_async`](crate::Pool::map_async), …): a result that will arrive.
///
/// Like Python's `AsyncResult`: [`ready`](Self::ready), [`successful`](Self::successful),
/// [`wait`](Self::wait), [`get`](Self::get) and [`get_timeout`](Self::get_timeout). Giving up on
/// waiting does not stop the task; it may still finish later and the result can be fetched then.
pub struct AsyncResult<T> {
    slot: Arc<Slot<T>>,
}

impl<T> fmt::Debug for AsyncResult<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncResult")
            .field("ready", &self.ready())
            .finish()
    }
}

impl<T> AsyncResult<T> {
    pub(crate) fn new(slot: Arc<Slot<T>>) -> Self {
        AsyncResult { slot }
    }

    /// Whether the result has arrived (never blocks).
    pub fn ready(&self) -> bool {
        !matches!(*self.slot.lock(), State::Pending)
    }

    /// Whether the call succeeded: `None` while the result has not arrived (where Python raises
    /// `ValueError`).
    pub fn successful(&self) -> Option<bool> {
        match &*self.slot.lock() {
            State::Pending => None,
            State::Ready(result) => Some(result.is_ok()),
            State::Taken(ok) => Some(*ok),
        }
    }

    /// Blocks until the result has arrived.
    pub fn wait(&self) {
        drop(self.slot.wait(None));
    }

    /// Blocks up to `timeout` (any duration); returns whether the result has arrived.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        !matches!(*self.slot.wait(Some(timeout)), State::Pending)
    }

    /// Blocks until the result arrives and returns it.
    pub fn get(self) -> Result<T> {
        self.take(None)
    }

    /// Waits up to `timeout` (any duration) for the result. On [`Error::WaitTimeout`] the task
    /// keeps running and this handle stays usable: call again later. After a result has been
    /// returned, later calls return [`Error::InvalidArgument`].
    pub fn get_timeout(&mut self, timeout: Duration) -> Result<T> {
        self.take(Some(timeout))
    }

    fn take(&self, timeout: Option<Duration>) -> Result<T> {
        let mut state = self.slot.wait(timeout);
        match std::mem::replace(&mut *state, State::Taken(false)) {
            State::Pending => {
                *state = State::Pending;
                Err(Error::WaitTimeout(timeout.unwrap_or_default()))
            }
            State::Ready(result) => {
                *state = State::Taken(result.is_ok());
                result
            }
            State::Taken(ok) => {
                *state = State::Taken(ok);
                Err(Error::InvalidArgument(
                    "this result was already taken".into(),
                ))
            }
        }
    }
}

/// The sink of one single-item job (`apply_async`): decodes the delivery and fills the slot on
/// the pool thread that has it.
pub(crate) struct OneSink<R> {
    slot: Arc<Slot<R>>,
    callbacks: Mutex<Option<Callbacks<R>>>,
    filled: AtomicBool,
}

impl<R> OneSink<R> {
    pub(crate) fn new(slot: Arc<Slot<R>>, callbacks: Option<Callbacks<R>>) -> Self {
        OneSink {
            slot,
            callbacks: Mutex::new(callbacks),
            filled: AtomicBool::new(false),
        }
    }

    fn fill(&self, result: Result<R>) {
        if self.filled.swap(true, Ordering::SeqCst) {
            return;
        }
        let callbacks = self
            .callbacks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        // Single-item calls report no index.
        self.slot.fill(result.map_err(without_index), callbacks);
    }
}

impl<R: DeserializeOwned + Send + 'static> Deliver for OneSink<R> {
    fn deliver(&self, delivery: Delivery) {
        let result = match delivery {
            Delivery::Done { first, results } => {
                let decoded = *results
                    .downcast::<Decoded<R>>()
                    .expect("a call's jobs are decoded for the call's result type");
                decoded
                    .into_outcomes(first)
                    .next()
                    .map_or(Err(Error::PoolTerminated), |(_, result)| result)
            }
            Delivery::Failed { error, .. } => Err(error),
        };
        self.fill(result);
    }
}

impl<R> Drop for OneSink<R> {
    fn drop(&mut self) {
        // Every job is answered before it is dropped; this only catches one that was not (a
        // supervisor that panicked), so that a waiter never waits forever.
        self.fill(Err(Error::PoolTerminated));
    }
}

/// The same error about no particular item.
pub(crate) fn without_index(error: Error) -> Error {
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
