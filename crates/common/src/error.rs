//! The one error type of the crate, and how a child process ended.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when work is sent to another process or thread.
///
/// Errors about one task carry `index`: the position of the item in the input of `map`, `imap`
/// and friends, or `None` for `apply` and [`Process`](crate::Process). The enum is `Clone` so one
/// failure (a terminated pool, say) can be reported to every task it affects.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The task panicked. The worker caught the panic and is still usable.
    #[error("{}panicked at {}: {message}", task_label(*index), location.as_deref().unwrap_or("an unknown location"))]
    TaskPanicked {
        /// Position of the item in the input, if the call had several.
        index: Option<usize>,
        /// The panic message (`panic!("...")`'s text).
        message: String,
        /// `file:line:column` where the panic happened, when known.
        location: Option<String>,
    },

    /// The worker process ended while it was running this task: the task called
    /// `std::process::exit`, aborted, or the process was killed (by a signal, the OOM killer…).
    ///
    /// Only the task that was running when its worker died gets this error. Other tasks whose
    /// results were lost with the worker run again on a new one; so do the tasks of a chunk when
    /// no task was running (the worker died before starting, or after finishing, the chunk),
    /// and after three such deaths in a row they get this error too. See "When a worker dies"
    /// in the [`Pool`](crate::Pool) docs. For a [`Process`](crate::Process), this is any end
    /// other than returning and exiting with code 0.
    #[error("{}failed: worker process {pid} died, {exit}", task_label(*index))]
    WorkerDied {
        /// Position of the item in the input, if the call had several.
        index: Option<usize>,
        /// Process id of the worker that died.
        pid: u32,
        /// How it ended.
        exit: Exit,
    },

    /// The task ran longer than its time limit; its worker was killed and replaced.
    #[error("{}timed out after {limit:?}; its worker was killed", task_label(*index))]
    TaskTimeout {
        /// Position of the item in the input, if the call had several.
        index: Option<usize>,
        /// The limit that was exceeded.
        limit: Duration,
    },

    /// Waiting for a result gave up (e.g. [`AsyncResult::get`](crate::AsyncResult::get) with a
    /// timeout). The task itself is untouched and may still finish.
    #[error("no result within {0:?} (the task keeps running)")]
    WaitTimeout(Duration),

    /// An argument or result could not be encoded for the trip between processes.
    #[error("{}could not be encoded: {message}", task_label(*index))]
    Encode {
        /// Position of the item in the input, if the call had several.
        index: Option<usize>,
        /// What the encoder reported.
        message: String,
    },

    /// An argument or result could not be decoded after the trip between processes.
    #[error("{}could not be decoded: {message}", task_label(*index))]
    Decode {
        /// Position of the item in the input, if the call had several.
        index: Option<usize>,
        /// What the decoder reported.
        message: String,
    },

    /// A worker process could not be started (or exited before it was ready, or this kernel
    /// lacks something the crate needs).
    #[error("could not start a worker process: {0}")]
    Spawn(#[source] Arc<std::io::Error>),

    /// A thread of a [`ThreadPool`](crate::ThreadPool) could not be started (too many threads
    /// or processes already, or no memory for its stack).
    #[error("could not start a thread: {0}")]
    ThreadSpawn(#[source] Arc<std::io::Error>),

    /// A new worker's initializer (see
    /// [`PoolBuilder::initializer`](crate::PoolBuilder::initializer)) failed.
    #[error("the pool's initializer failed: {0}")]
    InitializerFailed(#[source] Box<Error>),

    /// The task is not in the list given to [`init`](crate::init), so a worker could not find it.
    #[error("task `{0}` is not registered: add it to the list given to common::init")]
    UnregisteredTask(String),

    /// [`init`](crate::init) was not called at the top of `main`, so a worker (which re-runs this
    /// binary) would run the whole program again instead of serving tasks.
    #[error("common::init was not called at the top of main; worker processes cannot start")]
    NotInitialized,

    /// The pool was closed: it accepts no new work.
    #[error("the pool is closed and accepts no new tasks")]
    PoolClosed,

    /// The pool was terminated (or dropped) before the task could finish.
    #[error("the pool was terminated before the task finished")]
    PoolTerminated,

    /// A parameter was out of range (zero workers, a chunk size of zero…).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

fn task_label(index: Option<usize>) -> String {
    match index {
        Some(i) => format!("task {i} "),
        None => "task ".to_owned(),
    }
}

impl Error {
    /// The input position of the task this error is about, if any.
    pub fn index(&self) -> Option<usize> {
        match self {
            Error::TaskPanicked { index, .. }
            | Error::WorkerDied { index, .. }
            | Error::TaskTimeout { index, .. }
            | Error::Encode { index, .. }
            | Error::Decode { index, .. } => *index,
            _ => None,
        }
    }

    /// The same error about the task at `index` (used when a call learns which item failed).
    pub(crate) fn at(mut self, at: usize) -> Self {
        if let Error::TaskPanicked { index, .. }
        | Error::WorkerDied { index, .. }
        | Error::TaskTimeout { index, .. }
        | Error::Encode { index, .. }
        | Error::Decode { index, .. } = &mut self
        {
            *index = Some(at);
        }
        self
    }

    /// A value's `Deserialize` panicked while decoding it.
    pub(crate) fn decode_panicked(index: Option<usize>, caught: &crate::panic::Caught) -> Self {
        Error::Decode {
            index,
            message: caught.describe("decoding"),
        }
    }

    pub(crate) fn spawn(err: std::io::Error) -> Self {
        Error::Spawn(Arc::new(err))
    }
}

/// How a child process ended: an exit code or a signal.
///
/// [`Exit::python_exitcode`] gives Python's `Process.exitcode` convention: `0` for success, `n`
/// for `exit(n)`, `-N` for death by signal `N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Exit {
    /// The process exited with this code.
    Code(i32),
    /// The process was ended by this signal.
    Signal(i32),
    /// It ended, but how is not known: something else in the program reaped it first (a
    /// `waitpid(-1)`, say), and the kernel gives a status only once.
    Unknown,
}

impl Exit {
    /// Python's `multiprocessing.Process.exitcode`: the code, or minus the signal number;
    /// `None` when the status is [`Unknown`](Exit::Unknown) (Python's `exitcode` then stays
    /// `None` too).
    pub fn python_exitcode(self) -> Option<i32> {
        match self {
            Exit::Code(code) => Some(code),
            Exit::Signal(signal) => Some(-signal),
            Exit::Unknown => None,
        }
    }

    /// Did the process exit with code 0?
    pub fn success(self) -> bool {
        self == Exit::Code(0)
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Exit::Code(code) => write!(f, "exit code {code}"),
            Exit::Unknown => write!(f, "exit status unknown (reaped elsewhere)"),
            Exit::Signal(signal) => match signal_name(signal) {
                Some(name) => write!(f, "killed by signal {signal} ({name})"),
                None => write!(f, "killed by signal {signal}"),
            },
        }
    }
}

/// The conventional name of a Linux signal number.
pub fn signal_name(signal: i32) -> Option<&'static str> {
    const NAMES: [&str; 31] = [
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    usize::try_from(signal)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| NAMES.get(i).copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_python() {
        assert_eq!(Exit::Code(0).python_exitcode(), Some(0));
        assert_eq!(Exit::Code(3).python_exitcode(), Some(3));
        assert_eq!(Exit::Signal(9).python_exitcode(), Some(-9));
        assert_eq!(Exit::Unknown.python_exitcode(), None);
        assert_eq!(
            Exit::Unknown.to_string(),
            "exit status unknown (reaped elsewhere)"
        );
        assert_eq!(Exit::Signal(9).to_string(), "killed by signal 9 (SIGKILL)");
        assert_eq!(Exit::Code(3).to_string(), "exit code 3");
        assert_eq!(signal_name(15), Some("SIGTERM"));
        assert_eq!(signal_name(0), None);
        assert_eq!(signal_name(64), None);
    }

    #[test]
    fn errors_name_their_task() {
        let e = Error::TaskPanicked {
            index: Some(3),
            message: "boom".into(),
            location: Some("src/lib.rs:1:2".into()),
        };
        assert_eq!(e.to_string(), "task 3 panicked at src/lib.rs:1:2: boom");
        let e = Error::WorkerDied {
            index: None,
            pid: 42,
            exit: Exit::Code(3),
        };
        assert_eq!(
            e.to_string(),
            "task failed: worker process 42 died, exit code 3"
        );
        assert_eq!(e.at(7).index(), Some(7));
    }
}
