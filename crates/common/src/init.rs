//! [`init`]: the first line of `main`, in the program and in every spawned worker.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use crate::forkserver;
use crate::sys;
use crate::task::{self, Registered};
use crate::worker::{self, WORKER_ARG};

/// Registers the tasks this binary can run in a worker, and turns this process into a worker if
/// it was started as one. Call it first thing in `main`.
///
/// A worker is this same binary started again by a [`Pool`](crate::Pool) or
/// [`Process`](crate::Process). In the parent, `init` records the task names and returns at
/// once. In a worker it never returns: it runs tasks for its parent until the parent closes the
/// channel or dies, then exits. This is the Rust counterpart of Python's
/// `if __name__ == "__main__":` guard, made impossible to forget: pools and processes refuse to
/// start ([`Error::NotInitialized`](crate::Error::NotInitialized)) until `init` has run.
///
/// ```
/// fn square(x: i64) -> i64 {
///     x * x
/// }
/// const SQUARE: common::Task<i64, i64> = common::task!(square);
///
/// fn main() {
///     common::init(&[&SQUARE]);
///     // ... the program proper: only the parent gets here.
/// }
/// ```
///
/// The worker flag typed by hand (no pool started this process) is a usage error: one line on
/// stderr, exit code 2.
///
/// # The fork server
///
/// In the program (not in a worker), `init` also starts the fork server that the default start
/// method, [`StartMethod::ForkServer`](crate::StartMethod), forks workers from: a copy of the
/// program as it is now, which is why `init` must come first. A process is only copied while
/// it has one thread; if another thread runs already (something started one before `init`),
/// there is no server, pools and processes fall back to [`StartMethod::Spawn`]
/// (`default_start_method()` says which), and asking for `ForkServer` is an
/// [`Error::Spawn`](crate::Error::Spawn) that says why.
///
/// # Panics
/// If a task is listed twice.
// ANCHOR: init
pub fn init(tasks: &[&dyn Registered]) {
    task::register(tasks);
    let mut args = arguments().into_iter().skip(1);
    if args.next().as_deref() != Some(WORKER_ARG.as_ref()) {
        // The program itself: copy it now, while it is still as it starts.
        forkserver::start(tasks);
        return;
    }
    let parent = args.next().unwrap_or_default();
    if !sys::stdin_is_socket() {
        worker::say(format_args!(
            "error: {WORKER_ARG} is for the worker processes a pool starts, not for use by hand (see --help)"
        ));
        std::process::exit(2);
    }
    std::process::exit(worker::serve_spawned(tasks, &parent))
}
// ANCHOR_END: init

/// This process's arguments. Before `main` (see [`enable_test_support!`](crate::enable_test_support))
/// the standard library may not have them yet on every C library, but /proc always does.
fn arguments() -> Vec<OsString> {
    let args: Vec<OsString> = std::env::args_os().collect();
    if !args.is_empty() {
        return args;
    }
    std::fs::read("/proc/self/cmdline")
        .map(|all| {
            all.split(|&b| b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| OsString::from(std::ffi::OsStr::from_bytes(a)))
                .collect()
        })
        .unwrap_or_default()
}
