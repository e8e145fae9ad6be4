//! Children that start from the same random state draw the same "random" numbers.

use std::io::{self, Write};
use std::process::ExitCode;

use common::{Process, Task, task};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use support::outln;

use crate::Error;

command_line!(
    "shared_seed",
    "Children that start from the same random state draw the same numbers"
);

/// How many children each experiment starts.
const CHILDREN: u32 = 3;

// ANCHOR: fixed_seed
/// A number from 1 to 100, from a generator seeded with 42 "for reproducibility".
pub fn draw_with_fixed_seed(_child: u32) -> u32 {
    StdRng::seed_from_u64(42).random_range(1..=100)
}
pub const DRAW_WITH_FIXED_SEED: Task<u32, u32> = task!(draw_with_fixed_seed);

/// A number from 1 to 100, from a generator the operating system seeds afresh in this process.
pub fn draw_from_the_os(_child: u32) -> u32 {
    rand::rng().random_range(1..=100)
}
pub const DRAW_FROM_THE_OS: Task<u32, u32> = task!(draw_from_the_os);
// ANCHOR_END: fixed_seed

/// Seeds one generator in the parent, then forks children that each draw from it. Every child
/// gets a copy of the same state, so every child draws the same number.
///
/// # Safety
/// The process must have one thread (no pool, no `Process` yet): a child of a process with
/// threads may only call async-signal-safe functions, and this one runs ordinary Rust code.
unsafe fn fork_after_seeding() -> io::Result<Vec<u32>> {
    // ANCHOR: fork
    let mut rng: StdRng = rand::make_rng(); // seeded from the OS, once, here
    let (read_end, write_end) = io::pipe()?;
    io::stdout().flush()?; // nothing buffered may be copied into the children
    for _ in 0..CHILDREN {
        // SAFETY: one thread (the caller's contract), so the child may run ordinary code.
        match unsafe { libc::fork() } {
            -1 => return Err(io::Error::last_os_error()),
            0 => {
                let number = rng.random_range(1..=100u32);
                let _ = (&write_end).write_all(&number.to_ne_bytes());
                // SAFETY: ends the child without running the parent's exit handlers twice.
                unsafe { libc::_exit(0) }
            }
            _ => {}
        }
    }
    // ANCHOR_END: fork
    drop(write_end);
    let mut numbers = Vec::new();
    let mut buf = [0; 4];
    let mut read_end = read_end;
    while io::Read::read_exact(&mut read_end, &mut buf).is_ok() {
        numbers.push(u32::from_ne_bytes(buf));
    }
    // SAFETY: waitpid(-1) reaps our own children; it has no other effect.
    while unsafe { libc::waitpid(-1, std::ptr::null_mut(), 0) } > 0 {}
    Ok(numbers)
}

/// One number from each of [`CHILDREN`] `common::Process` children running `task`.
fn from_processes(task: &Task<u32, u32>) -> common::Result<Vec<u32>> {
    let children = (0..CHILDREN)
        .map(|i| Process::start(task, i))
        .collect::<common::Result<Vec<_>>>()?;
    children.into_iter().map(Process::join).collect()
}

/// Runs the program; returns the exit code (see [`support::cli`]).
pub fn run(_cli: Cli) -> ExitCode {
    support::cli::finish(NAME, draw_three_ways())
}

fn draw_three_ways() -> Result<bool, Error> {
    // SAFETY: nothing has started a thread yet; this is the first thing the program does.
    let forked = unsafe { fork_after_seeding() }.map_err(|cause| {
        // The children forked before a fork failed exit at once: reap them.
        // SAFETY: as in `fork_after_seeding`.
        while unsafe { libc::waitpid(-1, std::ptr::null_mut(), 0) } > 0 {}
        Error::Io {
            what: "cannot fork the children",
            cause,
        }
    })?;
    outln!("forked after seeding:        {forked:?}")?;
    for (label, task) in [
        ("each child seeds with 42:   ", &DRAW_WITH_FIXED_SEED),
        ("each child seeds from the OS:", &DRAW_FROM_THE_OS),
    ] {
        outln!("{label} {:?}", from_processes(task)?)?;
    }
    Ok(true)
}
