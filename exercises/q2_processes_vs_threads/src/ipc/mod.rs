//! Communication: the three mechanisms the answer sheets name (a pipe, a queue, shared
//! memory), between processes, each beside its thread equivalent: the round trip of one small
//! message, and one bulk transfer (64 MiB by default).
//!
//! Each row starts an echo (a thread, or a [`common::Process`] child that runs a server task),
//! sends it a `u64` and waits for the number plus one, many times; then asks it for the bulk
//! block, which the echo already holds in its own memory, and waits until this side holds all
//! of it. Between threads a message is moved: the receiver gets the sender's buffer, not a
//! copy. Between processes every byte is copied, through the kernel (a pipe, a socket) or
//! into and out of memory both map. The last row is a warm [`common::Pool`] of one worker:
//! `Pool::apply`, the pool's own channel.

mod processes;
mod threads;

use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use support::outln;
use support::units::seconds;

pub use self::processes::{
    Answer, Ask, BULK_RESULT, COMMON_PIPE_ECHO, PIPE_ECHO, QUEUE_ECHO, SHARED_ECHO,
};
use self::processes::{CommonPipe, PoolEcho, QueueEcho, RawPipe, SharedMemory};
use self::threads::{ThreadShared, crossbeam_echo, mpsc_echo};
use crate::machine::Machine;
use crate::stats::{Summary, times};
use crate::table::{Align, Table};
use crate::{Error, Outcome};

/// Round trips not counted, so connections, caches and the scheduler settle first.
pub const WARM_UP: usize = 50;

/// Bulk transfers timed per row (after one that is not).
pub const BULK_RUNS: usize = 5;

/// The bulk block: the same bytes on both sides, so the receiver can check them.
pub fn bulk_block(len: usize) -> Vec<u8> {
    let pattern: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut block = vec![0u8; len];
    for chunk in block.chunks_mut(pattern.len()) {
        chunk.copy_from_slice(&pattern[..chunk.len()]);
    }
    block
}

/// One echo, started for its row and stopped after it.
pub(super) trait Echo {
    /// Sends `n`, returns the answer.
    fn round_trip(&mut self, n: u64) -> Result<u64, Error>;
    /// Asks for the bulk block, returns it as this side now holds it.
    fn bulk(&mut self) -> Result<Vec<u8>, Error>;
    /// Takes back a block that was moved here, not copied (untimed: a thread echo lends its
    /// one block).
    fn give_back(&mut self, _block: Vec<u8>) {}
    /// Stops the echo and checks it ended well.
    fn stop(self: Box<Self>) -> Result<(), Error>;
}

/// A failure of the echo named `what`.
pub(super) fn broke<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> Error {
    move |e| Error::failed(what, e.to_string())
}

/// Polls until `answer` holds `expected`, giving up if the echo died.
pub(super) fn wait_for(
    answer: &AtomicU64,
    expected: u64,
    alive: impl Fn() -> bool,
) -> Result<(), Error> {
    let mut spins = 0u32;
    while answer.load(Ordering::Acquire) != expected {
        thread::yield_now();
        spins = spins.wrapping_add(1);
        if spins.is_multiple_of(4096) && !alive() {
            return Err(Error::failed("the shared-memory echo", "it died".into()));
        }
    }
    Ok(())
}

/// One row: a mechanism, how to start its echo, and how its bulk block travels.
struct Row {
    name: &'static str,
    start: fn(usize) -> Result<Box<dyn Echo>, Error>,
    how: &'static str,
}

const ROWS: [Row; 8] = [
    Row {
        name: "pipe, threads: std::sync::mpsc channels",
        start: mpsc_echo,
        how: "moved: a pointer",
    },
    Row {
        name: "pipe, processes: std::io::pipe, raw bytes",
        start: RawPipe::start,
        how: "copied into the kernel and out",
    },
    Row {
        name: "pipe, processes: common::Pipe, encoded",
        start: CommonPipe::start,
        how: "encoded, copied, mapped, decoded",
    },
    Row {
        name: "queue, threads: crossbeam_channel::bounded",
        start: crossbeam_echo,
        how: "moved: a pointer",
    },
    Row {
        name: "queue, processes: common::Queue",
        start: QueueEcho::start,
        how: "encoded, copied, mapped, decoded",
    },
    Row {
        name: "shared memory, threads: atomics, Mutex<Vec<u8>>",
        start: ThreadShared::start,
        how: "copied in and out",
    },
    Row {
        name: "shared memory, processes: SharedAtomic, Array",
        start: SharedMemory::start,
        how: "copied in and out",
    },
    Row {
        name: "pool, processes: Pool::apply, 1 warm worker",
        start: PoolEcho::start,
        how: "encoded, copied, decoded",
    },
];

/// What one row measured.
struct Measured {
    round_trips: Summary,
    bulk: Summary,
}

/// Times `round_trips` round trips and [`BULK_RUNS`] bulk transfers through one echo, after
/// untimed ones; checks every answer.
fn measure(row: &Row, round_trips: usize, block: &[u8]) -> Result<Measured, Error> {
    let mut echo = (row.start)(block.len())?;
    let mut times = Vec::with_capacity(round_trips);
    for i in 0..WARM_UP + round_trips {
        let n = i as u64;
        let start = Instant::now();
        let answer = echo.round_trip(n)?;
        let took = start.elapsed();
        if answer != n + 1 {
            return Err(Error::WrongAnswer {
                what: row.name,
                expected: n + 1,
                got: answer,
            });
        }
        if i >= WARM_UP {
            times.push(took);
        }
    }
    let mut bulk = Vec::with_capacity(BULK_RUNS);
    for i in 0..=BULK_RUNS {
        let start = Instant::now();
        let received = echo.bulk()?;
        let took = start.elapsed();
        if received != block {
            return Err(Error::failed(
                row.name,
                "the bulk block arrived changed".into(),
            ));
        }
        echo.give_back(received);
        if i > 0 {
            bulk.push(took);
        }
    }
    echo.stop()?;
    let summary = |t: &[Duration]| Summary::of(t).expect("at least one timing");
    Ok(Measured {
        round_trips: summary(&times),
        bulk: summary(&bulk),
    })
}

/// Measures every row, prints the table and its reading.
pub fn run(round_trips: usize, bulk_mib: usize, machine: &Machine) -> Result<Outcome, Error> {
    let block = bulk_block(bulk_mib << 20);
    let measured: Vec<Measured> = ROWS
        .iter()
        .map(|row| measure(row, round_trips, &block))
        .collect::<Result<_, _>>()?;
    outln!(
        "Communication: send a u64, get it back plus one; {} each, back to back, after \
         {WARM_UP} warm-up ones. Then fetch a block of {bulk_mib} MiB the other side holds, \
         {BULK_RUNS} times each, after one more.",
        crate::counted(round_trips, "round trip", "round trips")
    )?;
    outln!()?;
    let mut table = Table::new(&[
        ("between", Align::Left),
        ("round trip", Align::Right),
        ("middle half", Align::Right),
        (&format!("{bulk_mib} MiB"), Align::Right),
        ("GB/s", Align::Right),
        ("the block was", Align::Left),
    ]);
    for (row, m) in ROWS.iter().zip(&measured) {
        let gb_per_s = block.len() as f64 / m.bulk.median / 1e9;
        table.row([
            row.name.to_owned(),
            seconds(m.round_trips.median),
            m.round_trips.middle_half(),
            seconds(m.bulk.median),
            support::units::significant(gb_per_s),
            row.how.to_owned(),
        ]);
    }
    support::out!("{table}")?;
    outln!()?;
    let rt = |i: usize| seconds(measured[i].round_trips.median);
    let bulk = |i: usize| seconds(measured[i].bulk.median);
    outln!(
        "Reading: between processes, a round trip took {} through a pipe, {} through \
         common::Pipe, {} through common::Queue and {} through shared memory, where both \
         sides poll instead of sleeping (threads polling the same way: {}; over a channel: \
         {}). {bulk_mib} MiB took {} through a pipe, {} copied in and out of shared memory \
         ({} between threads) and {} between threads over a channel, which moves the buffer \
         instead of copying it: the pipe took {} as long.",
        rt(1),
        rt(2),
        rt(4),
        rt(6),
        rt(5),
        rt(0),
        bulk(1),
        bulk(6),
        bulk(5),
        bulk(0),
        times(measured[1].bulk.median / measured[0].bulk.median),
    )?;
    if let Some(caution) = machine.load_caution() {
        outln!("{caution}")?;
    }
    if let Some(build) = machine.build_note() {
        outln!("{build}")?;
    }
    Ok(Outcome::default())
}
