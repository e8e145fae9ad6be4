//! Tasks: plain functions with a stable name, so another process can find them.

use std::collections::HashSet;
use std::fmt;
use std::sync::RwLock;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::panic;
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

    /// Decodes one argument from the front of `args` (advancing past it), runs the task with
    /// panics caught, and appends the encoded outcome to `out`. Returns whether the task
    /// succeeded, or `None` if the argument could not be decoded (an outcome saying so was
    /// appended, but `args` could not be advanced: the rest of the chunk is unreadable).
    #[doc(hidden)]
    fn run_next(&self, args: &mut &[u8], out: &mut Vec<u8>) -> Option<bool>;
}

impl<A, R> Registered for Task<A, R>
where
    A: DeserializeOwned,
    R: Serialize,
{
    fn name(&self) -> &'static str {
        self.name
    }

    fn run_next(&self, args: &mut &[u8], out: &mut Vec<u8>) -> Option<bool> {
        match postcard::take_from_bytes::<A>(args) {
            Err(e) => {
                wire::encode_outcome::<R>(&Err(Failure::Decode(e.to_string())), out);
                None
            }
            Ok((arg, rest)) => {
                *args = rest;
                let outcome = panic::catch(|| (self.f)(arg)).map_err(Failure::from);
                Some(wire::encode_outcome(&outcome, out))
            }
        }
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
