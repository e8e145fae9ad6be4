//! Panics in threads: what `join` hands back, and how a panic still goes unnoticed.

use std::any::Any;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

// ANCHOR: join_after_panic
/// Runs a thread that panics. The panic ends that thread only; `join` returns `Err` with the
/// panic's payload (what was given to `panic!`), and this thread carries on.
///
/// `thread::Builder::new().spawn` is `thread::spawn` that returns an error instead of
/// panicking when the system allows no more threads: the outer `Result`.
pub fn join_after_panic() -> io::Result<Result<u64, String>> {
    let handle = thread::Builder::new().spawn(|| -> u64 { panic!("no such file: data.csv") })?;
    Ok(handle
        .join()
        .map_err(|payload| message_of(payload.as_ref()).to_owned()))
}

/// The text of a panic payload: `panic!("literal")` gives a `&str`, `panic!("{x}")` a `String`.
pub fn message_of(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "(a panic payload that is not text)"
    }
}
// ANCHOR_END: join_after_panic

// ANCHOR: missed_panic
/// Saves each file on a thread of its own and returns how many were saved. One thread
/// panics; `join` says so, and `let _ =` throws that away. The caller sees a smaller count and
/// no error: the panic message went to standard error, and that is all.
pub fn save_all(files: &[&str]) -> io::Result<usize> {
    let saved = AtomicUsize::new(0);
    thread::scope(|s| -> io::Result<()> {
        let handles: Vec<_> = files
            .iter()
            .map(|&file| {
                let saved = &saved;
                thread::Builder::new().spawn_scoped(s, move || {
                    save(file);
                    saved.fetch_add(1, Ordering::Relaxed);
                })
            })
            .collect();
        for handle in handles {
            let _ = handle?.join(); // the mistake: a joined panic counts as handled
        }
        Ok(())
    })?;
    Ok(saved.into_inner())
}
// ANCHOR_END: missed_panic

fn save(file: &str) {
    if file.contains(' ') {
        panic!("cannot save {file:?}: the name has a space");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_hands_back_the_panic_message() {
        assert_eq!(
            join_after_panic().unwrap(),
            Err("no such file: data.csv".to_owned())
        );
        let owned = thread::spawn(|| panic!("{}", 7)).join().unwrap_err();
        assert_eq!(message_of(owned.as_ref()), "7");
        let other = thread::spawn(|| std::panic::panic_any(7))
            .join()
            .unwrap_err();
        assert_eq!(
            message_of(other.as_ref()),
            "(a panic payload that is not text)"
        );
    }

    #[test]
    fn an_ignored_join_hides_the_panic_even_from_scope() {
        // `thread::scope` re-raises the panic of a thread nobody joined; one joined with
        // `let _ =` is not re-raised, so `save_all` returns normally with a smaller count.
        assert_eq!(save_all(&["a.txt", "b c.txt", "d.txt"]).unwrap(), 2);
        assert_eq!(save_all(&["a.txt"]).unwrap(), 1);
    }
}
