//! The workloads, written once: the criterion benches and the side-by-side runner both call
//! these, so the numbers in `target/criterion` and in the runner's table measure the same code.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::{Pool, Process, StartMethod, Task, ThreadPool};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_bytes::ByteBuf;

use crate::tasks::{NOOP, XORSHIFT};

/// Worker processes in the pools that stand for the assignment's `Pool(processes=4)`.
pub const POOL_WORKERS: usize = 4;

/// Input sizes of the `map` benchmarks.
pub const MAP_SIZES: [u64; 4] = [1_000, 10_000, 100_000, 1_000_000];

/// `map` with chunk size 1 sends one message per item, 5 to 50 µs each here; 10⁵ items would
/// take up to 5 s per iteration (and criterion takes 100), so the benchmarks stop at 10⁴.
pub const CHUNK1_MAX: u64 = 10_000;

/// Coarse CPU-bound tasks: this many, so 1, 2, 3, 4 and 6 workers all get equal shares.
pub const COARSE_TASKS: usize = 24;

/// Steps of [`crate::tasks::xorshift`] per coarse task: a few milliseconds each.
pub const COARSE_STEPS: u64 = 1_000_000;

/// Values in the gamma map: enough that the work is visible next to the pool's overhead.
pub const GAMMA_VALUES: usize = 100_000;

/// [`gamma_input`] repeats after this many values (0.5 to 170 by halves): the ones the runner
/// checks Python's `math.gamma` against.
pub const GAMMA_CYCLE: usize = 340;

/// Payload sizes, from 1 KiB to 64 MiB.
pub const PAYLOAD_SIZES: [usize; 5] = [1 << 10, 64 << 10, 1 << 20, 16 << 20, 64 << 20];

/// Cores this process may run on (what rayon and `Pool::builder()` default to).
pub fn cores() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

/// Starts a thread that does nothing and joins it.
pub fn thread_start_join() {
    thread::spawn(|| std::hint::black_box(()))
        .join()
        .expect("an empty thread does not panic");
}

/// Both start methods, the default first.
pub const START_METHODS: [StartMethod; 2] = [StartMethod::ForkServer, StartMethod::Spawn];

/// Starts a [`Process`] by `method` running a task that does nothing and joins it (the child
/// is reaped).
pub fn process_start_join(method: StartMethod) -> common::Result<()> {
    Process::new(&NOOP, ()).start_method(method).start()?.join()
}

/// How long a pool of `workers` started by `method` takes to build (every worker has said
/// hello), and the pool, so that the caller drops it outside the timed part.
pub fn pool_ready(workers: usize, method: StartMethod) -> common::Result<(Duration, Pool)> {
    let start = Instant::now();
    let pool = Pool::builder()
        .workers(workers)
        .start_method(method)
        .build()?;
    Ok((start.elapsed(), pool))
}

/// Forks this process and waits for the copy, which exits at once: what copying a process
/// costs, the floor under a worker forked by the fork server (which is smaller than this
/// process).
pub fn bare_fork() -> std::io::Result<()> {
    // SAFETY: the child calls only `_exit`, which is async-signal-safe, so forking this
    // process (which has threads) is sound.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => Err(std::io::Error::last_os_error()),
        // SAFETY: ends the copy at once, running nothing of its parent's.
        0 => unsafe { libc::_exit(0) },
        pid => {
            let mut status = 0;
            // SAFETY: `status` is valid for writes; `pid` is our unreaped child.
            if unsafe { libc::waitpid(pid, &mut status, 0) } != pid {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        }
    }
}

/// Copies `bytes` into new memory twice: the least an echo through another process must do
/// (the worker gets its own copy of the argument, the caller a new result), at the cost of
/// fresh memory on this machine. The floor under the payload rows.
pub fn two_fresh_copies(bytes: &[u8]) -> usize {
    let there = std::hint::black_box(bytes.to_vec());
    let back = std::hint::black_box(there.clone());
    drop(there);
    back.len()
}

/// A thread that sends back every number it receives: the round trip between two threads.
#[derive(Debug)]
pub struct ThreadEcho {
    to: Option<mpsc::Sender<u64>>,
    from: mpsc::Receiver<u64>,
    thread: Option<thread::JoinHandle<()>>,
}

impl ThreadEcho {
    pub fn new() -> Self {
        Self::on(None)
    }

    /// The echo thread runs on `cpu` if given (see [`crate::wake::Pin`]).
    pub fn on(cpu: Option<usize>) -> Self {
        let (to, requests) = mpsc::channel::<u64>();
        let (replies, from) = mpsc::channel();
        let thread = thread::spawn(move || {
            let _pin = cpu.and_then(|c| crate::wake::Pin::to(c).ok());
            for x in requests {
                if replies.send(x).is_err() {
                    break;
                }
            }
        });
        ThreadEcho {
            to: Some(to),
            from,
            thread: Some(thread),
        }
    }

    /// Sends `x` to the other thread and waits for it to come back.
    pub fn round_trip(&self, x: u64) -> u64 {
        self.to
            .as_ref()
            .expect("set until drop")
            .send(x)
            .expect("the echo thread runs");
        self.from.recv().expect("the echo thread answers")
    }
}

impl Default for ThreadEcho {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for ThreadEcho {
    fn drop(&mut self) {
        self.to.take(); // ends the thread's loop
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `0..n`, the input of the `map` benchmarks.
pub fn squares_input(n: u64) -> Vec<u64> {
    (0..n).collect()
}

/// Coarse CPU-bound tasks: `count` seeds, each run for `steps` steps.
pub fn coarse_input(count: usize, steps: u64) -> Vec<(u64, u64)> {
    (0..count as u64).map(|seed| (seed, steps)).collect()
}

/// Values for the gamma map: integers and half-integers between 0.5 and 170 (all finite).
pub fn gamma_input(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 0.5 + (i % GAMMA_CYCLE) as f64 * 0.5)
        .collect()
}

/// A payload of `len` bytes that is not all zeros.
pub fn payload(len: usize) -> ByteBuf {
    ByteBuf::from((0..len).map(|i| (i % 251) as u8).collect::<Vec<u8>>())
}

/// The task on every item, one after the other, on this thread.
pub fn map_sequential<A: Copy, R>(task: &Task<A, R>, items: &[A]) -> Vec<R> {
    items.iter().map(|&a| task.call(a)).collect()
}

/// The task on every item, the input cut into one contiguous chunk per thread
/// (`std::thread::scope`: the threads borrow the input, nothing is copied).
pub fn map_scoped<A, R>(task: &Task<A, R>, items: &[A], threads: usize) -> Vec<R>
where
    A: Copy + Sync,
    R: Send,
{
    let chunk = items.len().div_ceil(threads.max(1)).max(1);
    thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(move || map_sequential(task, part)))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for handle in handles {
            out.extend(handle.join().expect("the task does not panic"));
        }
        out
    })
}

/// The task on every item with rayon, in `pool` (rayon's own `par_iter`, no wrapper).
pub fn map_rayon<A, R>(pool: &rayon::ThreadPool, task: &Task<A, R>, items: &[A]) -> Vec<R>
where
    A: Copy + Sync,
    R: Send,
{
    use rayon::prelude::*;
    pool.install(|| items.par_iter().map(|&a| task.call(a)).collect())
}

/// [`map_rayon`] on an owned `Vec`: `into_par_iter`, each item moved into the task.
pub fn map_rayon_owned<A, R>(pool: &rayon::ThreadPool, task: &Task<A, R>, items: Vec<A>) -> Vec<R>
where
    A: Send,
    R: Send,
{
    use rayon::prelude::*;
    pool.install(|| items.into_par_iter().map(|a| task.call(a)).collect())
}

/// A rayon pool of `threads` threads.
pub fn rayon_pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("threads can be started")
}

/// [`ThreadPool::map`]: the process pool's call shape, on threads.
pub fn map_thread_pool<A, R>(pool: &ThreadPool, task: &Task<A, R>, items: &[A]) -> Vec<R>
where
    A: Copy + Send,
    R: Send,
{
    pool.map(task, items.iter().copied())
        .expect("the task does not panic")
}

/// [`ThreadPool::imap`], every result taken in order.
pub fn imap_thread_pool<A, R>(pool: &ThreadPool, task: &Task<A, R>, items: &[A]) -> Vec<R>
where
    A: Copy + Send + 'static,
    R: Send + 'static,
{
    pool.imap(task, items.iter().copied())
        .map(|r| r.expect("the task does not panic"))
        .collect()
}

/// [`Pool::map`] in worker processes; `chunksize: None` is Python's default.
pub fn map_pool<A, R>(
    pool: &Pool,
    task: &Task<A, R>,
    items: &[A],
    chunksize: Option<usize>,
) -> Vec<R>
where
    A: Copy + Serialize,
    R: DeserializeOwned + Send + 'static,
{
    let result = match chunksize {
        Some(n) => pool.chunksize(n).map(task, items.iter().copied()),
        None => pool.map(task, items.iter().copied()),
    };
    result.expect("the pool's workers stay up")
}

/// The coarse CPU-bound work done sequentially; what the parallel versions must reproduce.
pub fn coarse_sequential(items: &[(u64, u64)]) -> Vec<u64> {
    map_sequential(&XORSHIFT, items)
}

/// A memory figure of process `pid` from `/proc/PID/status`, in KiB (what the kernel calls
/// kB): `VmRSS` (resident), `RssAnon` (resident and private to it), …
pub fn status_kib(pid: u32, field: &str) -> std::io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no {field} in /proc/{pid}/status")))
}
