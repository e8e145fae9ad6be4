//! The worker side: what a re-executed binary does when [`init`] finds it is a worker.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;

use crate::attach::{self, WithDescriptors};
use crate::chunk::ChunkRun;
use crate::forked;
use crate::panic::{self, Capture};
use crate::progress::Progress;
use crate::sys;
use crate::task::{self, Registered};
use crate::wire::{self, Failure, FrameReader, FromWorker, PROTOCOL, SPIN, ToWorker};

/// A worker's first argument, followed by the parent's process id. Its presence is what makes
/// [`init`] serve tasks instead of returning. An argument rather than an environment variable:
/// programs a task starts do not inherit it, so they are never mistaken for workers.
pub(crate) const WORKER_ARG: &str = "--common-pool-worker";

/// Registers the tasks this binary can run in a worker, and turns this process into a worker if
/// it was started as one. Call it first thing in `main`.
///
/// A worker is this same binary started again by a [`Pool`](crate::Pool) or
/// [`Process`](crate::Process). In the parent, `init` records the task names and returns at
/// once. In a worker it never returns: it runs tasks for its parent until the parent closes the
/// channel or dies, then exits. This is the Rust counterpart of Python's
/// `if __name__ == "__main__":` guard, made impossible to forget: pools and processes refuse to
/// start ([`Error::NotInitialized`](crate::Error::NotInitialized)) until `init` has run.
///
/// ```
/// fn square(x: i64) -> i64 {
///     x * x
/// }
/// const SQUARE: common::Task<i64, i64> = common::task!(square);
///
/// fn main() {
///     common::init(&[&SQUARE]);
///     // ... the program proper: only the parent gets here.
/// }
/// ```
///
/// The worker flag typed by hand (no pool started this process) is a usage error: one line on
/// stderr, exit code 2.
///
/// # Panics
/// If a task is listed twice.
// ANCHOR: init
pub fn init(tasks: &[&dyn Registered]) {
    task::register(tasks);
    let mut args = arguments().into_iter().skip(1);
    if args.next().as_deref() != Some(WORKER_ARG.as_ref()) {
        return;
    }
    let parent = args.next().unwrap_or_default();
    if !sys::stdin_is_socket() {
        say(format_args!(
            "error: {WORKER_ARG} is for the worker processes a pool starts, not for use by hand (see --help)"
        ));
        std::process::exit(2);
    }
    let code = match serve(tasks, &parent) {
        Ok(code) => code,
        Err(e) => {
            say(format_args!(
                "common: worker {} stopped: {e}",
                std::process::id()
            ));
            101
        }
    };
    std::process::exit(code)
}
// ANCHOR_END: init

/// This process's arguments. Before `main` (see [`enable_test_support!`](crate::enable_test_support))
/// the standard library may not have them yet on every C library, but /proc always does.
fn arguments() -> Vec<OsString> {
    let args: Vec<OsString> = std::env::args_os().collect();
    if !args.is_empty() {
        return args;
    }
    std::fs::read("/proc/self/cmdline")
        .map(|all| {
            all.split(|&b| b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| OsString::from(std::ffi::OsStr::from_bytes(a)))
                .collect()
        })
        .unwrap_or_default()
}

/// A line on stderr that cannot panic (`eprintln!` does when stderr is closed or full).
fn say(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr(), "{line}");
}

/// Runs tasks for the parent; returns the exit code.
// ANCHOR: serve_start
fn serve(tasks: &[&dyn Registered], parent: &OsString) -> io::Result<i32> {
    // If the parent dies, so do we, even in the middle of a long task. The signal is tied to
    // the parent *thread* that spawned us; the parent keeps that thread alive while we live.
    sys::set_parent_death_signal(libc::SIGKILL)?;
    let parent: u32 = parent
        .to_str()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| io::Error::other(format!("{WORKER_ARG} needs the parent's process id")))?;
    if sys::parent_pid() != parent {
        // The parent died before we could ask to die with it: there is nobody left to work
        // for, or to tell. (A person typing the flag has no channel on stdin: `init` caught
        // that already.)
        return Ok(1);
    }
    // Start clean, before any task runs: descriptors the parent left open without
    // close-on-exec are not ours to hold (Python closes them too). Our channel is stdin; it
    // moves high, out of the way of a task that closes descriptors 3, 4, 5…, and a task that
    // reads stdin sees end of file. (Signals were reset to their defaults at the spawn.)
    sys::close_from(3)?;
    let channel = sys::move_high(io::stdin().as_fd())?;
    sys::stdin_from_dev_null()?;
    // As the Rust runtime does before `main` (which a worker started by a test's constructor
    // never reaches): a broken pipe is an error, not a death.
    sys::ignore_sigpipe();
    forked::guard(channel.as_raw_fd())?;
    // We were started as /proc/self/exe, so the kernel named us "exe"; take the program's
    // name back, so `top` shows which program a worker belongs to.
    if let Some(name) = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
    {
        sys::set_process_name(&name);
    }
    let mut sock = UnixStream::from(channel);
    let progress = Progress::open(sys::recv_fd(&sock)?)?;
    let hello = FromWorker::Hello {
        pid: std::process::id(),
        protocol: PROTOCOL,
    };
    wire::write_frame(&mut sock, &hello, &[])?;
    // ANCHOR_END: serve_start

    let tasks: HashMap<&str, &dyn Registered> = tasks.iter().map(|t| (t.key(), *t)).collect();
    let mut out = Vec::new();
    let mut reader = FrameReader::new();
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
        let Some(frame) = reader.read_frame(&mut source)? else {
            break;
        };
        let ToWorker::Run {
            seq,
            task,
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
        let mut run = ChunkRun::new(
            &progress,
            seq,
            timed,
            traced,
            &mut out,
            &mut sock,
            wire::MAX_BODY,
        );
        attach::receiving(attached, || {
            panic::capturing(capture, || match tasks.get(task.as_str()) {
                Some(task) => task.run_chunk(frame.body(), count as usize, &mut run),
                None => unregistered(&task, count, &mut run),
            })
        })?;
        let ended = run.end();
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
        wire::write_frame(&mut sock, &done, &out)?;
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

/// Every item of a chunk whose task this binary does not have fails (the parent checks first,
/// so only a parent and worker out of step get here).
fn unregistered(name: &str, count: u32, run: &mut ChunkRun<'_>) -> io::Result<()> {
    for item in 0..count as usize {
        run.before(item);
        run.push_failure(Failure::Unregistered(name.to_owned()))?;
    }
    Ok(())
}
