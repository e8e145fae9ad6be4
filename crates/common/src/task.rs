//! Tasks: plain functions with a stable name, so another process can find them.

use std::collections::HashSet;
use std::fmt;
use std::sync::RwLock;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::panic;
use crate::progress::Progress;
use crate::sys;
use crate::wire::{self, Failure};

/// A function that can run in another process: a name plus a plain `fn(A) -> R`.
///
/// A worker process is this same binary started again, so it has the same functions but not at
/// the same addresses. The name is what crosses the process boundary; each side looks the
/// function up in the list given to [`init`](crate::init). Make one with [`task!`](crate::task),
/// which names it after its module path and function name:
///
/// ```
/// fn square(x: i64) -> i64 {
///     x * x
/// }
/// const SQUARE: common::Task<i64, i64> = common::task!(square);
/// assert_eq!(SQUARE.call(7), 49); // a task is still an ordinary function
/// assert!(SQUARE.name().ends_with("::square"));
/// ```
///
/// `A` and `R` must be serde types: they travel between processes encoded with postcard.
pub struct Task<A, R> {
    name: &'static str,
    f: fn(A) -> R,
}

impl<A, R> Task<A, R> {
    /// A task named `name` that runs `f`. Prefer [`task!`](crate::task), which picks a unique name.
    pub const fn new(name: &'static str, f: fn(A) -> R) -> Self {
        Task { name, f }
    }

    /// The name workers use to find this task.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Runs the task here, in this thread.
    pub fn call(&self, arg: A) -> R {
        (self.f)(arg)
    }
}

impl<A, R> Clone for Task<A, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A, R> Copy for Task<A, R> {}

impl<A, R> fmt::Debug for Task<A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Task").field(&self.name).finish()
    }
}

/// Makes a [`Task`] from a function, named after the module it is written in.
///
/// `task!(f)` wraps a one-argument function. `task!(f(a, b))` wraps a function of several
/// parameters; the task then takes them as one tuple, which is what
/// [`Pool::starmap`](crate::Pool::starmap) sends (the names in the parentheses are placeholders).
///
/// ```
/// fn power(base: u64, exp: u32) -> u64 {
///     base.pow(exp)
/// }
/// const POWER: common::Task<(u64, u32), u64> = common::task!(power(base, exp));
/// assert_eq!(POWER.call((2, 10)), 1024);
/// ```
// ANCHOR: task_macro
#[macro_export]
macro_rules! task {
    ($($f:ident)::+ ( $($arg:ident),+ $(,)? )) => {
        $crate::Task::new(
            concat!(module_path!(), "::", stringify!($($f)::+)),
            |($($arg,)+)| $($f)::+($($arg),+),
        )
    };
    ($f:path) => {
        $crate::Task::new(concat!(module_path!(), "::", stringify!($f)), $f)
    };
}
// ANCHOR_END: task_macro

/// A task seen without its types: what a worker needs to run one from bytes.
///
/// Implemented by every [`Task`] whose argument and result are serde types; you pass tasks to
/// [`init`](crate::init) as `&[&TASK_A, &TASK_B]` and never call these methods yourself.
pub trait Registered: Sync {
    /// The task's name, as in [`Task::name`].
    fn name(&self) -> &'static str;

    /// Runs the task on each of the `count` arguments laid end to end in `args`, with panics
    /// caught, appending one encoded outcome per item to `out` and marking each in `marks`.
    /// Returns whether every item succeeded.
    #[doc(hidden)]
    fn run_chunk(
        &self,
        args: &[u8],
        count: usize,
        out: &mut Vec<u8>,
        marks: &mut Marks<'_>,
    ) -> bool;
}

/// What a worker does around each item of a chunk: mark its start in the progress page (how a
/// death or a time limit is pinned on it) and, when traced, time it. A concrete type, so these
/// per-item steps inline into each task's loop.
#[doc(hidden)]
#[derive(Debug)]
pub struct Marks<'a> {
    pub(crate) progress: &'a Progress,
    pub(crate) seq: u64,
    pub(crate) timed: bool,
    pub(crate) times: Option<&'a mut Vec<(u64, u64, bool)>>,
    pub(crate) started: u64,
}

impl Marks<'_> {
    #[inline]
    pub(crate) fn before(&mut self, item: usize) {
        // A traced item's start is kept too, so a death while it runs can be drawn.
        self.progress
            .begin(self.seq, item, self.timed || self.times.is_some());
        if self.times.is_some() {
            self.started = sys::monotonic_nanos();
        }
    }

    #[inline]
    pub(crate) fn after(&mut self, ok: bool) {
        if let Some(times) = self.times.as_deref_mut() {
            times.push((self.started, sys::monotonic_nanos(), ok));
        }
    }
}

impl<A, R> Registered for Task<A, R>
where
    A: DeserializeOwned,
    R: Serialize,
{
    fn name(&self) -> &'static str {
        self.name
    }

    fn run_chunk(
        &self,
        args: &[u8],
        count: usize,
        out: &mut Vec<u8>,
        marks: &mut Marks<'_>,
    ) -> bool {
        // One deserializer walks the whole chunk: arguments lie end to end. After one that
        // cannot be decoded, the rest cannot be found, so they fail too.
        let mut args = postcard::Deserializer::from_bytes(args);
        let mut unreadable = false;
        let mut all_ok = true;
        panic::capturing(|| {
            for item in 0..count {
                marks.before(item);
                let outcome = if unreadable {
                    Err(Failure::Decode(
                        "an earlier argument in its chunk could not be decoded".into(),
                    ))
                } else {
                    match A::deserialize(&mut args) {
                        Err(e) => {
                            unreadable = true;
                            Err(Failure::Decode(e.to_string()))
                        }
                        Ok(arg) => panic::catch_captured(|| (self.f)(arg)).map_err(Failure::from),
                    }
                };
                let ok = wire::encode_outcome(&outcome, out);
                all_ok &= ok;
                marks.after(ok);
            }
        });
        all_ok
    }
}

/// Names given to [`init`](crate::init) in this process.
static REGISTRY: RwLock<Option<HashSet<&'static str>>> = RwLock::new(None);

/// Records `tasks` as the ones this binary can run. Panics on two different tasks of one name.
pub(crate) fn register(tasks: &[&dyn Registered]) {
    let mut names = HashSet::new();
    for task in tasks {
        assert!(
            names.insert(task.name()),
            "common::init: task `{}` is listed twice",
            task.name()
        );
    }
    let mut registry = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    registry.get_or_insert_with(HashSet::new).extend(names);
}

/// Checks, before anything is sent, that a worker will be able to find `name`.
pub(crate) fn ensure_registered(name: &str) -> Result<()> {
    let registry = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
    match registry.as_ref() {
        None => Err(Error::NotInitialized),
        Some(names) if names.contains(name) => Ok(()),
        Some(_) => Err(Error::UnregisteredTask(name.to_owned())),
    }
}

/// Checks that `init` ran, so a re-executed binary will turn into a worker.
pub(crate) fn ensure_initialized() -> Result<()> {
    let registry = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
    registry.as_ref().map(|_| ()).ok_or(Error::NotInitialized)
}
