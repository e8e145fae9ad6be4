//! The parent's end of one worker process: start it, send it work, read its answer, notice
//! when it dies or overruns a time limit.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::child::Child;
use crate::error::{Error, Exit, Result};
use crate::progress::{Position, Progress};
use crate::sys;
use crate::wire::{self, Frame, FrameReader, FromWorker, PROTOCOL, ToWorker};
use crate::worker::WORKER_ARG;

/// How long a new worker may take to say hello before we give up on it.
const HELLO_TIMEOUT: Duration = Duration::from_secs(30);

/// How long to wait for an answer awake before blocking (see [`sys::spin_until_readable`]).
pub(crate) const SPIN: Duration = Duration::from_micros(50);

/// How often a timed task's clock is checked while its worker is silent.
const TICK: Duration = Duration::from_millis(20);

/// A running worker process and our end of its channel.
#[derive(Debug)]
pub(crate) struct Link {
    child: Arc<Child>,
    sock: UnixStream,
    reader: FrameReader,
    progress: Progress,
    seq: u64,
    ready: bool,
    /// Chunks this worker has run, for `max_tasks_per_child`.
    pub tasks_done: usize,
}

/// How to run one chunk.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RunOptions {
    /// Time limit per item: an item running longer is killed with its worker.
    pub limit: Option<Duration>,
    /// The worker exits after answering (a [`Process`](crate::Process)).
    pub exit_after: bool,
    /// Ask for each item's start and end time.
    pub traced: bool,
}

/// What came back from a [`Link::run`].
#[derive(Debug)]
pub(crate) enum Reply {
    /// The outcomes, one per item, in the frame's body; start and end of each item if traced.
    Done {
        frame: Frame,
        times: Vec<(u64, u64, bool)>,
    },
    /// The worker died; `at` says how far into the chunk it got.
    Died { pid: u32, exit: Exit, at: Position },
    /// Item `item`, started at `started_ns` on the monotonic clock, overran the time limit;
    /// the worker was killed.
    TimedOut { item: usize, started_ns: u64 },
    /// The worker never became ready (it has been killed and reaped).
    Failed(Error),
}

impl Reply {
    /// The outcome of a single task run without a time limit: its result, or why it has none.
    pub(crate) fn into_single<R: DeserializeOwned>(self) -> Result<R> {
        match self {
            Reply::Done { frame, .. } => crate::pool::decode_one(frame.body()),
            Reply::Died { pid, exit, .. } => Err(Error::WorkerDied {
                index: None,
                pid,
                exit,
            }),
            Reply::Failed(e) => Err(e),
            Reply::TimedOut { .. } => unreachable!("no time limit was set"),
        }
    }
}

impl Link {
    // ANCHOR: spawn
    /// Starts this binary again as a worker. It is not ready yet: see [`Link::ready`].
    pub(crate) fn spawn() -> Result<Link> {
        let (sock, theirs) = UnixStream::pair().map_err(Error::spawn)?;
        let (progress, page) = Progress::create().map_err(Error::spawn)?;
        // /proc/self/exe names the running binary even if its file was replaced since.
        let mut command = Command::new("/proc/self/exe");
        command
            .arg0(worker_label())
            .arg(WORKER_ARG)
            .arg(std::process::id().to_string())
            .stdin(Stdio::from(OwnedFd::from(theirs)));
        let child = command
            .spawn()
            .map_err(|e| Error::spawn(name_the_binary(e)))?;
        // From here on `Child` owns the process: if anything fails, dropping it kills and reaps.
        let child = Arc::new(Child::new(child.id()));
        drop(command); // closes our copy of the worker's end, so its death shows as end-of-file
        // The page goes out now; the worker reads it when it gets there. A one-byte message
        // always fits in the socket buffer, so this does not wait for the worker.
        let _ = sys::send_fd(&sock, page.as_fd());
        Ok(Link {
            child,
            sock,
            reader: FrameReader::new(),
            progress,
            seq: 0,
            ready: false,
            tasks_done: 0,
        })
    }
    // ANCHOR_END: spawn

    /// Waits until the worker has said hello (once). On failure the worker is killed and reaped.
    pub(crate) fn ready(&mut self) -> Result<()> {
        if self.ready {
            return Ok(());
        }
        let failed = |link: &Link, why: &str| {
            let exit = link.child.kill_and_wait();
            Error::spawn(io::Error::other(format!(
                "worker {} {why} ({exit}); is common::init(...) the first line of main?",
                link.child.pid()
            )))
        };
        if !self.reader.has_buffered()
            && !sys::poll_readable(self.sock.as_fd(), HELLO_TIMEOUT).unwrap_or(false)
        {
            return Err(failed(self, "did not say hello within 30 s"));
        }
        match self.reader.read_frame(&mut self.sock) {
            Ok(Some(frame)) => match frame.header::<FromWorker>() {
                Ok(FromWorker::Hello {
                    protocol: PROTOCOL, ..
                }) => {
                    self.ready = true;
                    Ok(())
                }
                Ok(FromWorker::Hello { protocol, .. }) => Err(failed(
                    self,
                    &format!("speaks protocol {protocol}, not {PROTOCOL}"),
                )),
                _ => Err(failed(self, "sent something other than hello")),
            },
            _ => Err(failed(self, "exited at start-up")),
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// The process, shared so another thread can kill it (terminate, timeouts).
    pub(crate) fn child(&self) -> &Arc<Child> {
        &self.child
    }

    /// Runs `task` on the `count` encoded arguments in `args` and waits for the
    /// answer.
    pub(crate) fn run(
        &mut self,
        task: &str,
        args: &[u8],
        count: u32,
        options: RunOptions,
    ) -> Reply {
        if let Err(e) = self.ready() {
            return Reply::Failed(e);
        }
        self.seq += 1;
        let seq = self.seq;
        let RunOptions {
            limit,
            exit_after,
            traced,
        } = options;
        let timed = limit.is_some();
        let request = ToWorker::Run {
            seq,
            task: task.to_owned(),
            timed,
            exit_after,
            traced,
            count,
        };
        // ANCHOR: wait_for_answer
        if wire::write_frame(&mut self.sock, &request, args).is_err() {
            return self.died(seq);
        }
        if !self.reader.has_buffered() {
            sys::spin_until_readable(self.sock.as_fd(), SPIN);
        }
        loop {
            if let Some(limit) = limit {
                match self.overran(seq, limit) {
                    Ok((item, started_ns)) => {
                        self.child.kill_and_wait();
                        return Reply::TimedOut { item, started_ns };
                    }
                    Err(_) if self.reader.has_buffered() => {}
                    Err(wait) => match sys::poll_readable(self.sock.as_fd(), wait) {
                        Ok(true) => {}
                        Ok(false) => continue,
                        Err(_) => return self.died(seq),
                    },
                }
            }
            return match self.reader.read_frame(&mut self.sock) {
                Ok(Some(frame)) => match frame.header::<FromWorker>() {
                    Ok(FromWorker::Done { seq: done, times }) if done == seq => {
                        Reply::Done { frame, times }
                    }
                    // A worker that breaks the protocol cannot be trusted with more work.
                    _ => self.died(seq),
                },
                Ok(None) | Err(_) => self.died(seq),
            };
        }
        // ANCHOR_END: wait_for_answer
    }

    /// `Ok((item, started_ns))` if the running item has overrun `limit`, else how long to wait
    /// before looking again.
    fn overran(&self, seq: u64, limit: Duration) -> Result<(usize, u64), Duration> {
        match self.progress.position(seq) {
            Position::Running { item, started_ns } => {
                let ran = Duration::from_nanos(sys::monotonic_nanos().saturating_sub(started_ns));
                if ran >= limit {
                    Ok((item, started_ns))
                } else {
                    Err((limit - ran).min(TICK))
                }
            }
            Position::Finished | Position::NotStarted => Err(TICK),
        }
    }

    // ANCHOR: died
    /// The worker is gone (or misbehaved): make sure it is dead, reap it, say how far it got.
    fn died(&self, seq: u64) -> Reply {
        // Killing a process that already exited does not change its exit status.
        let exit = self.child.kill_and_wait();
        Reply::Died {
            pid: self.pid(),
            exit,
            at: self.progress.position(seq),
        }
    }
    // ANCHOR_END: died

    /// Ends an idle worker: closing the channel makes it exit; a worker that does not within a
    /// grace period is killed. Returns how it ended.
    pub(crate) fn shutdown(self) -> Exit {
        let Link { child, sock, .. } = self;
        drop(sock);
        child
            .wait_timeout(Duration::from_secs(2))
            .unwrap_or_else(|| child.kill_and_wait())
    }
}

/// A failure to run `/proc/self/exe` that is about the file names it (where `/proc` is not
/// mounted, the bare "No such file or directory" would not say which file).
fn name_the_binary(e: io::Error) -> io::Error {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied => {
            io::Error::new(e.kind(), format!("/proc/self/exe: {e} (is /proc mounted?)"))
        }
        _ => e,
    }
}

/// `argv[0]` of a worker, so `ps` and `top` show `q5_pool (pool worker)`.
fn worker_label() -> String {
    let program = std::env::current_exe()
        .ok()
        .and_then(|path| path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "common".to_owned());
    format!("{program} (pool worker)")
}
