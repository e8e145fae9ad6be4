//! Memory: does the parent see a change made by a worker?
//!
//! The parent sets a counter to 42; a worker adds 1 to it with the same function, `bump`,
//! in every row; then the parent reads its counter again. Threads share one address space, so
//! the parent reads 43. A child process has an address space of its own: a `fork()` child
//! changes a copy (at the very same address), a `common::Process` child has the program's
//! memory as it was at `common::init` (forked from the fork server; started again by "spawn",
//! a new program), before the parent set 42; the parent reads 42 either way.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use common::{Exit, Process, Task, task};

use crate::table::{Align, Table};
use crate::{Error, Outcome, sys};
use support::outln;

/// The value the parent gives its counter before each experiment.
pub const START: u64 = 42;

// ANCHOR: memory_tasks
/// A global counter, like a module-level variable in Python. Each process has its own.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The change every worker makes: adds 1 to `counter`; returns what it saw and what it set.
fn bump(counter: &AtomicU64) -> (u64, u64) {
    let saw = counter.fetch_add(1, Ordering::SeqCst);
    (saw, saw + 1)
}

/// In a child process: bumps that process's own `COUNTER`.
fn bump_static(_: ()) -> (u64, u64) {
    bump(&COUNTER)
}

/// In a child process: bumps the value the parent sent, which arrives as a copy.
fn bump_argument(value: u64) -> (u64, u64) {
    bump(&AtomicU64::new(value))
}

pub const BUMP_STATIC: Task<(), (u64, u64)> = task!(bump_static);
pub const BUMP_ARGUMENT: Task<u64, (u64, u64)> = task!(bump_argument);
// ANCHOR_END: memory_tasks

/// What a worker saw and set, and what the parent read once the worker had finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observed {
    pub saw: u64,
    pub set: u64,
    pub parent_reads: u64,
}

impl Observed {
    fn new((saw, set): (u64, u64), parent_reads: u64) -> Self {
        Observed {
            saw,
            set,
            parent_reads,
        }
    }

    /// The parent reads the worker's value, and it is not the one the parent started with.
    pub fn shared(&self) -> bool {
        self.parent_reads == self.set && self.set != START
    }
}

/// Runs every experiment, prints the table and its reading.
pub fn run() -> Result<Outcome, Error> {
    let thread_arc = thread_with_arc()?;
    let thread_static = thread_with_static()?;
    let fork_arc = fork_with_arc()?;
    let (fork_static, addresses) = fork_with_static()?;
    let process_argument = process_with_argument()?;
    let process_static = process_with_static()?;
    let experiments = [
        ("thread", "Arc<AtomicU64>", true, thread_arc),
        ("thread", "static AtomicU64", true, thread_static),
        (
            "fork() child",
            "its copy of the Arc<AtomicU64>",
            false,
            fork_arc,
        ),
        ("fork() child", "its copy of the static", false, fork_static),
        (
            "Process child",
            "the argument: a copy of the parent's",
            false,
            process_argument,
        ),
        (
            "Process child",
            "static AtomicU64 as it was at init",
            false,
            process_static,
        ),
    ];

    outln!(
        "Memory: the parent sets a counter to {START}, a worker adds 1, the parent reads it again."
    )?;
    outln!()?;
    let mut table = Table::new(&[
        ("worker", Align::Left),
        ("its counter", Align::Left),
        ("worker saw", Align::Right),
        ("worker set", Align::Right),
        ("parent reads", Align::Right),
        ("shared", Align::Left),
    ]);
    let mut outcome = Outcome::default();
    // Each row: who changed the counter, which counter, whether the parent should see it.
    for (worker, counter, expect_shared, observed) in experiments {
        let shared = observed.shared();
        table.row([
            worker.to_owned(),
            counter.to_owned(),
            observed.saw.to_string(),
            observed.set.to_string(),
            observed.parent_reads.to_string(),
            if shared { "yes" } else { "no" }.to_owned(),
        ]);
        if shared != expect_shared {
            let expected = if expect_shared { "shared" } else { "private" };
            outcome.unexpected.push(format!(
                "memory: {worker} with {counter}: expected the change to be {expected}, \
                 the parent reads {}",
                observed.parent_reads
            ));
        }
    }
    support::out!("{table}")?;
    outln!()?;
    outln!(
        "{}",
        reading(thread_static, fork_static, process_static, addresses)
    )?;
    Ok(outcome)
}

/// One line that says what the table shows, with its numbers.
fn reading(
    thread: Observed,
    forked: Observed,
    fresh: Observed,
    (parent_address, child_address): (usize, usize),
) -> String {
    let address = if parent_address == child_address {
        format!("at the same address, {parent_address:#x}")
    } else {
        format!("at {child_address:#x} (the parent's is at {parent_address:#x})")
    };
    format!(
        "Reading: the parent sees a thread's change ({}) but not a child's ({}): a fork() child \
         changed its own copy {address}; a Process child has the program as it was at init, \
         before the 42: its counter began at {}.",
        thread.parent_reads, forked.parent_reads, fresh.saw
    )
}

// ANCHOR: memory
/// A thread bumps the global: one process, one `COUNTER`.
fn thread_with_static() -> Result<Observed, Error> {
    COUNTER.store(START, Ordering::SeqCst);
    let worker = thread::Builder::new()
        .spawn(|| bump(&COUNTER))
        .map_err(Error::thread)?;
    let in_thread = worker.join().expect("bump does not panic");
    Ok(Observed::new(in_thread, COUNTER.load(Ordering::SeqCst)))
}

/// A `fork()` child bumps its copy of the global. Also returns the global's address in the
/// parent and in the child.
fn fork_with_static() -> Result<(Observed, (usize, usize)), Error> {
    COUNTER.store(START, Ordering::SeqCst);
    let (in_child, child_address) = bump_in_fork(&COUNTER)?;
    let parent_address = std::ptr::from_ref(&COUNTER) as usize;
    let observed = Observed::new(in_child, COUNTER.load(Ordering::SeqCst));
    Ok((observed, (parent_address, child_address)))
}

/// A `common::Process` child bumps its own global, as it was at `common::init`: before the 42.
fn process_with_static() -> Result<Observed, Error> {
    COUNTER.store(START, Ordering::SeqCst);
    let in_child = Process::start(&BUMP_STATIC, ())?.join()?;
    Ok(Observed::new(in_child, COUNTER.load(Ordering::SeqCst)))
}
// ANCHOR_END: memory

/// A thread bumps a counter the parent holds through an `Arc`: one heap allocation, shared.
fn thread_with_arc() -> Result<Observed, Error> {
    let counter = Arc::new(AtomicU64::new(START));
    let worker = thread::Builder::new()
        .spawn({
            let counter = Arc::clone(&counter);
            move || bump(&counter)
        })
        .map_err(Error::thread)?;
    let in_thread = worker.join().expect("bump does not panic");
    Ok(Observed::new(in_thread, counter.load(Ordering::SeqCst)))
}

/// A `fork()` child bumps its copy of an `Arc`'s allocation (the child gets a copy of all
/// memory, the heap included).
fn fork_with_arc() -> Result<Observed, Error> {
    let counter = Arc::new(AtomicU64::new(START));
    let (in_child, _) = bump_in_fork(&counter)?;
    Ok(Observed::new(in_child, counter.load(Ordering::SeqCst)))
}

/// A `common::Process` child (this binary, started again) bumps the value it was sent: data
/// reaches it only as a copy, sent over a socket.
fn process_with_argument() -> Result<Observed, Error> {
    let value = START;
    let in_child = Process::start(&BUMP_ARGUMENT, value)?.join()?;
    Ok(Observed::new(in_child, value))
}

/// Bumps `counter` in a `fork()` child; returns what the child saw and set, and the address at
/// which the child found the counter.
fn bump_in_fork(counter: &AtomicU64) -> Result<((u64, u64), usize), Error> {
    // SAFETY: the child only does an atomic add, copies bytes and calls the async-signal-safe
    // `write_all`: no allocation, lock or panic.
    let child = unsafe {
        sys::fork(|fd| {
            let (saw, set) = bump(counter);
            let address = std::ptr::from_ref(counter) as usize as u64;
            let mut message = [0u8; 24];
            message[..8].copy_from_slice(&saw.to_ne_bytes());
            message[8..16].copy_from_slice(&set.to_ne_bytes());
            message[16..].copy_from_slice(&address.to_ne_bytes());
            match sys::write_all(fd, &message) {
                Ok(()) => 0,
                Err(_) => 1,
            }
        })
    }
    .map_err(Error::io("fork"))?;
    let mut message = [0u8; 24];
    (&child.sock)
        .read_exact(&mut message)
        .map_err(Error::io("reading the fork() child's answer"))?;
    let exit = child
        .wait()
        .map_err(Error::io("waiting for the fork() child"))?;
    if exit != Exit::Code(0) {
        return Err(Error::failed(
            "the fork() child",
            format!("it ended with {exit}"),
        ));
    }
    let word =
        |i: usize| u64::from_ne_bytes(message[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    Ok(((word(0), word(1)), word(2) as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bump_adds_one_and_reports_both_values() {
        let counter = AtomicU64::new(41);
        assert_eq!(bump(&counter), (41, 42));
        assert_eq!(counter.load(Ordering::SeqCst), 42);
        assert_eq!(bump_argument(START), (START, START + 1));
    }

    #[test]
    fn a_fork_child_changes_only_its_copy() {
        let counter = Arc::new(AtomicU64::new(START));
        let ((saw, set), address) = bump_in_fork(&counter).unwrap();
        assert_eq!((saw, set), (START, START + 1));
        assert_eq!(address, std::ptr::from_ref(&*counter) as usize);
        assert_eq!(counter.load(Ordering::SeqCst), START);
    }

    #[test]
    fn shared_means_the_parent_reads_the_workers_value() {
        assert!(Observed::new((START, START + 1), START + 1).shared());
        assert!(!Observed::new((START, START + 1), START).shared());
        assert!(!Observed::new((0, 1), START).shared());
    }

    #[test]
    fn threads_share_the_change() {
        assert!(thread_with_arc().unwrap().shared());
        // The only test that touches COUNTER, so no other test races with it.
        assert!(thread_with_static().unwrap().shared());
        assert!(!fork_with_static().unwrap().0.shared());
        assert!(!fork_with_arc().unwrap().shared());
    }
}
