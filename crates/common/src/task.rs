//! Tasks: plain functions with a stable name, so another process can find them.

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;
use std::io;
use std::sync::RwLock;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::chunk::ChunkRun;
use crate::error::{Error, Result};
use crate::panic::{self, Caught};
use crate::wire::word::{self, Kind};
use crate::wire::{self, Failure, Layout};

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
    /// What identifies the task on the wire and in the registry: for `task!`, the name plus the
    /// line and column of the `task!`, so two functions of one name in one module (in two
    /// `const` blocks, say) are two tasks.
    key: &'static str,
    f: fn(A) -> R,
    /// The argument and result types' names, checked against the registered task's.
    types: fn() -> (&'static str, &'static str),
}

impl<A, R> Task<A, R> {
    /// A task named `name` that runs `f`. Prefer [`task!`](crate::task), which picks a unique
    /// name; two tasks made here with one name are told apart only by their types.
    pub const fn new(name: &'static str, f: fn(A) -> R) -> Self {
        Task::at(name, name, f)
    }

    /// A task named `name`, identified by `key` (what [`task!`](crate::task) uses).
    #[doc(hidden)]
    pub const fn at(name: &'static str, key: &'static str, f: fn(A) -> R) -> Self {
        Task {
            name,
            key,
            f,
            types: types::<A, R>,
        }
    }

    /// The name workers use to find this task.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Runs the task here, in this thread.
    pub fn call(&self, arg: A) -> R {
        (self.f)(arg)
    }

    /// What identifies the task between processes.
    pub(crate) fn key(&self) -> &'static str {
        self.key
    }
}

fn types<A, R>() -> (&'static str, &'static str) {
    (std::any::type_name::<A>(), std::any::type_name::<R>())
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
///
/// Each `task!` is its own task, even for two functions of one name in one module; two `task!`
/// produced by one expansion of a macro of yours, on the same line and column, are not.
// ANCHOR: task_macro
#[macro_export]
macro_rules! task {
    ($($f:ident)::+ ( $($arg:ident),+ $(,)? )) => {
        $crate::Task::at(
            concat!(module_path!(), "::", stringify!($($f)::+)),
            concat!(module_path!(), "::", stringify!($($f)::+), "@", line!(), ":", column!()),
            |($($arg,)+)| $($f)::+($($arg),+),
        )
    };
    ($f:path) => {
        $crate::Task::at(
            concat!(module_path!(), "::", stringify!($f)),
            concat!(module_path!(), "::", stringify!($f), "@", line!(), ":", column!()),
            $f,
        )
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

    /// What identifies the task between processes.
    #[doc(hidden)]
    fn key(&self) -> &'static str;

    /// The names of the argument and result types.
    #[doc(hidden)]
    fn types(&self) -> (&'static str, &'static str);

    /// Runs the task on the `count` arguments of `args`, laid out as `run` says, in order, with
    /// panics caught, giving each item's outcome to `run`. Stops early after an encoded argument
    /// it cannot decode (the next cannot be found): the rest never start. Fails only if the
    /// channel does.
    #[doc(hidden)]
    fn run_chunk(&self, args: &[u8], count: usize, run: &mut ChunkRun<'_>) -> io::Result<()>;
}

impl<A, R> Registered for Task<A, R>
where
    A: DeserializeOwned,
    R: Serialize,
{
    fn name(&self) -> &'static str {
        self.name
    }

    fn key(&self) -> &'static str {
        self.key
    }

    fn types(&self) -> (&'static str, &'static str) {
        (self.types)()
    }

    fn run_chunk(&self, args: &[u8], count: usize, run: &mut ChunkRun<'_>) -> io::Result<()> {
        match run.args_layout() {
            Layout::Words(kind) => self.run_words(args, kind, count, run),
            Layout::Encoded => self.run_encoded(args, count, run),
        }
    }
}

impl<A, R> Task<A, R>
where
    A: DeserializeOwned,
    R: Serialize,
{
    /// [`Registered::run_chunk`] for arguments that are words: item `i` is at byte `8 * i`,
    /// so one that cannot be decoded fails alone and the next one runs.
    fn run_words(
        &self,
        args: &[u8],
        kind: Kind,
        count: usize,
        run: &mut ChunkRun<'_>,
    ) -> io::Result<()> {
        // One loop per kind, so that decoding a word is a move, with no branch on its kind.
        word::for_kind!(kind, K => self.run_words_of::<K>(args, count, run))
    }

    fn run_words_of<const K: u8>(
        &self,
        args: &[u8],
        count: usize,
        run: &mut ChunkRun<'_>,
    ) -> io::Result<()> {
        let mut item = 0;
        let stage = Cell::new(Stage::Decode);
        while item < count {
            let pass = panic::catch_captured(|| -> io::Result<Option<Failure>> {
                while item < count {
                    run.before(item);
                    stage.set(Stage::Decode);
                    let Some(bytes) = args.get(8 * item..8 * item + 8) else {
                        return Ok(Some(Failure::Decode("argument missing".into())));
                    };
                    let bits = u64::from_le_bytes(bytes.try_into().expect("eight bytes"));
                    let arg = match word::from_bits::<A, K>(bits) {
                        Ok(arg) => arg,
                        Err(e) => return Ok(Some(Failure::Decode(e.to_string()))),
                    };
                    stage.set(Stage::Run);
                    let value = (self.f)(arg);
                    stage.set(Stage::Encode);
                    run.push_ok(&value)?;
                    item += 1;
                }
                Ok(None)
            });
            let failure = match pass {
                Ok(Ok(None)) => return Ok(()),
                Ok(Err(channel)) => return Err(channel),
                Ok(Ok(Some(failure))) => failure,
                Err(caught) => stage.get().failure(caught),
            };
            run.push_failure(failure)?;
            if args.len() < 8 * (item + 1) {
                return Ok(()); // the arguments ran out: the parent sends the rest again
            }
            item += 1;
        }
        Ok(())
    }

    /// [`Registered::run_chunk`] for encoded arguments, laid end to end.
    fn run_encoded(&self, args: &[u8], count: usize, run: &mut ChunkRun<'_>) -> io::Result<()> {
        // One decoder walks the whole chunk: arguments lie end to end.
        let mut decoder = postcard::Deserializer::from_bytes(args);
        let mut item = 0;
        // A Cell, as it is read after an unwind out of the closure that sets it.
        let stage = Cell::new(Stage::Decode);
        while item < count {
            // One catch for the chunk, not one per item (small items are that cheap): a panic
            // ends the pass at the item that panicked, whose failure is recorded, and the next
            // pass goes on after it.
            let pass = panic::catch_captured(|| -> io::Result<Option<String>> {
                while item < count {
                    run.before(item);
                    stage.set(Stage::Decode);
                    let arg = match A::deserialize(&mut decoder) {
                        Ok(arg) => arg,
                        Err(e) => return Ok(Some(wire::decode_error_at::<A>(args, item, e))),
                    };
                    stage.set(Stage::Run);
                    let value = (self.f)(arg);
                    stage.set(Stage::Encode);
                    run.push_ok(&value)?;
                    item += 1;
                }
                Ok(None)
            });
            let failure = match pass {
                Ok(Ok(None)) => return Ok(()),
                Ok(Err(channel)) => return Err(channel),
                Ok(Ok(Some(message))) => Failure::Decode(message),
                Err(caught) => stage.get().failure(caught),
            };
            run.push_failure(failure)?;
            // After an argument that could not be decoded, the next cannot be found: the chunk
            // ends there, and the parent sends the rest again.
            if stage.get() == Stage::Decode {
                return Ok(());
            }
            item += 1;
        }
        Ok(())
    }
}

/// Where an item was when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Decoding its argument.
    Decode,
    /// Running the task.
    Run,
    /// Encoding its result.
    Encode,
}

impl Stage {
    /// The failure of an item whose code panicked at this stage.
    fn failure(self, caught: Caught) -> Failure {
        match self {
            Stage::Decode => Failure::Decode(caught.describe("decoding")),
            Stage::Run => Failure::from(caught),
            Stage::Encode => Failure::Encode(caught.describe("encoding")),
        }
    }
}

/// A registered task's types, by key.
type Registry = HashMap<&'static str, (&'static str, &'static str)>;

/// Tasks given to [`init`](crate::init) in this process.
static REGISTRY: RwLock<Option<Registry>> = RwLock::new(None);

/// Records `tasks` as the ones this binary can run. Panics on a task listed twice.
pub(crate) fn register(tasks: &[&dyn Registered]) {
    let mut keys = Registry::new();
    for task in tasks {
        assert!(
            keys.insert(task.key(), task.types()).is_none(),
            "common::init: task `{}` is listed twice",
            task.name()
        );
    }
    let mut registry = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    registry.get_or_insert_with(Registry::new).extend(keys);
}

/// Checks, before anything is sent, that a worker will find `task` and run this very function:
/// same key, same argument and result types.
pub(crate) fn ensure_registered<A, R>(task: &Task<A, R>) -> Result<()> {
    let registry = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
    match registry.as_ref() {
        None => Err(Error::NotInitialized),
        Some(tasks) if tasks.get(task.key) == Some(&(task.types)()) => Ok(()),
        Some(_) => Err(Error::UnregisteredTask(task.name.to_owned())),
    }
}

/// Checks that `init` ran, so a re-executed binary will turn into a worker.
pub(crate) fn ensure_initialized() -> Result<()> {
    let registry = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
    registry.as_ref().map(|_| ()).ok_or(Error::NotInitialized)
}
