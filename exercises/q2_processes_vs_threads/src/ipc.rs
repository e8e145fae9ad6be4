//! Communication: the round-trip time of one small message.
//!
//! Each row sends a `u64` to an echo that answers with the number plus one, and times the
//! round trip. Threads can talk through memory (a channel); processes must go through the
//! kernel (a socket). Threads over the same kind of socket separate the two effects: what the
//! kernel costs, and what being in another process costs. The last row is a warm
//! `common::Pool` of one worker: what `pool.apply` adds on top of the socket. With its worker
//! idle, `apply` borrows the worker and talks to it from the calling thread, so what it adds is
//! the encoding and framing of the message (and the bookkeeping of the borrow), not a trip
//! through a queue or another thread.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::{Exit, Pool};
use support::units::seconds;

use crate::machine::Machine;
use crate::stats::{Summary, times};
use crate::table::{Align, Table};
use crate::{Error, Outcome, PLUS_ONE, sys};
use support::outln;

/// Round trips not counted, so connections, caches and the scheduler settle first.
pub const WARM_UP: usize = 50;

// ANCHOR: echoes
/// Answers every `u64` read from `fd` with the number plus one, until end-of-file. Returns the
/// exit code for a forked child. Async-signal-safe (no allocation, lock or panic), so a
/// `fork()` child can run it; the thread over a socket runs the very same code.
fn echo_plus_one(fd: BorrowedFd<'_>) -> i32 {
    let mut message = [0u8; 8];
    loop {
        match sys::read_exact(fd, &mut message) {
            Ok(true) => {}
            Ok(false) => return 0,
            Err(_) => return 1,
        }
        let answer = u64::from_ne_bytes(message).wrapping_add(1);
        if sys::write_all(fd, &answer.to_ne_bytes()).is_err() {
            return 1;
        }
    }
}

/// One round trip over a stream socket: send `n`, read the answer.
fn over_socket(sock: &mut UnixStream, n: u64) -> std::io::Result<u64> {
    sock.write_all(&n.to_ne_bytes())?;
    let mut answer = [0u8; 8];
    sock.read_exact(&mut answer)?;
    Ok(u64::from_ne_bytes(answer))
}
// ANCHOR_END: echoes

/// The four echoes, started once and used for every round trip.
struct Echoes {
    to_thread: mpsc::Sender<u64>,
    from_thread: mpsc::Receiver<u64>,
    channel_thread: JoinHandle<()>,
    socket_thread_sock: UnixStream,
    socket_thread: JoinHandle<i32>,
    forked: sys::Forked,
    pool: Pool,
}

const NAMES: [&str; 4] = [
    "two threads: std::sync::mpsc channels",
    "two threads: a Unix socket pair",
    "two processes: a Unix socket pair, fork() child",
    "two processes: Pool::apply on a warm 1-worker pool",
];

// ANCHOR: ipc
impl Echoes {
    fn start() -> Result<Self, Error> {
        // Forked first, while this process holds no other socket: a forked child keeps a copy
        // of every descriptor, and a copy of another echo's socket would keep it open.
        // SAFETY: the child runs only `echo_plus_one`, which is async-signal-safe.
        let forked = unsafe { sys::fork(echo_plus_one) }.map_err(Error::io("fork"))?;

        // A thread that answers over channels: memory and a futex wake-up, no system call for
        // the data itself.
        let (to_thread, requests) = mpsc::channel::<u64>();
        let (answers, from_thread) = mpsc::channel();
        // `Builder::spawn` returns the error where `thread::spawn` would panic.
        let channel_thread = thread::Builder::new()
            .spawn(move || {
                for n in requests {
                    if answers.send(n + 1).is_err() {
                        break;
                    }
                }
            })
            .map_err(Error::thread)?;

        // A thread that answers over a socket, with the same code as the forked child.
        let (socket_thread_sock, theirs) =
            UnixStream::pair().map_err(Error::io("creating a socket pair"))?;
        let socket_thread = thread::Builder::new()
            .spawn(move || echo_plus_one(theirs.as_fd()))
            .map_err(Error::thread)?;

        // Its workers are started with exec, which closes every descriptor of ours.
        let pool = Pool::new(1)?;
        Ok(Echoes {
            to_thread,
            from_thread,
            channel_thread,
            socket_thread_sock,
            socket_thread,
            forked,
            pool,
        })
    }

    /// One round trip of `n` through echo number `which` (in [`NAMES`] order).
    fn round_trip(&mut self, which: usize, n: u64) -> Result<u64, Error> {
        match which {
            0 => {
                fn hung_up<E>(_: E) -> Error {
                    Error::failed("the channel thread", "it hung up".into())
                }
                self.to_thread.send(n).map_err(hung_up)?;
                self.from_thread.recv().map_err(hung_up)
            }
            1 => {
                over_socket(&mut self.socket_thread_sock, n).map_err(Error::io("the socket thread"))
            }
            2 => over_socket(&mut self.forked.sock, n).map_err(Error::io("the fork() child")),
            _ => Ok(self.pool.apply(&PLUS_ONE, n)?),
        }
    }

    /// Closes every channel; each echo sees end-of-file and ends. Checks they ended cleanly.
    fn stop(self) -> Result<(), Error> {
        let Echoes {
            to_thread,
            from_thread,
            channel_thread,
            socket_thread_sock,
            socket_thread,
            forked,
            pool,
        } = self;
        drop((to_thread, from_thread));
        channel_thread
            .join()
            .expect("the channel echo does not panic");
        socket_thread_sock
            .shutdown(Shutdown::Both)
            .map_err(Error::io("closing the socket thread's socket"))?;
        let code = socket_thread
            .join()
            .expect("the socket echo does not panic");
        if code != 0 {
            let detail = format!("it stopped with code {code}");
            return Err(Error::failed("the socket thread", detail));
        }
        shutdown_fork(forked)?;
        pool.join();
        Ok(())
    }
}

/// `round_trips` timings through each echo in turn, back to back, after [`WARM_UP`] untimed
/// round trips.
fn measure(round_trips: usize) -> Result<Vec<Vec<Duration>>, Error> {
    let mut echoes = Echoes::start()?;
    let mut timings = Vec::with_capacity(NAMES.len());
    for (which, name) in NAMES.iter().enumerate() {
        let mut these = Vec::with_capacity(round_trips);
        for i in 0..WARM_UP + round_trips {
            let n = i as u64;
            let start = Instant::now();
            let answer = echoes.round_trip(which, n)?;
            let took = start.elapsed();
            if answer != n + 1 {
                return Err(Error::WrongAnswer {
                    what: name,
                    expected: n + 1,
                    got: answer,
                });
            }
            if i >= WARM_UP {
                these.push(took);
            }
        }
        timings.push(these);
    }
    echoes.stop()?;
    Ok(timings)
}
// ANCHOR_END: ipc

/// Closes the socket of a forked echo and checks it then exited with code 0.
fn shutdown_fork(forked: sys::Forked) -> Result<(), Error> {
    forked
        .sock
        .shutdown(Shutdown::Both)
        .map_err(Error::io("closing the fork() child's socket"))?;
    match forked
        .wait()
        .map_err(Error::io("waiting for the fork() child"))?
    {
        Exit::Code(0) => Ok(()),
        exit => Err(Error::failed(
            "the fork() child",
            format!("it ended with {exit}"),
        )),
    }
}

/// Measures, prints the table and its reading.
pub fn run(round_trips: usize, machine: &Machine) -> Result<Outcome, Error> {
    let timings = measure(round_trips)?;
    let summaries: Vec<Summary> = timings
        .iter()
        .map(|t| Summary::of(t).expect("round_trips is at least 1"))
        .collect();
    outln!(
        "Communication: send a u64, get it back plus one; {} each, back to back, after \
         {WARM_UP} warm-up ones.",
        crate::counted(round_trips, "round trip", "round trips")
    )?;
    outln!()?;
    let mut table = Table::new(&[
        ("between", Align::Left),
        ("median", Align::Right),
        ("vs channel", Align::Right),
        ("middle half", Align::Right),
        ("fastest", Align::Right),
        ("slowest", Align::Right),
    ]);
    let channel = summaries[0].median;
    for (name, s) in NAMES.iter().zip(&summaries) {
        table.row([
            (*name).to_owned(),
            seconds(s.median),
            times(s.median / channel),
            s.middle_half(),
            seconds(s.min),
            seconds(s.max),
        ]);
    }
    support::out!("{table}")?;
    outln!()?;
    let [_, socket_threads, socket_processes, pool] = [0, 1, 2, 3].map(|i| summaries[i].median);
    outln!(
        "Reading: on {} cores, a round trip took {} over a channel between threads, {} over a \
         socket between processes ({}; threads over a socket: {}) and {} through Pool::apply \
         ({}), which also encodes the message and frames it for the pool's protocol.",
        machine.cores,
        seconds(channel),
        seconds(socket_processes),
        times(socket_processes / channel),
        seconds(socket_threads),
        seconds(pool),
        times(pool / channel),
    )?;
    if let Some(caution) = machine.load_caution() {
        outln!("{caution}")?;
    }
    Ok(Outcome::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_echo_answers_plus_one_until_end_of_file() {
        let (mut ours, theirs) = UnixStream::pair().unwrap();
        let echo = thread::spawn(move || echo_plus_one(theirs.as_fd()));
        assert_eq!(over_socket(&mut ours, 1).unwrap(), 2);
        assert_eq!(over_socket(&mut ours, u64::MAX).unwrap(), 0);
        drop(ours);
        assert_eq!(echo.join().unwrap(), 0);
    }

    #[test]
    fn a_forked_echo_answers_and_exits_cleanly() {
        // SAFETY: the child runs only `echo_plus_one`, which is async-signal-safe.
        let mut forked = unsafe { sys::fork(echo_plus_one) }.unwrap();
        assert_eq!(over_socket(&mut forked.sock, 41).unwrap(), 42);
        shutdown_fork(forked).unwrap();
    }
}
