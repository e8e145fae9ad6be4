//! Catching a task's panic with its message and location.
//!
//! `catch_unwind` alone gives the payload but not where the panic happened; only the panic
//! hook sees the location. So we chain a hook once per process: inside [`catch`] it records
//! message and location for the caller (who reports them as an error) instead of printing;
//! everywhere else it defers to the hook that was there before.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::Once;

/// What a caught panic said and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caught {
    pub message: String,
    pub location: Option<String>,
}

thread_local! {
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
    static LAST: RefCell<Option<Caught>> = const { RefCell::new(None) };
}

/// Installs (once per process) the hook that records a captured panic's message and location.
fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CAPTURING.get() {
                LAST.set(Some(describe(info)));
                // With panic = "abort" there is no unwinding and no caller to report to:
                // the message would be lost, so print it as usual.
                if cfg!(panic = "abort") {
                    previous(info);
                }
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic into `Err` with its message and location.
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Caught> {
    capturing(|| catch_captured(f))
}

/// Runs `f` with panics captured (recorded for [`catch_captured`], not printed). A worker
/// enters this once per chunk, rather than once per item.
pub(crate) fn capturing<T>(f: impl FnOnce() -> T) -> T {
    let _capturing = Capturing::enter();
    f()
}

/// While alive, panics on this thread are captured (see [`capturing`]); for code that cannot
/// be put in one closure, such as a rayon job's fold, which gets an init value, not a scope.
#[derive(Debug)]
pub(crate) struct Capturing {
    was: bool,
}

impl Capturing {
    pub(crate) fn enter() -> Self {
        install_hook();
        Capturing {
            was: CAPTURING.replace(true),
        }
    }
}

impl Drop for Capturing {
    fn drop(&mut self) {
        CAPTURING.set(self.was);
    }
}

/// [`catch`] for code already inside [`capturing`].
#[inline]
pub(crate) fn catch_captured<R>(f: impl FnOnce() -> R) -> Result<R, Caught> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        LAST.take().unwrap_or_else(|| Caught {
            message: payload_message(payload.as_ref()),
            location: None,
        })
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
        assert!(!CAPTURING.get());
    }
}
