//! [`Process`]: one task in one new child process, like Python's `multiprocessing.Process`.

use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crossbeam_channel::{Receiver, bounded};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::child::Child;
use crate::error::{Error, Exit, Result};
use crate::link::{Link, RunOptions};
use crate::task::{self, Task};
use crate::wire;

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
            .field("pid", &self.pid())
            .finish_non_exhaustive()
    }
}

impl<R> Process<R>
where
    R: DeserializeOwned + Send + 'static,
{
    /// Starts `task(arg)` in a new child process and returns as soon as the child exists.
    ///
    /// The argument is encoded here (an [`Error::Encode`] comes back at once) and sent by a
    /// helper thread, so a large argument never blocks the caller.
    pub fn start<A: Serialize>(task: &Task<A, R>, arg: A) -> Result<Self> {
        task::ensure_registered(task.name())?;
        let mut args = Vec::new();
        wire::encode_value(&arg, &mut args).map_err(|message| Error::Encode {
            index: None,
            message,
        })?;
        let name = task.name();

        let (started_tx, started_rx) = bounded(1);
        let (result_tx, result_rx) = bounded(1);
        // The thread that spawns the child must outlive it: the child's parent-death signal
        // fires when that *thread* exits. So this thread spawns, talks to and reaps the child.
        let supervisor = thread::Builder::new()
            .name(format!("process {name}"))
            .spawn(move || {
                let mut link = match Link::spawn() {
                    Ok(link) => link,
                    Err(e) => return drop(started_tx.send(Err(e))),
                };
                let _ = started_tx.send(Ok(Arc::clone(link.child())));
                let result = link
                    .run(
                        name,
                        &args,
                        1,
                        RunOptions {
                            exit_after: true,
                            ..RunOptions::default()
                        },
                    )
                    .into_single::<R>();
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

    /// Whether the child is still running.
    pub fn is_alive(&self) -> bool {
        self.child.try_wait().is_none()
    }

    /// Python's `exitcode`: `None` while running, else `0`, `n` for `exit(n)`, `-N` for signal `N`.
    pub fn exitcode(&self) -> Option<i32> {
        self.child.try_wait().map(Exit::python_exitcode)
    }

    /// Blocks until the child has exited and says how. Call [`join`](Self::join) for the result.
    pub fn wait(&self) -> Exit {
        self.child.wait()
    }

    /// Waits at most `timeout` for the child to exit; `None` if it is still running.
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
