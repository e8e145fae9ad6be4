//! Helpers shared by the integration tests: bounded waits, and process inspection (from
//! `support::proc`).

#![allow(dead_code)] // each test binary uses its own subset

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use common::{Pool, Process, StartMethod, Task};
use libtest_mimic::{Failed, Trial};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Both start methods: every test of a pool or a process runs under each.
pub const METHODS: [StartMethod; 2] = [StartMethod::Spawn, StartMethod::ForkServer];

/// A pool of `n` workers started by `method` (a forkserver pool fails to build where there is
/// no fork server, so a test under "forkserver" never runs on spawned workers by mistake).
pub fn pool(method: StartMethod, n: usize) -> Pool {
    let pool = Pool::builder()
        .start_method(method)
        .workers(n)
        .build()
        .unwrap_or_else(|e| panic!("a pool of {n} by {method}: {e}"));
    assert_eq!(pool.start_method(), method);
    pool
}

/// `task(arg)` in a new child process started by `method`.
pub fn start<A: Serialize, R: DeserializeOwned + Send + 'static>(
    method: StartMethod,
    task: &Task<A, R>,
    arg: A,
) -> common::Result<Process<R>> {
    Process::new(task, arg).start_method(method).start()
}

/// The test `body` under each start method, named `NAME::spawn` and `NAME::forkserver`.
pub fn both(name: &str, body: fn(StartMethod)) -> Vec<Trial> {
    bounded_both(name, Duration::from_secs(60), body)
}

/// [`both`], each bounded by `limit` (see [`bounded`]).
pub fn bounded_both(name: &str, limit: Duration, body: fn(StartMethod)) -> Vec<Trial> {
    METHODS
        .into_iter()
        .map(|method| run_bounded(format!("{name}::{method}"), limit, move || body(method)))
        .collect()
}

/// A test whose body runs on its own thread and fails (instead of hanging CI) if it takes
/// longer than `limit`. This bounds a wait; it is not a speed assertion.
pub fn bounded(name: &str, limit: Duration, body: fn()) -> Trial {
    run_bounded(name.to_owned(), limit, body)
}

fn run_bounded(name: String, limit: Duration, body: impl FnOnce() + Send + 'static) -> Trial {
    Trial::test(name, move || {
        let (done_tx, done_rx) = mpsc::channel();
        let worker = thread::Builder::new()
            .name("test body".into())
            .spawn(move || {
                body();
                let _ = done_tx.send(());
            })
            .expect("spawn test thread");
        match done_rx.recv_timeout(limit) {
            Ok(()) => {
                worker.join().ok();
                Ok(())
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
                Err(panic) => Err(Failed::from(panic_message(panic.as_ref()))),
                Ok(()) => Err("test body ended without finishing".into()),
            },
            Err(mpsc::RecvTimeoutError::Timeout) => {
                Err(format!("did not finish within {limit:?} (hang?)").into())
            }
        }
    })
}

/// Runs `body` on a thread of its own and panics (failing the `#[test]` that called it) if it
/// has not finished within `limit`: the default harness's way to bound a wait.
pub fn within<T: Send + 'static>(limit: Duration, body: impl FnOnce() -> T + Send + 'static) -> T {
    let (done_tx, done_rx) = mpsc::channel();
    let worker = thread::spawn(move || {
        let _ = done_tx.send(body());
    });
    match done_rx.recv_timeout(limit) {
        Ok(value) => {
            worker.join().ok();
            value
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => panic!("test body ended without finishing"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("did not finish within {limit:?} (hang?)"),
    }
}

/// A bounded test with the default limit.
pub fn test(name: &str, body: fn()) -> Trial {
    bounded(name, Duration::from_secs(60), body)
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panicked".into())
}

/// A fresh empty directory for marker files that tasks write (the name says who made it; a
/// number makes it this call's own, as a test runs once per start method, in parallel).
pub fn marker_dir(name: &str) -> std::path::PathBuf {
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("common-test-{}-{name}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The names of the files in `dir`, sorted.
pub fn markers(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The file through which worker `pid` sends large results to its parent (a memory file; its
/// size grows as the worker writes into it), as a path that `stat` follows.
pub fn results_file(pid: u32) -> Option<std::path::PathBuf> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .ok()?
        .flatten()
        .find(|entry| {
            std::fs::read_link(entry.path()).is_ok_and(|target| {
                target
                    .to_string_lossy()
                    .starts_with("/memfd:common-from-worker")
            })
        })
        .map(|entry| entry.path())
}

/// `clone3` arguments, as far as `set_tid` (CLONE_ARGS_SIZE_VER1).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
}

/// Starts a child of ours with process id `pid` (which must be free), as an unrelated program
/// that reuses a number would. It waits for a signal, and ends by itself after two minutes.
/// `None` without the privilege to choose pids (CAP_SYS_ADMIN).
pub fn spawn_with_pid(pid: u32) -> Option<u32> {
    let tid = [pid as libc::pid_t];
    let args = CloneArgs {
        exit_signal: libc::SIGCHLD as u64,
        set_tid: tid.as_ptr() as u64,
        set_tid_size: 1,
        ..CloneArgs::default()
    };
    // SAFETY: clone3 without CLONE_VM is a fork; `args` and `tid` outlive the call. The child
    // only calls async-signal-safe functions and never returns.
    let got = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &args as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    match got {
        0 => {
            // SAFETY: alarm and pause are async-signal-safe.
            unsafe {
                libc::alarm(120);
                loop {
                    libc::pause();
                }
            }
        }
        -1 => None,
        got => Some(got as u32),
    }
}

/// Whether this process may choose the pid of a new child (see [`spawn_with_pid`]).
pub fn can_choose_pids() -> bool {
    let Ok(mut child) = std::process::Command::new("true").spawn() else {
        return false;
    };
    let pid = child.id();
    let _ = child.wait();
    match spawn_with_pid(pid) {
        Some(again) => {
            signal(again, libc::SIGKILL);
            eventually(std::time::Duration::from_secs(20), || try_reap(again))
        }
        None => false,
    }
}

#[allow(unused_imports)] // each test binary uses its own subset
pub use support::proc::*;
