//! Catching a task's panic with its message and location.
//!
//! `catch_unwind` alone gives the payload but not where the panic happened; only the panic
//! hook sees the location. So we chain a hook once per process: inside [`capturing`] it records
//! message and location for the caller (who reports them as an error) and, unless asked to
//! print them too, stays quiet; everywhere else it defers to the hook that was there before.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::Once;

/// What a caught panic said and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caught {
    pub message: String,
    pub location: Option<String>,
}

impl Caught {
    /// "`what` panicked at `location`: `message`", for an error about a panic in serde code.
    pub(crate) fn describe(&self, what: &str) -> String {
        match &self.location {
            Some(location) => format!("{what} panicked at {location}: {}", self.message),
            None => format!("{what} panicked: {}", self.message),
        }
    }
}

/// What the hook does with a panic on this thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Capture {
    /// Not capturing: the previous hook handles it (prints it, usually).
    Off,
    /// Record it for the caller, print nothing (a pool task: the parent reports it).
    Quiet,
    /// Record it and print it as the previous hook would (a [`Process`](crate::Process): as in
    /// Python, the child itself says why it failed).
    Printed,
}

thread_local! {
    static CAPTURING: Cell<Capture> = const { Cell::new(Capture::Off) };
    static LAST: RefCell<Option<Caught>> = const { RefCell::new(None) };
}

/// Installs (once per process) the hook that records a captured panic's message and location.
fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let capture = CAPTURING.get();
            if capture != Capture::Off {
                LAST.set(Some(describe(info)));
            }
            // With panic = "abort" there is no unwinding and no caller to report to: the
            // message would be lost, so print it as usual.
            if capture != Capture::Quiet || cfg!(panic = "abort") {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic into `Err` with its message and location (printing nothing).
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Caught> {
    capturing(Capture::Quiet, || catch_captured(f))
}

/// Runs `f` with panics captured as `capture` says (recorded for [`catch_captured`]). A worker
/// enters this once per chunk, rather than once per item. The previous mode comes back when
/// `f` returns or unwinds.
pub(crate) fn capturing<T>(capture: Capture, f: impl FnOnce() -> T) -> T {
    struct Restore(Capture);
    impl Drop for Restore {
        fn drop(&mut self) {
            CAPTURING.set(self.0);
        }
    }
    install_hook();
    let _restore = Restore(CAPTURING.replace(capture));
    f()
}

/// [`catch`] for code already inside [`capturing`].
#[inline]
pub(crate) fn catch_captured<R>(f: impl FnOnce() -> R) -> Result<R, Caught> {
    // A panic the task caught itself left its record: it must not name a later one.
    LAST.take();
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let caught = LAST.take().unwrap_or_else(|| Caught {
            message: payload_message(payload.as_ref()),
            location: None,
        });
        // A payload whose own `Drop` panics must not escape the worker or the map.
        let _ = panic::catch_unwind(AssertUnwindSafe(|| drop(payload)));
        caught
    })
}

fn describe(info: &PanicHookInfo<'_>) -> Caught {
    Caught {
        message: payload_message(info.payload()),
        location: info.location().map(|l| l.to_string()),
    }
}

fn payload_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catches_message_and_location() {
        let caught = catch(|| panic!("boom {}", 7)).unwrap_err();
        assert_eq!(caught.message, "boom 7");
        let location = caught.location.unwrap();
        assert!(
            location.starts_with("crates/common/src/panic.rs:"),
            "{location}"
        );
        assert_eq!(catch(|| 5).unwrap(), 5);
    }

    #[test]
    fn nested_catch_restores_capturing() {
        let outer = catch(|| {
            let inner = catch(|| panic!("inner"));
            assert_eq!(inner.unwrap_err().message, "inner");
            panic!("outer")
        });
        assert_eq!(outer.unwrap_err().message, "outer");
        assert_eq!(CAPTURING.get(), Capture::Off);
    }

    #[test]
    fn a_panic_that_escapes_capturing_restores_the_mode() {
        let escaped = panic::catch_unwind(|| capturing(Capture::Quiet, || panic!("escapes")));
        assert!(escaped.is_err());
        assert_eq!(CAPTURING.get(), Capture::Off);
        let _ = LAST.take();
    }
}
