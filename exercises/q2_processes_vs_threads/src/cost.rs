//! Creation cost: how long it takes to start a worker, get one small result back, and wait
//! for the worker to end, for a thread and for a child process.
//!
//! Each run starts a worker that computes `n + 1` and hands it back: a thread through its
//! `JoinHandle`; a `fork()` child (a copy of this process) through a socket; a
//! `common::Process` child through the pool crate's protocol, by each start method: forked
//! from the fork server that `common::init` started (the default, like Python's `forkserver`),
//! and this binary started again (like Python's `spawn`). Each kind runs back to back, as a program starting many
//! workers would: taking turns instead would time each kind right after another one, cold
//! caches included, and inflates the cheapest (threads) most.

use std::io::Read;
use std::thread;
use std::time::{Duration, Instant};

use common::{Exit, Process, StartMethod};
use support::units::seconds;

use crate::machine::Machine;
use crate::stats::{Summary, times};
use crate::table::{Align, Table};
use crate::{Error, Outcome, PLUS_ONE, plus_one, sys};
use support::outln;

/// Runs not counted, so a first start (the binary read from disk, lazy set-up) is not timed.
pub const WARM_UP: usize = 3;

/// One way to start a worker.
struct Kind {
    name: &'static str,
    /// Starts a worker that computes `n + 1`, waits for it to end, returns its answer.
    start_and_join: fn(u64) -> Result<u64, Error>,
}

// ANCHOR: cost
const KINDS: [Kind; 4] = [
    Kind {
        name: "thread: std::thread::spawn + join",
        start_and_join: with_thread,
    },
    Kind {
        name: "child process: fork() + waitpid",
        start_and_join: with_fork,
    },
    Kind {
        name: "child process: common::Process start + join, forkserver",
        start_and_join: |n| with_process(n, StartMethod::ForkServer),
    },
    Kind {
        name: "child process: common::Process start + join, spawn",
        start_and_join: |n| with_process(n, StartMethod::Spawn),
    },
];

fn with_thread(n: u64) -> Result<u64, Error> {
    // `Builder::spawn` returns the error where `thread::spawn` would panic.
    let worker = thread::Builder::new()
        .spawn(move || plus_one(n))
        .map_err(Error::thread)?;
    Ok(worker.join().expect("plus_one does not panic"))
}

fn with_fork(n: u64) -> Result<u64, Error> {
    // SAFETY: the child only adds and calls the async-signal-safe `write_all`.
    let child = unsafe {
        sys::fork(|fd| match sys::write_all(fd, &plus_one(n).to_ne_bytes()) {
            Ok(()) => 0,
            Err(_) => 1,
        })
    }
    .map_err(Error::io("fork"))?;
    let mut answer = [0u8; 8];
    (&child.sock)
        .read_exact(&mut answer)
        .map_err(Error::io("reading the fork() child's answer"))?;
    match child
        .wait()
        .map_err(Error::io("waiting for the fork() child"))?
    {
        Exit::Code(0) => Ok(u64::from_ne_bytes(answer)),
        exit => Err(Error::failed(
            "the fork() child",
            format!("it ended with {exit}"),
        )),
    }
}

fn with_process(n: u64, method: StartMethod) -> Result<u64, Error> {
    let child = Process::new(&PLUS_ONE, n).start_method(method).start()?;
    Ok(child.join()?)
}

/// `runs` timings of one kind, back to back, after [`WARM_UP`] untimed runs.
fn measure(kind: &Kind, runs: usize) -> Result<Vec<Duration>, Error> {
    let mut timings = Vec::with_capacity(runs);
    for run in 0..WARM_UP + runs {
        let n = run as u64;
        let start = Instant::now();
        let answer = (kind.start_and_join)(n)?;
        let took = start.elapsed();
        if answer != n + 1 {
            return Err(Error::WrongAnswer {
                what: kind.name,
                expected: n + 1,
                got: answer,
            });
        }
        if run >= WARM_UP {
            timings.push(took);
        }
    }
    Ok(timings)
}
// ANCHOR_END: cost

/// Measures, prints the table and its reading.
pub fn run(runs: usize, machine: &Machine) -> Result<Outcome, Error> {
    let summaries = KINDS
        .iter()
        .map(|kind| Ok(Summary::of(&measure(kind, runs)?).expect("runs is at least 1")))
        .collect::<Result<Vec<_>, Error>>()?;
    outln!(
        "Creation cost: start a worker that returns n + 1 and wait for it to end; \
         {} of each, back to back, after {WARM_UP} warm-up runs.",
        crate::counted(runs, "run", "runs")
    )?;
    outln!()?;
    let mut table = Table::new(&[
        ("worker", Align::Left),
        ("median", Align::Right),
        ("vs thread", Align::Right),
        ("middle half", Align::Right),
        ("fastest", Align::Right),
        ("slowest", Align::Right),
    ]);
    let thread = summaries[0].median;
    for (kind, s) in KINDS.iter().zip(&summaries) {
        table.row([
            kind.name.to_owned(),
            seconds(s.median),
            times(s.median / thread),
            s.middle_half(),
            seconds(s.min),
            seconds(s.max),
        ]);
    }
    support::out!("{table}")?;
    outln!()?;
    let (fork, forked, spawned) = (
        summaries[1].median,
        summaries[2].median,
        summaries[3].median,
    );
    outln!(
        "Reading: on {} cores, starting and joining a Process child took {} as long as a \
         thread when forked from the fork server ({} vs {}), {} when started again by spawn \
         ({}); a bare fork(), which loads no new program, {}.",
        machine.cores,
        times(forked / thread),
        seconds(forked),
        seconds(thread),
        times(spawned / thread),
        seconds(spawned),
        times(fork / thread),
    )?;
    if let Some(caution) = machine.load_caution() {
        outln!("{caution}")?;
    }
    if let Some(build) = machine.build_note() {
        outln!("{build}")?;
    }
    Ok(Outcome::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_and_forks_answer_n_plus_one() {
        // `with_process` needs `common::init` in `main`: the CLI tests cover it.
        assert_eq!(with_thread(41).unwrap(), 42);
        assert_eq!(with_fork(41).unwrap(), 42);
    }
}
