//! [`Process`]: one task in one new child process, like Python's `multiprocessing.Process`.

use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crossbeam_channel::{Receiver, bounded};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::attach::{self, Attachments};
use crate::child::{self, Child};
use crate::error::{Error, Exit, Result};
use crate::link::{Args, Link, RunOptions};
use crate::spawn::{StartMethod, default_start_method};
use crate::task::{self, Task};
use crate::wire::{self, Layout};

/// A task running in a child process of its own.
///
/// Where Python writes `Process(target=f, args=(x,))`, `p.start()`, `p.join()`, this is
/// `Process::start(&F, x)?` and `p.join()`, and `join` also hands back what the task returned
/// (Python's `join` returns nothing). The child is this binary started again (see
/// [`init`](crate::init)); the task's output goes to the same terminal as the parent's.
///
/// ```
/// fn shout(word: String) -> String {
///     println!("child {} got {word}", std::process::id());
///     word.to_uppercase()
/// }
/// const SHOUT: common::Task<String, String> = common::task!(shout);
///
/// fn main() -> Result<(), common::Error> {
///     common::init(&[&SHOUT]);
///     let child = common::Process::start(&SHOUT, "hello".to_owned())?;
///     assert_ne!(child.pid(), std::process::id());
///     assert_eq!(child.join()?, "HELLO");
///     Ok(())
/// }
/// ```
///
/// Python builds a `Process` first and starts it later; so can this: `Process::new(&F, x)`
/// gives a [`ProcessBuilder`], which takes a [`name`](ProcessBuilder::name) and is started
/// with [`start`](ProcessBuilder::start). The types make Python's runtime errors impossible:
/// an unstarted process cannot be joined, and a started one cannot be started again.
///
/// A panic in the task is printed by the child on its stderr, as Python prints the traceback
/// in the child, and [`join`](Self::join) returns it as [`Error::TaskPanicked`].
///
/// Dropping a `Process` that is still running kills it (and reaps it): no child outlives its
/// handle, and none outlives the parent (a worker gets SIGKILL when its parent dies).
pub struct Process<R> {
    child: Arc<Child>,
    result: Receiver<Result<R>>,
    supervisor: Option<JoinHandle<()>>,
    _result: PhantomData<fn() -> R>,
}

impl<R> fmt::Debug for Process<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Process")
            .field("name", &self.name())
            .field("pid", &self.pid())
            .finish_non_exhaustive()
    }
}

/// A [`Process`] built but not started yet: Python's `Process(target=f, args=(x,), name=…)`
/// before `start()`. Made by [`Process::new`].
pub struct ProcessBuilder<R> {
    key: Result<&'static str>,
    args: Result<Vec<u8>>,
    /// The descriptors the argument carries (see `attach`), closed here once it is sent.
    attached: Attachments,
    name: String,
    start_method: Option<StartMethod>,
    _result: PhantomData<fn() -> R>,
}

impl<R> fmt::Debug for ProcessBuilder<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessBuilder")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<R> ProcessBuilder<R> {
    /// Names the process (Python's `name=`); the default is `Process-N`, counting from 1 in
    /// the order processes are built, as in Python. `ps` shows it after the program's name, and
    /// [`Process::name`] returns it.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// How the child starts (Python's `get_context(method).Process()`): see [`StartMethod`];
    /// without it, [`default_start_method`]. Asking for [`StartMethod::ForkServer`] when there
    /// is no fork server makes [`start`](Self::start) fail with an [`Error::Spawn`] that says
    /// why.
    pub fn start_method(mut self, method: StartMethod) -> Self {
        self.start_method = Some(method);
        self
    }
}

impl<R> ProcessBuilder<R>
where
    R: DeserializeOwned + Send + 'static,
{
    /// Starts the task in a new child process and returns as soon as the child exists.
    ///
    /// The argument was encoded by [`Process::new`]; an [`Error::Encode`] (or an unregistered
    /// task) comes back here, before any process starts. A helper thread sends the argument,
    /// so a large one never blocks the caller.
    pub fn start(self) -> Result<Process<R>> {
        let key = self.key?;
        let args = self.args?;
        let attached = self.attached;
        let name = self.name;
        let method = self.start_method.unwrap_or_else(default_start_method);
        let (started_tx, started_rx) = bounded(1);
        let (result_tx, result_rx) = bounded(1);
        // The thread that spawns the child must outlive it: the child's parent-death signal
        // fires when that *thread* exits. So this thread spawns, talks to and reaps the child.
        let thread_name = format!("process {name}");
        let supervisor = thread::Builder::new()
            .name(thread_name)
            .spawn(move || {
                let mut link = match Link::spawn(&name, &name, method) {
                    Ok(link) => link,
                    Err(e) => return drop(started_tx.send(Err(e))),
                };
                let _ = started_tx.send(Ok(Arc::clone(link.child())));
                let options = RunOptions {
                    exit_after: true,
                    ..RunOptions::default()
                };
                // One item fits one message: no part comes before `Done`.
                let sent = Args {
                    bytes: &args,
                    layout: Layout::Encoded,
                    attached: &attached,
                };
                let reply = link.run(key, sent, 1, options, &mut |_, _, _, _| {});
                // Sent: the parent's copies go, so the child's are the only ones left.
                drop(attached);
                let result = reply.into_single::<R>();
                let exit = link.child().wait();
                // Ok means the child also exited cleanly; anything else is a death to report.
                let result = match result {
                    Ok(_) if !exit.success() => Err(Error::WorkerDied {
                        index: None,
                        pid: link.pid(),
                        exit,
                    }),
                    other => other,
                };
                let _ = result_tx.send(result);
            })
            .map_err(Error::spawn)?;

        match started_rx.recv() {
            Ok(Ok(child)) => Ok(Process {
                child,
                result: result_rx,
                supervisor: Some(supervisor),
                _result: PhantomData,
            }),
            Ok(Err(e)) => {
                let _ = supervisor.join();
                Err(e)
            }
            Err(_) => Err(Error::spawn(io::Error::other(
                "the supervising thread panicked",
            ))),
        }
    }
}

impl<R> Process<R>
where
    R: DeserializeOwned + Send + 'static,
{
    /// A process that will run `task(arg)`, built but not started (see [`ProcessBuilder`]).
    /// The argument is encoded now; any error comes back from
    /// [`start`](ProcessBuilder::start).
    // Python's `Process(...)` builds what `start()` starts; here those are two types, so an
    // unstarted process cannot be joined: `new` returns the unstarted one.
    #[allow(clippy::new_ret_no_self)]
    pub fn new<A: Serialize>(task: &Task<A, R>, arg: A) -> ProcessBuilder<R> {
        static BUILT: AtomicUsize = AtomicUsize::new(0);
        let mut args = Vec::new();
        let (encoded, attached) = attach::collect(|| wire::encode_value(&arg, &mut args));
        let encoded = encoded.map_err(|message| Error::Encode {
            index: None,
            message,
        });
        ProcessBuilder {
            key: task::ensure_registered(task).map(|()| task.key()),
            args: encoded.map(|()| args),
            attached,
            name: format!("Process-{}", BUILT.fetch_add(1, Ordering::Relaxed) + 1),
            start_method: None,
            _result: PhantomData,
        }
    }

    /// Starts `task(arg)` in a new child process and returns as soon as the child exists:
    /// `Process::new(task, arg).start()`.
    ///
    /// The argument is encoded here (an [`Error::Encode`] comes back at once) and sent by a
    /// helper thread, so a large argument never blocks the caller.
    pub fn start<A: Serialize>(task: &Task<A, R>, arg: A) -> Result<Self> {
        Process::new(task, arg).start()
    }

    /// Waits for the task to finish and returns what it returned.
    ///
    /// `Ok` means the task returned and the child exited with code 0. A panic in the task is
    /// [`Error::TaskPanicked`] (the child exits with code 1, as Python's does on an exception);
    /// a child that died or exited first is [`Error::WorkerDied`] with its [`Exit`].
    pub fn join(mut self) -> Result<R> {
        let result = self.result.recv().unwrap_or_else(|_| {
            Err(Error::spawn(io::Error::other(
                "the supervising thread panicked",
            )))
        });
        if let Some(supervisor) = self.supervisor.take() {
            let _ = supervisor.join();
        }
        result
    }
}

impl<R> Process<R> {
    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// The process's name (Python's `Process.name`), `Process-N` unless it was given one.
    pub fn name(&self) -> &str {
        self.child.name()
    }

    /// Whether the child is still running.
    pub fn is_alive(&self) -> bool {
        self.child.try_wait().is_none()
    }

    /// Python's `exitcode`: `None` while running, else `0`, `n` for `exit(n)`, `-N` for signal
    /// `N` (and `None` if something else reaped the child, so its status is unknown).
    pub fn exitcode(&self) -> Option<i32> {
        self.child.try_wait().and_then(Exit::python_exitcode)
    }

    /// Blocks until the child has exited and says how. Call [`join`](Self::join) for the result.
    pub fn wait(&self) -> Exit {
        self.child.wait()
    }

    /// Waits at most `timeout` (any duration, `Duration::MAX` included) for the child to exit;
    /// `None` if it is still running.
    pub fn join_timeout(&self, timeout: Duration) -> Option<Exit> {
        self.child.wait_timeout(timeout)
    }

    /// Asks the child to stop (SIGTERM), like Python's `terminate`.
    pub fn terminate(&self) -> io::Result<()> {
        self.child.signal(libc::SIGTERM)
    }

    /// Stops the child at once (SIGKILL), like Python's `kill`.
    pub fn kill(&self) -> io::Result<()> {
        self.child.signal(libc::SIGKILL)
    }
}

impl<R> Drop for Process<R> {
    fn drop(&mut self) {
        if let Some(supervisor) = self.supervisor.take() {
            // Still running (never joined): stop it; the supervisor then reaps it and returns.
            let _ = self.child.signal(libc::SIGKILL);
            let _ = supervisor.join();
        }
    }
}

/// A child process of this program that is still running, as [`active_children`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActiveChild {
    /// Its process id.
    pub pid: u32,
    /// Its name: a [`Process`]'s name, or `PoolWorker-N` for a pool's worker.
    pub name: String,
}

/// The children of this program that are still running: every [`Process`] and every pool
/// worker, oldest first (Python's `multiprocessing.active_children()`). As in Python, children
/// that have finished are reaped on the way; their handles still report how they ended.
pub fn active_children() -> Vec<ActiveChild> {
    child::running()
        .into_iter()
        .map(|(pid, name)| ActiveChild { pid, name })
        .collect()
}
