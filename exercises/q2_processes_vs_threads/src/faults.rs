//! Fault isolation: what a crash takes down with it.
//!
//! A child process that panics, aborts or gets SIGSEGV ends alone, and the parent learns how
//! (Python's `exitcode`: 1 for an uncaught exception, here a panic; minus the signal number for
//! a signal). A thread that panics unwinds to its `join`, where the panic is an `Err`. But an
//! abort or a segfault in a thread ends the whole process, every thread with it; those two run
//! inside a sacrificial child process, so this program survives to report it.

use std::any::Any;
use std::panic::{self, PanicHookInfo};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::{Exit, Process, Task, task};

use crate::table::{Align, Table};
use crate::{Error, Outcome, sys};
use support::outln;

/// What the deliberate panics say.
pub const CHILD_PANIC: &str = "deliberate panic in a child process";
pub const THREAD_PANIC: &str = "deliberate panic in a thread";

/// What else the crash took down: nothing, or the whole process it happened in.
const ALIVE: &str = "nothing";
const DIED: &str = "its whole process, every thread";

/// A child that has not ended after this long is killed (and reported as unexpected).
const TIME_LIMIT: Duration = Duration::from_secs(30);

// ANCHOR: fault_tasks
/// In a child process: panics. The child prints the panic, reports it to the parent and exits
/// with code 1.
fn panic_in_child(_: ()) -> String {
    panic!("{CHILD_PANIC}")
}

/// In a child process: aborts (SIGABRT), as a failed `assert!` in C or a double panic would.
fn abort_child(_: ()) -> String {
    sys::no_core_dump();
    std::process::abort()
}

/// In a child process: gets SIGSEGV, as after an invalid memory access.
fn segfault_child(_: ()) -> String {
    sys::no_core_dump();
    sys::raise_sigsegv();
    "the process survived SIGSEGV".to_owned()
}

/// In a sacrificial child process: a second thread runs `crash` while the main thread waits.
fn crash_in_a_thread(crash: fn(), survived: &str) -> String {
    sys::no_core_dump();
    let worker = match thread::Builder::new().spawn(crash) {
        Ok(worker) => worker,
        Err(e) => return format!("could not start a thread: {e}"),
    };
    // Never returns: the crash ends the process, this waiting thread included.
    let _ = worker.join();
    survived.to_owned()
}
// ANCHOR_END: fault_tasks

/// In a sacrificial child process: a second thread aborts.
fn abort_in_a_thread(_: ()) -> String {
    crash_in_a_thread(|| std::process::abort(), "the process survived the abort")
}

/// In a sacrificial child process: a second thread gets SIGSEGV.
fn segfault_in_a_thread(_: ()) -> String {
    crash_in_a_thread(sys::raise_sigsegv, "the process survived SIGSEGV")
}

pub const PANIC_IN_CHILD: Task<(), String> = task!(panic_in_child);
pub const ABORT_CHILD: Task<(), String> = task!(abort_child);
pub const SEGFAULT_CHILD: Task<(), String> = task!(segfault_child);
pub const ABORT_IN_A_THREAD: Task<(), String> = task!(abort_in_a_thread);
pub const SEGFAULT_IN_A_THREAD: Task<(), String> = task!(segfault_in_a_thread);

/// One crash and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub crash: &'static str,
    pub place: &'static str,
    /// How it ended, in words.
    pub ended: String,
    /// Python's `Process.exitcode` of the process that crashed; `None` for a thread.
    pub exitcode: Option<i32>,
    /// What else the crash took down.
    pub also_died: &'static str,
    /// Why this row is not what the demonstration expects, if it is not.
    pub unexpected: Option<String>,
}

/// Runs every crash, prints the table and its reading.
pub fn run() -> Result<Outcome, Error> {
    let rows = crashes()?;
    outln!(
        "Fault isolation: {} crashes, and what each took down with it.",
        rows.len()
    )?;
    outln!()?;
    let mut table = Table::new(&[
        ("crash", Align::Left),
        ("in", Align::Left),
        ("how it ended", Align::Left),
        ("exitcode", Align::Right),
        ("what else died", Align::Left),
    ]);
    let mut outcome = Outcome::default();
    for row in &rows {
        table.row([
            row.crash.to_owned(),
            row.place.to_owned(),
            row.ended.clone(),
            row.exitcode.map_or("-".to_owned(), |c| c.to_string()),
            row.also_died.to_owned(),
        ]);
        if let Some(why) = &row.unexpected {
            outcome
                .unexpected
                .push(format!("faults: {} in {}: {why}", row.crash, row.place));
        }
    }
    support::out!("{table}")?;
    outln!()?;
    let children = rows.iter().filter(|r| r.exitcode.is_some()).count();
    outln!(
        "Reading: this process (pid {}) outlived all {children} crashed children and the \
         panicking thread; an abort or a segfault in a thread, though, ended its whole process.",
        std::process::id()
    )?;
    outln!(
        "exitcode: Python's Process.exitcode, the exit code or minus the signal number \
         (on {}, SIGABRT is {} and SIGSEGV {}).",
        std::env::consts::OS,
        libc::SIGABRT,
        libc::SIGSEGV
    )?;
    Ok(outcome)
}

// ANCHOR: faults
/// The six crashes, in table order.
fn crashes() -> Result<Vec<Row>, Error> {
    let sigabrt = Exit::Signal(libc::SIGABRT);
    let sigsegv = Exit::Signal(libc::SIGSEGV);
    let child = "a child process";
    let sacrificial = "a thread of a sacrificial child";

    // A panic in a child: `join` reports it, `wait` says the child exited with code 1.
    let (exit, result) = run_in_child(&PANIC_IN_CHILD)?;
    let caught = matches!(&result, Err(common::Error::TaskPanicked { message, .. }) if message == CHILD_PANIC);
    let panicked = Row {
        crash: "panic!()",
        place: child,
        ended: format!("{exit}: join() returned the panic"),
        exitcode: exit.python_exitcode(),
        also_died: ALIVE,
        unexpected: (exit != Exit::Code(1) || !caught).then(|| {
            format!("expected exit code 1 and a panic from join(), got {exit} and {result:?}")
        }),
    };

    let rows = vec![
        panicked,
        signal_row("std::process::abort()", child, &ABORT_CHILD, sigabrt, ALIVE)?,
        signal_row("raise(SIGSEGV)", child, &SEGFAULT_CHILD, sigsegv, ALIVE)?,
        panic_in_a_thread()?,
        signal_row(
            "std::process::abort()",
            sacrificial,
            &ABORT_IN_A_THREAD,
            sigabrt,
            DIED,
        )?,
        signal_row(
            "raise(SIGSEGV)",
            sacrificial,
            &SEGFAULT_IN_A_THREAD,
            sigsegv,
            DIED,
        )?,
    ];
    Ok(rows)
}

/// Runs `task` in a child process that should die of `expected`.
fn signal_row(
    crash: &'static str,
    place: &'static str,
    task: &Task<(), String>,
    expected: Exit,
    also_died: &'static str,
) -> Result<Row, Error> {
    let (exit, result) = run_in_child(task)?;
    Ok(Row {
        crash,
        place,
        ended: exit.to_string(),
        exitcode: exit.python_exitcode(),
        also_died,
        unexpected: (exit != expected).then(|| match result {
            Ok(said) => format!("expected {expected}, but the child returned: {said}"),
            Err(e) => format!("expected {expected}, got {exit} ({e})"),
        }),
    })
}

/// Starts `task` in a child process, waits for it to end (killing it after [`TIME_LIMIT`]),
/// and returns how it ended and what `join` said.
fn run_in_child(task: &Task<(), String>) -> Result<(Exit, common::Result<String>), Error> {
    let child = Process::start(task, ())?;
    let exit = match child.join_timeout(TIME_LIMIT) {
        Some(exit) => exit,
        None => {
            let _ = child.kill();
            child.wait()
        }
    };
    Ok((exit, child.join()))
}

/// A panic in a thread of this process: `join` returns it as an `Err` and nothing else stops.
fn panic_in_a_thread() -> Result<Row, Error> {
    const NAME: &str = "deliberate-panic";
    let joined = quiet_panics_in(NAME, || {
        thread::Builder::new()
            .name(NAME.to_owned())
            .spawn(|| -> u64 { panic!("{THREAD_PANIC}") })
            .map(|worker| worker.join())
    })
    .map_err(Error::thread)?;
    let message = joined
        .as_ref()
        .err()
        .map(|payload| payload_text(payload.as_ref()));
    Ok(Row {
        crash: "panic!()",
        place: "a thread of this process",
        ended: match &message {
            Some(message) => format!("join() returned Err({message:?})"),
            None => "join() returned Ok".to_owned(),
        },
        exitcode: None,
        also_died: ALIVE,
        unexpected: (message.as_deref() != Some(THREAD_PANIC))
            .then(|| format!("expected join() to return Err({THREAD_PANIC:?}), got {joined:?}")),
    })
}
// ANCHOR_END: faults

/// Runs `f` with the panic hook silenced for threads named `name`: their deliberate panic is
/// reported in the table (from `join`) rather than on stderr. Other threads' panics print as
/// usual, and the previous hook is back in place afterwards.
fn quiet_panics_in<R>(name: &'static str, f: impl FnOnce() -> R) -> R {
    type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;
    let previous: Arc<Hook> = Arc::new(panic::take_hook());
    let chained = Arc::clone(&previous);
    panic::set_hook(Box::new(move |info| {
        if thread::current().name() != Some(name) {
            chained(info);
        }
    }));
    let result = f();
    // Dropping our hook drops its clone of `previous`, so it can be put back as it was.
    drop(panic::take_hook());
    match Arc::try_unwrap(previous) {
        Ok(previous) => panic::set_hook(previous),
        Err(previous) => panic::set_hook(Box::new(move |info| previous(info))),
    }
    result
}

/// The text of a panic payload (`panic!` with a message carries a `&str` or a `String`).
fn payload_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic payload that is not text".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_thread_is_caught_at_join() {
        let row = panic_in_a_thread().unwrap();
        assert_eq!(row.unexpected, None);
        assert_eq!(row.ended, format!("join() returned Err({THREAD_PANIC:?})"));
        assert_eq!(row.exitcode, None);
    }

    #[test]
    fn payloads_of_both_panic_kinds_read_as_text() {
        let owned: Box<dyn Any + Send> = Box::new(String::from("owned"));
        let literal: Box<dyn Any + Send> = Box::new("literal");
        assert_eq!(payload_text(owned.as_ref()), "owned");
        assert_eq!(payload_text(literal.as_ref()), "literal");
        assert_eq!(payload_text(&7u8), "a panic payload that is not text");
    }
}
