//! The parent's end of one worker process: start it, send it work, read its answer, notice
//! when it dies or overruns a time limit, and decide what a death means for the chunk it held.

use std::io::{self, Read, Write};
use std::ops::Range;
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::attach::Attachments;
use crate::child::Child;
use crate::error::{Error, Exit, Result};
use crate::progress::{Position, Progress};
use crate::spawn::{self, StartMethod};
use crate::sys::{self, Ready, SharedFile};
use crate::wire::{self, Frame, FrameReader, FromWorker, Layout, PROTOCOL, SPIN, Source, ToWorker};

/// How long a new worker may take to say hello before we give up on it.
const HELLO_TIMEOUT: Duration = Duration::from_secs(30);

/// How often a timed task's clock is checked while its worker is silent.
const TICK: Duration = Duration::from_millis(20);

/// A chunk whose worker died while no item of it was running is run again on a new worker, at
/// most this many times in a row (in case something keeps killing fresh workers).
pub(crate) const RETRIES: u32 = 3;

// ANCHOR: rule
/// What happens to a chunk's items when its worker is lost (it died, or was killed for
/// overrunning a time limit): the dying-worker rule, in one place. `at` is where the worker
/// stood, `answered` how many items' results had already arrived, `len` the chunk's length.
///
/// The item that was running is blamed: it fails, and does not run again (it would likely take
/// the next worker down too). Every other unanswered item runs again on a new worker: the ones
/// after it never started, and the ones before it finished but their results were lost with
/// the worker. When no item was running (the worker had not started the chunk, was between two
/// items, or had finished them all), nobody is blamed and all of them run again.
pub(crate) fn after_loss(at: Position, answered: usize, len: usize) -> AfterLoss {
    match at {
        Position::Running { item, .. } if (answered..len).contains(&item) => AfterLoss {
            blamed: Some(item),
            rerun: [answered..item, item + 1..len],
        },
        _ => AfterLoss {
            blamed: None,
            rerun: [answered..len, len..len],
        },
    }
}
// ANCHOR_END: rule

/// See [`after_loss`]; ranges are offsets into the chunk, possibly empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AfterLoss {
    pub blamed: Option<usize>,
    pub rerun: [Range<usize>; 2],
}

/// A running worker process and our end of its channel.
#[derive(Debug)]
pub(crate) struct Link {
    child: Arc<Child>,
    /// Non-blocking: every wait on it goes through [`Watched`].
    sock: UnixStream,
    reader: FrameReader,
    progress: Progress,
    /// Large bodies: ours to the worker, and the worker's to us (see [`SharedFile`]).
    to_worker: SharedFile,
    from_worker: SharedFile,
    seq: u64,
    ready: bool,
    /// Chunks this worker has run, for `max_tasks_per_child`.
    pub tasks_done: usize,
}

/// A shared file that held a body at least this large is emptied once the body has been read,
/// so that an idle worker does not keep its memory.
const KEEP: usize = 4 << 20;

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

/// The arguments of one run: the bytes, how their values lie, and the descriptors they carry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Args<'a> {
    pub bytes: &'a [u8],
    pub layout: Layout,
    pub attached: &'a Attachments,
}

/// Outcomes that arrived early, in a part: `count` items from offset `first` of the chunk, with
/// their start and end times, and whether each succeeded, when traced.
pub(crate) type OnPart<'a> = &'a mut dyn FnMut(Frame, usize, usize, Vec<(u64, u64, bool)>);

/// What came back from a [`Link::run`].
#[derive(Debug)]
pub(crate) enum Reply {
    /// The last outcomes: `count` items from offset `first` of the chunk (the ones before came
    /// in parts), with their start and end times if traced. Fewer than the chunk's length in
    /// all: the worker stopped early and the rest never started.
    Done {
        frame: Frame,
        first: usize,
        count: usize,
        times: Vec<(u64, u64, bool)>,
    },
    /// The worker died; `at` says how far into the chunk it got; the first `answered` items had
    /// been given to the part callback.
    Died {
        pid: u32,
        exit: Exit,
        at: Position,
        answered: usize,
    },
    /// Item `item`, started at `started_ns` on the monotonic clock, overran the time limit;
    /// the worker was killed.
    TimedOut {
        item: usize,
        started_ns: u64,
        answered: usize,
    },
    /// The worker never became ready (it has been killed and reaped).
    Failed(Error),
}

impl Reply {
    /// The outcome of a single task run without a time limit: its result, or why it has none.
    pub(crate) fn into_single<R: DeserializeOwned>(self) -> Result<R> {
        match self {
            Reply::Done { frame, .. } => wire::decode_single(frame.body()),
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

/// Our end of the channel, read and written so that a wait also ends when the worker exits.
///
/// End of file alone is not enough: a task may have forked a grandchild (without `exec`) that
/// still holds the worker's end of the socket, and then end of file never comes, and a write to
/// a full socket never returns. So every wait watches the worker's pidfd as well; once the
/// worker has exited, what it wrote is all there, and past that the socket reads as ended.
struct Watched<'a> {
    sock: &'a UnixStream,
    child: &'a Child,
}

// ANCHOR: watched
impl Read for Watched<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match (&*self.sock).read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                done => return done,
            }
            let events = libc::POLLIN;
            if sys::poll_either(self.sock.as_fd(), events, self.child.pidfd(), None)?
                == Ready::Second
            {
                return match (&*self.sock).read(buf) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
                    done => done,
                };
            }
        }
    }
}
// ANCHOR_END: watched

impl Source for Watched<'_> {
    fn append_exact(&mut self, buf: &mut Vec<u8>, n: usize) -> io::Result<()> {
        // The socket's own `read_to_end` reads into the spare room without zero-filling it
        // (ours, through `read`, would not); on a non-blocking socket it stops at `WouldBlock`
        // with what it read so far appended.
        let end = buf.len() + n;
        let mut exited = false;
        while buf.len() < end {
            let left = (end - buf.len()) as u64;
            match self.sock.take(left).read_to_end(buf) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && exited => {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let (sock, pidfd) = (self.sock.as_fd(), self.child.pidfd());
                    exited = sys::poll_either(sock, libc::POLLIN, pidfd, None)? == Ready::Second;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl Write for Watched<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            match (&*self.sock).write(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                done => return done,
            }
            let events = libc::POLLOUT;
            if sys::poll_either(self.sock.as_fd(), events, self.child.pidfd(), None)?
                == Ready::Second
            {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A [`Watched`] whose first byte carries descriptors (SCM_RIGHTS): the attachments of a
/// task's arguments ride on the first byte of its frame, where the worker's reader finds them.
struct Attaching<'a> {
    watched: Watched<'a>,
    /// Still to send, with the first byte.
    fds: Option<Vec<std::os::fd::BorrowedFd<'a>>>,
}

impl Write for Attaching<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(fds) = &self.fds else {
            return self.watched.write(buf);
        };
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match sys::send_with_fds(self.watched.sock.as_fd(), &buf[..1], fds, true) {
                Ok(sent) => {
                    self.fds = None;
                    return Ok(sent);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            let (sock, pidfd) = (self.watched.sock.as_fd(), self.watched.child.pidfd());
            if sys::poll_either(sock, libc::POLLOUT, pidfd, None)? == Ready::Second {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Link {
    /// Starts a worker by `method` (see [`spawn::exec_worker`] for `name` and `label`). It is
    /// not ready yet: see [`Link::ready`].
    pub(crate) fn spawn(name: &str, label: &str, method: StartMethod) -> Result<Link> {
        let (child, sock) = spawn::start_worker(method, name, label).map_err(Error::spawn)?;
        // The progress page and the shared files go out now; the worker reads them when it gets
        // there. A one-byte message always fits in the socket buffer, so this does not wait.
        let (progress, page) = Progress::create().map_err(Error::spawn)?;
        let to_worker = SharedFile::create(c"common-to-worker").map_err(Error::spawn)?;
        let from_worker = SharedFile::create(c"common-from-worker").map_err(Error::spawn)?;
        let fds = [page.as_fd(), to_worker.as_fd(), from_worker.as_fd()];
        sys::send_with_fds(sock.as_fd(), &[0], &fds, false).map_err(Error::spawn)?;
        sys::set_nonblocking(sock.as_fd()).map_err(Error::spawn)?;
        Ok(Link {
            child,
            sock,
            reader: FrameReader::new(),
            progress,
            to_worker,
            from_worker,
            seq: 0,
            ready: false,
            tasks_done: 0,
        })
    }

    /// Waits until the worker has said hello (once). On failure the worker is killed and reaped.
    pub(crate) fn ready(&mut self) -> Result<()> {
        if self.ready {
            return Ok(());
        }
        let waited = match self.reader.has_buffered() {
            true => Ok(Ready::First),
            false => sys::poll_either(
                self.sock.as_fd(),
                libc::POLLIN,
                self.child.pidfd(),
                sys::deadline(HELLO_TIMEOUT),
            ),
        };
        if let Ok(Ready::TimedOut) | Err(_) = waited {
            return Err(self.not_ready("did not say hello within 30 s"));
        }
        let mut watched = Watched {
            sock: &self.sock,
            child: &self.child,
        };
        match self.reader.read_frame(&mut watched, None) {
            Ok(Some(frame)) => match frame.header::<FromWorker>() {
                Ok(FromWorker::Hello {
                    protocol: PROTOCOL, ..
                }) => {
                    self.ready = true;
                    Ok(())
                }
                Ok(FromWorker::Hello { protocol, .. }) => {
                    Err(self.not_ready(&format!("speaks protocol {protocol}, not {PROTOCOL}")))
                }
                Ok(FromWorker::Unready { reason }) => {
                    let pid = self.child.pid();
                    self.child.kill_and_wait();
                    Err(Error::spawn(io::Error::other(format!(
                        "worker {pid} could not set up: {reason}"
                    ))))
                }
                _ => Err(self.not_ready("sent something other than hello")),
            },
            _ => Err(self.not_ready("ended before it was ready")),
        }
    }

    /// Kills and reaps a worker that did not become ready, and says why. One killed by a signal
    /// (a `terminate` right after the start, say) died; one that exited by itself most likely
    /// ran the program instead of serving tasks.
    fn not_ready(&self, why: &str) -> Error {
        let pid = self.child.pid();
        match self.child.kill_and_wait() {
            exit @ Exit::Signal(_) => Error::WorkerDied {
                index: None,
                pid,
                exit,
            },
            Exit::Code(code) => Error::spawn(io::Error::other(format!(
                "worker {pid} {why} (exit code {code}); is common::init(...) the first line of \
                 main?"
            ))),
            exit => Error::spawn(io::Error::other(format!("worker {pid} {why} ({exit})"))),
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// The process, shared so another thread can kill it (terminate, timeouts).
    pub(crate) fn child(&self) -> &Arc<Child> {
        &self.child
    }

    /// Runs `task` on the `count` arguments `args` and waits for the answer. Results that
    /// arrive early, in parts, go to `on_part` as they come.
    pub(crate) fn run(
        &mut self,
        task: &str,
        args: Args<'_>,
        count: u32,
        options: RunOptions,
        on_part: OnPart<'_>,
    ) -> Reply {
        let reply = self.exchange(task, args, count, options, on_part);
        // Large bodies leave the shared files once read, so idle workers stay small.
        if args.bytes.len() >= KEEP {
            self.to_worker.clear();
        }
        if let Reply::Done { frame, .. } = &reply
            && frame.body().len() >= KEEP
        {
            self.from_worker.clear();
        }
        reply
    }

    fn exchange(
        &mut self,
        task: &str,
        args: Args<'_>,
        count: u32,
        options: RunOptions,
        on_part: OnPart<'_>,
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
            layout: args.layout,
            timed,
            exit_after,
            traced,
            count,
            attached: args.attached.ids(),
        };
        let mut answered = 0;
        // ANCHOR: wait_for_answer
        if self.send(&request, args).is_err() {
            return self.died(seq, answered);
        }
        if !self.reader.has_buffered() {
            sys::spin_until_readable(self.sock.as_fd(), SPIN);
        }
        loop {
            // No frame: the worker is gone (end of file), or overran its time limit.
            let frame = match self.next_frame(seq, limit, answered) {
                Ok(frame) => frame,
                Err(reply) => return reply,
            };
            match frame.header::<FromWorker>() {
                Ok(FromWorker::Part { seq, count, times }) if seq == self.seq => {
                    on_part(frame, answered, count as usize, times);
                    answered += count as usize;
                }
                Ok(FromWorker::Done { seq, count, times }) if seq == self.seq => {
                    return Reply::Done {
                        frame,
                        first: answered,
                        count: count as usize,
                        times,
                    };
                }
                // A worker that breaks the protocol cannot be trusted with more work.
                _ => return self.died(seq, answered),
            }
        }
        // ANCHOR_END: wait_for_answer
    }

    /// The worker's next frame, or the reply that ends the wait for one: the running item
    /// overran `limit` (and the worker was killed), or the worker is gone (end of file, an
    /// error, or a wait that failed).
    fn next_frame(
        &mut self,
        seq: u64,
        limit: Option<Duration>,
        answered: usize,
    ) -> std::result::Result<Frame, Reply> {
        if let Some(limit) = limit {
            self.watch_the_clock(seq, limit, answered)?;
        }
        let mut watched = Watched {
            sock: &self.sock,
            child: &self.child,
        };
        match self
            .reader
            .read_frame(&mut watched, Some(&self.from_worker))
        {
            Ok(Some(frame)) => Ok(frame),
            Ok(None) | Err(_) => Err(self.died(seq, answered)),
        }
    }

    /// For a timed call: waits until the worker has something to read (an answer, or the
    /// end), checking the running item's clock. If it overruns `limit` first, kills the worker.
    fn watch_the_clock(
        &self,
        seq: u64,
        limit: Duration,
        answered: usize,
    ) -> std::result::Result<(), Reply> {
        loop {
            match self.overran(seq, limit) {
                Ok((item, started_ns)) => {
                    self.child.kill_and_wait();
                    return Err(Reply::TimedOut {
                        item,
                        started_ns,
                        answered,
                    });
                }
                Err(_) if self.reader.has_buffered() => return Ok(()),
                Err(wait) => {
                    let (sock, pidfd) = (self.sock.as_fd(), self.child.pidfd());
                    match sys::poll_either(sock, libc::POLLIN, pidfd, sys::deadline(wait)) {
                        Ok(Ready::TimedOut) => {}
                        Ok(_) => return Ok(()), // an answer, or the end: reading tells which
                        Err(_) => return Err(self.died(seq, answered)),
                    }
                }
            }
        }
    }

    /// Sends a request whose arguments carry the descriptors `attached` (with its first byte).
    fn send(&self, request: &ToWorker, args: Args<'_>) -> io::Result<()> {
        let watched = Watched {
            sock: &self.sock,
            child: &self.child,
        };
        let shared = Some(&self.to_worker);
        if args.attached.is_empty() {
            return wire::write_frame(&mut { watched }, shared, request, args.bytes);
        }
        let fds = Some(args.attached.fds());
        wire::write_frame(&mut Attaching { watched, fds }, shared, request, args.bytes)
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
            Position::Idle => Err(TICK),
        }
    }

    // ANCHOR: died
    /// The worker is gone (or misbehaved): make sure it is dead, reap it, say how far it got.
    fn died(&self, seq: u64, answered: usize) -> Reply {
        // Killing a process that already exited does not change its exit status.
        let exit = self.child.kill_and_wait();
        Reply::Died {
            pid: self.pid(),
            exit,
            at: self.progress.position(seq),
            answered,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn running(item: usize) -> Position {
        Position::Running {
            item,
            started_ns: 0,
        }
    }

    #[test]
    fn the_running_item_is_blamed_and_every_other_unanswered_one_runs_again() {
        // Died at item 2 of 5: 2 fails, 0-1 (results lost) and 3-4 (never started) run again.
        assert_eq!(
            after_loss(running(2), 0, 5),
            AfterLoss {
                blamed: Some(2),
                rerun: [0..2, 3..5]
            }
        );
        // Items 0-2 had arrived in a part: only 3 and 4 are left besides the culprit.
        assert_eq!(after_loss(running(3), 3, 5).rerun, [3..3, 4..5]);
        // No item running (before, between, after): nobody is blamed; the rest runs again.
        // A worker lost after finishing every item reruns them all, as any lost result does.
        for answered in [0, 2] {
            assert_eq!(
                after_loss(Position::Idle, answered, 5),
                AfterLoss {
                    blamed: None,
                    rerun: [answered..5, 5..5]
                }
            );
        }
    }
}
