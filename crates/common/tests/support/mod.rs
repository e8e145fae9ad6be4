//! Helpers shared by the integration tests: bounded waits, and process inspection (from
//! `support::proc`).

#![allow(dead_code)] // each test binary uses its own subset

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

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

#[allow(unused_imports)] // each test binary uses its own subset
pub use support::proc::*;
