//! Python's `multiprocessing.Pool` and `Process`, in Rust, on real child processes — and the
//! same `map` on a thread pool, so the two can be compared with one call each.
//!
//! ```
//! use common::{Pool, Task, ThreadPool, task};
//!
//! fn square(x: u64) -> u64 {
//!     x * x
//! }
//! const SQUARE: Task<u64, u64> = task!(square);
//!
//! fn main() -> common::Result<()> {
//!     common::init(&[&SQUARE]); // first: in a worker process, this serves tasks instead
//!
//!     let pool = Pool::new(3)?; // three worker processes
//!     assert_eq!(pool.map(&SQUARE, 1..=5)?, [1, 4, 9, 16, 25]);
//!
//!     let threads = ThreadPool::new(3)?; // the same call on three threads
//!     assert_eq!(threads.map(&SQUARE, 1..=5)?, [1, 4, 9, 16, 25]);
//!     Ok(())
//! }
//! ```
//!
//! # Why processes, in a language without a GIL?
//!
//! CPython runs one thread of Python code at a time, so its programs reach for processes to use
//! several cores. Rust threads run in parallel, need no encoding, and share memory safely: for
//! CPU-bound work they are usually the better tool ([`ThreadPool`]). Processes buy something
//! else, isolation. A worker that crashes, aborts, leaks or is killed takes only its own task
//! with it; its memory is its own. This crate is for learning that difference, and for the
//! programs that need isolation.
//!
//! # Design
//!
//! **Workers are this binary, never a fork of the running program.** Python on Linux long used
//! `fork` (3.14 made `forkserver` the default): the child gets a copy of the parent's page
//! tables, its memory shared copy-on-write, locks included, but only the thread that forked.
//! Forking a multi-threaded program is not unsound in itself; running code in the child that is
//! not async-signal-safe before it calls `exec` is. Another thread may have held the
//! allocator's lock at the moment of the fork, and the child, where that thread does not exist,
//! would wait for it forever. A worker runs arbitrary Rust code, so it is made one of two ways
//! ([`StartMethod`]). By default, [`init`], the first line of `main`, checks that the process
//! still has one thread and forks a small *fork server* from it; each worker is a copy of that
//! server (`clone3` with `CLONE_PARENT`: a child of the program, known by a pidfd), so it has
//! the program as it was at `init` and no thread but its own. With [`StartMethod::Spawn`], or
//! when a thread already ran at `init` (then there is no server), a worker is a fresh `exec` of
//! `/proc/self/exe`, marked by a first argument, `--common-pool-worker <parent pid>`; `init`
//! sees the mark and turns the process into a worker that never returns to `main`. Pools
//! refuse to start until `init` has run, so forgetting it is an error
//! ([`Error::NotInitialized`]), not a fork bomb. In tests, [`enable_test_support!`] runs `init`
//! before the test harness.
//!
//! **A worker starts clean.** It starts with every signal at its default disposition and none
//! blocked, whatever the parent had (an ignored SIGTERM survives `exec`, and `terminate` would
//! then do nothing); before any task runs it closes every descriptor it inherited besides its
//! channel and the standard streams (`close_range`), as Python's `spawn` does.
//!
//! **A task is found by name.** The worker has the same functions as the parent, but not at the
//! same addresses, so a function pointer means nothing across the boundary. A [`Task`] pairs a
//! plain `fn(A) -> R` with a name (`task!(f)` uses the module path and function name, and tells
//! apart two functions of one name by where the `task!` is). Both sides look it up in the list
//! given to [`init`]; a task missing from it, or listed with other types, is
//! [`Error::UnregisteredTask`]. Arguments and results are serde types.
//!
//! **Results come back over a private socket.** Each worker gets one end of a Unix socket pair
//! as its standard input, moves it to a private descriptor near the top of its table (out of
//! reach of a task that closes descriptors 3, 4, 5…) and puts `/dev/null` in its place. Its
//! stdout and stderr are the parent's, so a task may `println!` freely. Messages are
//! length-prefixed frames: a small postcard header, then the raw bytes of a chunk of encoded
//! arguments (or results). One frame per chunk, not per item, keeps `map` over a million small
//! items fast.
//!
//! **One supervisor thread per worker.** It spawns the worker, takes chunks from the pool's
//! queue, sends one, waits for the answer, and replaces the worker if it dies. Submitting a task
//! only queues it, so it never waits for a busy worker, however large the argument. The thread
//! that spawned a process is the one whose exit fires the child's parent-death signal, and this
//! thread lives exactly as long as its worker. A synchronous `apply` that finds a worker idle
//! and nothing queued skips the queue: it borrows the worker and talks to it from the calling
//! thread, since two thread hops would cost as much as the trip to the worker itself. It never
//! overtakes queued work.
//!
//! **A death is pinned on one item.** A worker writes "chunk *c*, item *i* starts now" to a page
//! of memory it shares with its supervisor, before each item. When the socket reports end of
//! file, or the worker's pidfd says it has exited (a grandchild forked by a task may hold the
//! socket open), the supervisor reaps the worker, reads the page, fails that one item with the
//! exit code or signal, and runs the rest of the chunk on a fresh worker: one rule, described in
//! the [`Pool`] docs. The same page carries each item's start time, which is how a task time
//! limit is enforced.
//!
//! **Children are known by pidfd.** Every signal (`terminate`, a time limit, a drop) and every
//! wait goes through the child's pidfd, never its number: if something else in the program
//! reaps a worker and the kernel gives its number to another process, that process is safe.
//!
//! # What the pool guarantees, and what Python does
//!
//! | fault | what the caller sees | Python's `multiprocessing.Pool` |
//! |---|---|---|
//! | a worker is killed (OOM killer, `kill -9`) | that task fails with [`Error::WorkerDied`] naming the signal; the worker is replaced; every other task completes (one whose result was lost runs again: see [`Pool`]) | the call hangs forever |
//! | a task calls `exit(3)` or aborts | [`Error::WorkerDied`] with `exit code 3` or `SIGABRT` | hangs (`sys.exit`) or hangs (abort) |
//! | a task panics | [`Error::TaskPanicked`] with message and location; the worker lives on. (Built with `panic = "abort"`, the worker dies instead: [`Error::WorkerDied`] with `SIGABRT`, the message on its stderr.) | the exception, re-raised in the parent |
//! | a [`Process`]'s task panics | the child prints the panic on its stderr and exits with code 1; `join` returns [`Error::TaskPanicked`] | the child prints the traceback and exits with code 1 |
//! | several tasks fail | `map` reports the lowest index, always the same one | whichever chunk failed first |
//! | a task is stuck | with a time limit: [`Error::TaskTimeout`], worker killed and replaced | `get(timeout)` gives up waiting; the worker stays stuck |
//! | a task forks a child that outlives its worker | the worker's death is still seen (through its pidfd); a `fork()`ed copy of a worker gets no channel and runs no task | hangs, as for any dead worker |
//! | the parent is killed | every worker gets SIGKILL at once | a busy worker runs on, orphaned, until its task ends |
//! | `terminate` with thousands of tasks queued | returns promptly; queued tasks fail with [`Error::PoolTerminated`] | pending results never complete |
//! | the parent ignores SIGTERM, or leaves descriptors open across `exec` | workers start with default signals and only their own descriptors, so `terminate` works | the ignored SIGTERM is inherited (`terminate` does nothing); `fork` passes every descriptor on |
//! | a task closes descriptors 3, 4, 5… | the worker keeps its channel and carries on | the result never comes back |
//! | something else in the program reaps a worker (`waitpid(-1)`) | the pool never signals or reaps the process that reuses its pid | signals and waits by pid: may hit that process |
//! | a huge argument or result | goes through, up to 4 GiB per value (a larger one is [`Error::Encode`] for that task); submitting never blocks the caller | goes through (a handler thread writes it) |
//! | `imap` over an endless iterator | bounded number of tasks in flight | a background thread reads the input eagerly, without bound |
//! | the input iterator of `imap` or `map` panics | `imap` yields the results before it, then the panic resumes; `map` cancels its queued chunks and the panic resumes | `imap` yields the results before it, then raises; `map` raises |
//! | a value that cannot be encoded or decoded | [`Error::Encode`] or [`Error::Decode`] for that task alone, with the serde impl's own message (a panicking impl too); the tasks after it in its chunk still complete (sent again if their data could no longer be found) | a pickling error (`MaybeEncodingError` for a result) |
//!
//! | every producer of a [`Queue`] dies (or drops its end) | the consumer's `get` returns [`IpcError::Disconnected`] once the queue is empty | `get()` waits forever |
//! | every consumer of a [`Queue`] dies | `put` returns [`IpcError::Disconnected`] | the feeder thread fails; the item is lost silently |
//! | a process dies holding a [`Lock`] (or the lock of a [`Value`], an [`Array`]) | the kernel releases it; the next `lock` gets it, poisoned (as a `std::sync::Mutex` whose holder panicked) | the lock stays held; every waiter hangs |
//! | a process is killed in the middle of a `put` or a `get` | the queue can hold one more item from then on, never one fewer | a reader killed holding the queue's read lock hangs every other reader |
//!
//! `concurrent.futures.ProcessPoolExecutor` does notice a dead worker, but marks the whole pool
//! broken: every pending task fails. Each row above is tested by injecting the fault for real
//! (see `tests/faults.rs` and `tests/pool.rs`).
//!
//! What the table does not promise: a process that a *task* starts (a grandchild) does not
//! die with the pool, since the parent-death signal reaches only the pool's own workers; a
//! task that starts one should also end it. And a callback (`map_async_with` and the like)
//! runs on a pool thread, as in Python, so a callback that waits for its own pool (dropping
//! the last handle to it, `terminate`, `join`) waits for itself.
//!
//! # Queues, pipes and shared memory
//!
//! Python's `multiprocessing` is more than `Pool` and `Process`, and so is this crate. Each of
//! these is a descriptor that every process using it holds, and each reaches a worker as (part
//! of) a task argument:
//!
//! | Python | here | between threads |
//! |---|---|---|
//! | `Queue(maxsize)` | [`Queue::new`]`(maxsize)`, split into [`QueueSender`]s and [`QueueReceiver`]s | `crossbeam_channel::bounded` |
//! | `Pipe()` | [`Pipe::pair`] | two `std::sync::mpsc` channels |
//! | `Value('d', 0.0)` | [`Value::new`]`(0.0f64)` | `Mutex<f64>` |
//! | `Array('i', n)` | [`Array::<i32>::new`]`(n)` | `Mutex<Vec<i32>>` |
//! | `RawValue`, and atomics (which Python lacks) | [`SharedAtomic::new`]`(AtomicU64::new(0))` | `AtomicU64` |
//! | `shared_memory.SharedMemory(create=True, size=n)` | [`Array::<u8>::new`]`(n)` | `Vec<u8>` |
//! | `Lock()` | [`Lock::new`] | `Mutex<()>` |
//! | an open file or socket, inherited | [`Descriptor`] | the same file |
//!
//! **How an end reaches a worker.** A descriptor is a number that means something only in the
//! process that holds it. When a task's argument is encoded, the `Serialize` of each value that
//! holds one (a queue's end, shared memory, a [`Descriptor`]) duplicates it into a collection
//! kept with the encoded bytes, and writes only an id. The parent sends the collected
//! descriptors with the first byte of the task's frame over the worker's socket
//! (SCM_RIGHTS, at most 253 per chunk of tasks); the worker reads them with the frame and the
//! value's `Deserialize` finds its own by id. The job holds the parent's copies until it is
//! done, since a worker's death may make it send the task again, and then closes them: from
//! then on the worker's copies are the only ones, so the kernel knows exactly which processes
//! hold which end. That is how a [`QueueReceiver`] learns that every [`QueueSender`] is gone.
//! The same mechanism carries descriptors inside the messages of a [`Queue`] or a [`Pipe`]
//! (an end sent through a queue). A descriptor in a task's *result*, or encoded any other way,
//! is an encoding error that says so.
//!
//! **The queue** is records on a `SOCK_SEQPACKET` socket pair, which the kernel delivers whole
//! to exactly one reader, however many processes read; a message above 32 KiB travels in a
//! sealed in-memory file beside its record. Its bound is two counters in shared memory, which
//! senders check and update under a robust lock; every way a process can die in the middle
//! leaves the queue larger, never smaller, so no death can make a later `put` wait for a place
//! that never comes. **Shared memory** is a sealed `memfd`, mapped (with `memmap2`): it cannot
//! be truncated under a mapping, has no name to leak, and is freed when its last holder lets
//! go. [`Value`] and [`Array`] hold plain data ([`Pod`]: any bytes are a valid value, so even a
//! value a dying process left half-written is one) behind a robust, process-shared
//! `pthread_mutex_t`, as [`Lock`] is.
//!
//! # Testing code that uses the pool
//!
//! Workers re-run the test binary too, so `init` must come before the test harness. Either
//! give the test file its own `main` (`harness = false` in `Cargo.toml`) whose first line is
//! `common::init(...)`, or keep ordinary `#[test]` functions and write
//! [`enable_test_support!`]`(&[&TASK, ...])` once at the top of the file.
//!
//! # What it costs
//!
//! Everything a worker receives or returns is encoded and copied through the kernel, and each
//! worker is a whole process (a few megabytes, and a few milliseconds to start: 2 to 3 ms on
//! the 2-core virtual machine that built the book, most of it the kernel loading the program).
//! For small tasks that overhead dominates: the benchmarks in this workspace measure it against
//! threads and against Python. [`ThreadPool`] has the same `map` on threads at the cost of a
//! plain rayon `par_iter`.
//!
//! # Platform
//!
//! Linux 5.9 or newer: the parent-death signal, `memfd`, pidfds (5.4 for waiting on one) and
//! `close_range` (5.9) are Linux interfaces. On an older kernel, starting a pool or a process
//! fails with an [`Error::Spawn`] that names what is missing.
//!
//! This is the teaching crate of a workspace that answers a Python `multiprocessing`
//! assignment in Rust, not part of Rust's standard library, which has threads and child
//! processes but no process pool.

#[cfg(not(target_os = "linux"))]
compile_error!("the `common` crate uses Linux process interfaces (prctl, memfd, pidfd)");

// Layered, each module using only those before it in this order (rustfmt sorts the lines
// below): panic, error; sys; progress, wire; the worker's side: forked (a forked copy's guard),
// chunk (a chunk under way), task (the task list), worker (the serving loop); the parent's
// side: child (a child process), spawn (starting one), link (our end of a worker); trace; and on
// top pool, process, test_support and threads.
#[cfg(test)]
mod alloc_probe;
mod attach;
mod child;
mod chunk;
mod descriptor;
mod error;
mod forked;
mod forkserver;
mod init;
mod ipc;
mod link;
mod panic;
mod pool;
mod process;
mod progress;
mod spawn;
mod sys;
mod task;
mod test_support;
mod threads;
mod trace;
mod wire;
mod worker;

/// Plain data that can live in shared memory ([`Value`], [`Array`]): derive or implement it
/// with the `bytemuck` crate.
pub use bytemuck::{Pod, Zeroable};
pub use chunk::ChunkRun;
pub use descriptor::Descriptor;
pub use error::{Error, Exit, Result, signal_name};
pub use init::init;
pub use ipc::{
    Array, Atomic, IpcError, Lock, LockGuard, MAX_QUEUE_SIZE, Pipe, PipePair, Queue, QueueReceiver,
    QueueSender, SharedAtomic, SharedGuard, Value,
};
pub use pool::{Args, AsyncResult, Call, Callbacks, IMap, Pool, PoolBuilder};
pub use process::{ActiveChild, Process, ProcessBuilder, active_children};
pub use spawn::{StartMethod, default_start_method, fork_server_pid};
pub use task::{Registered, Task};
pub use threads::{ThreadCall, ThreadIMap, ThreadPool};
pub use trace::{Outcome, Picture, Span, Trace};

/// What the crate's macros need, under a path of the crate's own.
#[doc(hidden)]
pub mod __private {
    pub use ctor;
}
