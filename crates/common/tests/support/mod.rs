//! Helpers shared by the integration tests: bounded waits and process inspection via /proc.

#![allow(dead_code)] // each test binary uses its own subset

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use libtest_mimic::{Failed, Trial};

/// A test whose body runs on its own thread and fails (instead of hanging CI) if it takes
/// longer than `limit`. This bounds a wait; it is not a speed assertion.
pub fn bounded(name: &str, limit: Duration, body: fn()) -> Trial {
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

/// Polls `condition` every few milliseconds until it holds or `limit` passes.
pub fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// Direct children of process `pid`, read from /proc (every thread's `children` file).
pub fn children_of(pid: u32) -> Vec<u32> {
    let mut children = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return children;
    };
    for task in tasks.flatten() {
        if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
            children.extend(
                list.split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
    }
    children.sort_unstable();
    children.dedup();
    children
}

/// Whether `pid` exists and is not a zombie.
pub fn is_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name, which may itself contain spaces.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X')),
        Err(_) => false,
    }
}

/// Whether `pid` exists at all (a zombie counts: it has not been reaped).
pub fn exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Number of open file descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}
