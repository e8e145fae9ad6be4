//! The worker side: serving tasks for the parent over the channel, however the worker was
//! started (re-executed and found by [`init`](crate::init), or forked by the fork server).

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;

use crate::attach::{self, WithDescriptors};
use crate::chunk::{ChunkRun, Sink};
use crate::forked;
use crate::panic::{self, Capture};
use crate::progress::Progress;
use crate::sys::{self, SharedFile};
use crate::task::Registered;
use crate::wire::{self, Failure, FrameReader, FromWorker, PROTOCOL, SPIN, ToWorker};

/// A worker's first argument, followed by the parent's process id. Its presence is what makes
/// [`init`](crate::init) serve tasks instead of returning. An argument rather than an environment variable:
/// programs a task starts do not inherit it, so they are never mistaken for workers.
pub(crate) const WORKER_ARG: &str = "--common-pool-worker";

/// A worker started by "spawn": `init` found the worker flag, followed by `parent`. Serves
/// tasks; returns the exit code.
pub(crate) fn serve_spawned(tasks: &[&dyn Registered], parent: &OsString) -> i32 {
    match spawned(parent) {
        Ok(true) => serve(tasks).unwrap_or_else(stopped),
        // The parent died before we could ask to die with it: there is nobody left to work
        // for, or to tell. (A person typing the flag has no channel on stdin: `init` caught
        // that already.)
        Ok(false) => 1,
        Err(e) => stopped(e),
    }
}

/// A worker forked by the fork server, already a child of the program with the channel on its
/// standard input. Serves tasks; returns the exit code.
pub(crate) fn serve_forked(tasks: &[&dyn Registered]) -> i32 {
    serve(tasks).unwrap_or_else(stopped)
}

/// The exit code of a worker that stopped on an error, which it reports.
fn stopped(e: io::Error) -> i32 {
    say(format_args!(
        "common: worker {} stopped: {e}",
        std::process::id()
    ));
    101
}

/// A spawned worker makes sure it dies with its parent; `false` if the parent is gone already.
// ANCHOR: parent_death
fn spawned(parent: &OsString) -> io::Result<bool> {
    // If the parent dies, so do we, even in the middle of a long task. The signal is tied to
    // the parent *thread* that spawned us; the parent keeps that thread alive while we live.
    sys::set_parent_death_signal(libc::SIGKILL)?;
    let parent = parent_pid_argument(parent)?;
    Ok(sys::parent_pid() == parent)
}
// ANCHOR_END: parent_death

/// The parent's process id, as the argument after [`WORKER_ARG`] gives it.
fn parent_pid_argument(parent: &OsString) -> io::Result<u32> {
    parent
        .to_str()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| io::Error::other(format!("{WORKER_ARG} needs the parent's process id")))
}

/// A line on stderr that cannot panic (`eprintln!` does when stderr is closed or full).
pub(crate) fn say(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr(), "{line}");
}

// ANCHOR: serve_start
/// Sets the worker up before any task runs; returns the channel, no longer on standard input.
fn start_clean() -> io::Result<OwnedFd> {
    // Descriptors the parent left open without close-on-exec are not ours to hold (Python
    // closes them too). Our channel is stdin; it moves high, out of the way of a task that
    // closes descriptors 3, 4, 5…, and a task that reads stdin sees end of file. (Signals were
    // reset to their defaults at the start.)
    sys::close_from(3)?;
    let channel = sys::move_high(io::stdin().as_fd())?;
    sys::stdin_from_dev_null()?;
    // As the Rust runtime does before `main` (which a worker started by a test's constructor
    // never reaches): a broken pipe is an error, not a death.
    sys::ignore_sigpipe();
    forked::guard(channel.as_raw_fd())?;
    take_the_programs_name();
    Ok(channel)
}

/// Runs tasks for the parent, on the channel it gave us as standard input; returns the exit code.
fn serve(tasks: &[&dyn Registered]) -> io::Result<i32> {
    let mut sock = UnixStream::from(start_clean()?);
    let (progress, from_parent, to_parent) = match receive_shared(&sock) {
        Ok(shared) => shared,
        Err(e) => return Ok(unready(&mut sock, &e)),
    };
    let hello = FromWorker::Hello {
        pid: std::process::id(),
        protocol: PROTOCOL,
    };
    wire::write_frame(&mut sock, None, &hello, &[])?;
    // ANCHOR_END: serve_start

    let tasks: HashMap<&str, &dyn Registered> = tasks.iter().map(|t| (t.key(), *t)).collect();
    let mut out = Vec::new();
    // SAFETY: the parent writes its shared file only before it sends us a task, and touches it
    // again only once it has our answer, by which time the task's frame has been dropped.
    let mut reader = unsafe { FrameReader::mapping() };
    // Descriptors that came with a frame's first byte, until its `Run` claims them.
    let mut fds = Vec::new();
    loop {
        // The next task often follows at once (a loop of `apply`, the next chunk of a `map`).
        if !reader.has_buffered() {
            sys::spin_until_readable(sock.as_fd(), SPIN);
        }
        let mut source = WithDescriptors {
            sock: &mut sock,
            fds: &mut fds,
        };
        let Some(frame) = reader.read_frame(&mut source, Some(&from_parent))? else {
            break;
        };
        let ToWorker::Run {
            seq,
            task,
            layout,
            timed,
            exit_after,
            traced,
            count,
            attached,
        } = frame.header()?;
        // The arguments' descriptors, for their decoders to find (see `attach`).
        let attached = source.claim(attached)?;
        // A Process prints its panics as well, as Python prints the traceback in the child;
        // a pool's worker leaves that to the caller, who gets the panic as an error.
        let capture = if exit_after {
            Capture::Printed
        } else {
            Capture::Quiet
        };
        let sink = Sink {
            channel: &mut sock,
            shared: Some(&to_parent),
            limit: wire::MAX_BODY,
        };
        let mut run = ChunkRun::new(&progress, (seq, layout), timed, traced, &mut out, sink);
        attach::receiving(attached, || {
            panic::capturing(capture, || match tasks.get(task.as_str()) {
                Some(task) => task.run_chunk(frame.body(), count as usize, &mut run),
                None => unregistered(&task, count, &mut run),
            })
        })?;
        let ended = run.end();
        // Done with the arguments (a mapping of the parent's file, perhaps) before answering:
        // once it has the answer, the parent may reuse or empty that file.
        drop(frame);
        // Output printed by the tasks reaches the terminal before the results reach the parent.
        // Flushed before the page says "idle": a flush can block (a full pipe), and until then
        // a death or a time limit is pinned on the last item, not on nobody.
        let _ = io::stdout().flush();
        let _ = io::stderr().flush();
        progress.idle(seq);
        let done = FromWorker::Done {
            seq,
            count: ended.count,
            times: ended.times,
        };
        wire::write_frame(&mut sock, Some(&to_parent), &done, &out)?;
        if exit_after {
            // Python's convention for a Process: exit code 1 when the target raised.
            return Ok(if ended.all_ok { 0 } else { 1 });
        }
        if out.capacity() > 1 << 20 {
            // Do not keep a huge buffer around between tasks: idle workers should stay small.
            out = Vec::new();
        }
    }
    Ok(0)
}

/// Spawned as /proc/self/exe, the kernel named us "exe"; forked, we have the server's name.
/// Takes the program's name back, so `top` shows which program a worker belongs to.
fn take_the_programs_name() {
    if let Some(name) = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
    {
        sys::set_process_name(&name);
    }
}

/// Receives what the parent sends first, on `sock`: the progress page (mapped, then closed) and
/// the two shared files for large bodies (the parent's, which we read, and ours, which we
/// write), kept high like the channel.
fn receive_shared(sock: &UnixStream) -> io::Result<(Progress, SharedFile, SharedFile)> {
    let mut fds = Vec::new();
    sys::read_with_fds(sock.as_fd(), &mut [0], &mut fds)?;
    let [page, theirs, ours]: [OwnedFd; 3] = fds.try_into().map_err(|fds: Vec<OwnedFd>| {
        // The kernel drops what does not fit in our descriptor table.
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} of its 3 shared descriptors arrived (is the descriptor limit, ulimit -n, \
                 too low?)",
                fds.len()
            ),
        )
    })?;
    let progress = Progress::open(page)?;
    let from_parent = SharedFile::from_fd(sys::move_high(theirs.as_fd())?);
    let to_parent = SharedFile::from_fd(sys::move_high(ours.as_fd())?);
    drop((theirs, ours));
    Ok((progress, from_parent, to_parent))
}

/// A worker that could not set up tells its parent why, instead of saying hello, and leaves
/// the reporting to it: one line, from the program, rather than one from every worker. If the
/// parent cannot be told, it has given up on this worker already (and said why) or is gone.
/// Returns the exit code.
fn unready(sock: &mut UnixStream, why: &io::Error) -> i32 {
    let unready = FromWorker::Unready {
        reason: why.to_string(),
    };
    let _ = wire::write_frame(sock, None, &unready, &[]);
    101
}

/// Every item of a chunk whose task this binary does not have fails (the parent checks first,
/// so only a parent and worker out of step get here).
fn unregistered(name: &str, count: u32, run: &mut ChunkRun<'_>) -> io::Result<()> {
    for item in 0..count as usize {
        run.before(item);
        run.push_failure(Failure::Unregistered(name.to_owned()))?;
    }
    Ok(())
}
