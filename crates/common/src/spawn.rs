//! Starting a worker, by either start method: "spawn" here (the worker is this binary started
//! again, `/proc/self/exe`, marked as a worker by its arguments, with one end of a socket pair
//! as its standard input), "forkserver" in `forkserver.rs`.
//!
//! What any start method must hand to [`Link`](crate::link::Link): a [`Child`] (watched through
//! a pidfd) and our end of the worker's channel. What the worker then does for itself (closing
//! stray descriptors, moving the channel out of the way) is in `worker.rs`.

use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::net::UnixStream;
use std::sync::Arc;

use crate::child::Child;
use crate::forkserver;
use crate::sys;
use crate::worker::WORKER_ARG;

// ANCHOR: start_method
/// How a [`Pool`](crate::Pool) or a [`Process`](crate::Process) starts its worker processes:
/// Python's start methods, minus `fork` (which would copy a program that already has threads).
///
/// Choose one per pool with [`PoolBuilder::start_method`](crate::PoolBuilder::start_method) or
/// per process with [`ProcessBuilder::start_method`](crate::ProcessBuilder::start_method); the
/// default is [`default_start_method`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StartMethod {
    /// Start the program again: `/proc/self/exe`, from the top of `main`, which `init` turns
    /// into a worker (Python's `spawn`). Each worker loads the program afresh and inherits
    /// nothing of the parent's memory; it gets the parent's environment, working directory and
    /// standard streams *as they are when it starts*. Costs a few milliseconds per worker.
    Spawn,
    /// Fork the worker from the fork server that [`init`](crate::init) started: a copy of the
    /// program made at `init`, while it had one thread (Python's `forkserver`). No `exec`, no
    /// loading, no code of the program run again: a fraction of a millisecond per worker. The
    /// worker inherits the program *as it was at `init`* (memory, environment, working
    /// directory, user and limits), and the parent's current standard output and error; no
    /// descriptor and no ignored signal.
    ForkServer,
}
// ANCHOR_END: start_method

impl StartMethod {
    /// Python's name for it: `"spawn"` or `"forkserver"`.
    pub fn name(self) -> &'static str {
        match self {
            StartMethod::Spawn => "spawn",
            StartMethod::ForkServer => "forkserver",
        }
    }
}

impl std::fmt::Display for StartMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The start method of pools and processes that do not name one (Python's
/// `get_start_method()`): [`StartMethod::ForkServer`] when the fork server runs, else
/// [`StartMethod::Spawn`]. The server runs unless `init` found another thread already running
/// (or the kernel lacks what it needs); [`fork_server_pid`] tells.
// ANCHOR: default_start_method
pub fn default_start_method() -> StartMethod {
    if forkserver::pid().is_some() {
        StartMethod::ForkServer
    } else {
        StartMethod::Spawn
    }
}
// ANCHOR_END: default_start_method

/// The process id of the fork server that [`init`](crate::init) started, while it runs.
/// `ps` lists it under the program's command line, named `fork server`.
pub fn fork_server_pid() -> Option<u32> {
    forkserver::pid()
}

/// Starts a worker by `method`; see [`exec_worker`].
pub(crate) fn start_worker(
    method: StartMethod,
    name: &str,
    label: &str,
) -> io::Result<(Arc<Child>, UnixStream)> {
    match method {
        StartMethod::Spawn => exec_worker(name, label),
        StartMethod::ForkServer => forkserver::fork_worker(name, label),
    }
}

/// Starts a worker named `name` (what [`active_children`](crate::active_children) lists);
/// `ps` shows it as the program's name followed by `label`. Returns it and our end of its
/// channel.
// ANCHOR: spawn
pub(crate) fn exec_worker(name: &str, label: &str) -> io::Result<(Arc<Child>, UnixStream)> {
    sys::kernel_support().map_err(|why| io::Error::new(io::ErrorKind::Unsupported, why))?;
    let (ours, theirs) = UnixStream::pair()?;
    let theirs = sys::above_stdio(OwnedFd::from(theirs))?;
    let (argv, envp) = (worker_argv(label), environment());
    // /proc/self/exe names the running binary even if its file was replaced since.
    let pid =
        sys::spawn(c"/proc/self/exe", &argv, &envp, theirs.as_fd()).map_err(name_the_binary)?;
    // From here on `Child` owns the process: if anything fails, dropping it kills and reaps.
    let child = Child::adopt(pid, name.to_owned())?;
    // Closing our copy of the worker's end now is what makes its death show as end of file.
    drop(theirs);
    Ok((child, ours))
}
// ANCHOR_END: spawn

/// A worker's command line: the program's name followed by `label` (what `ps` shows), then
/// the worker flag and this process's id.
fn worker_argv(label: &str) -> [CString; 3] {
    let program = std::env::current_exe()
        .ok()
        .and_then(|path| path.file_name().map(OsStr::to_owned))
        .unwrap_or_else(|| OsString::from("common"));
    let mut argv0 = program.into_vec();
    argv0.extend_from_slice(format!(" ({label})").as_bytes());
    [
        c_string(argv0),
        c_string(WORKER_ARG.as_bytes().to_vec()),
        c_string(std::process::id().to_string().into_bytes()),
    ]
}

/// The environment as std sees it (it guards `environ` against concurrent changes), as
/// `KEY=value` C strings.
fn environment() -> Vec<CString> {
    std::env::vars_os()
        .map(|(key, value)| {
            let mut pair = key.into_vec();
            pair.push(b'=');
            pair.extend_from_slice(value.as_bytes());
            c_string(pair)
        })
        .collect()
}

/// A failure to run `/proc/self/exe` that is about the file names it (where `/proc` is not
/// mounted, the bare "No such file or directory" would not say which file).
fn name_the_binary(e: io::Error) -> io::Error {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied => {
            io::Error::new(e.kind(), format!("/proc/self/exe: {e} (is /proc mounted?)"))
        }
        _ => e,
    }
}

/// A C string of `bytes`; a NUL inside (impossible in an argument or environment entry that
/// came from the OS) is dropped.
fn c_string(mut bytes: Vec<u8>) -> CString {
    bytes.retain(|&b| b != 0);
    CString::new(bytes).expect("NULs were removed")
}
