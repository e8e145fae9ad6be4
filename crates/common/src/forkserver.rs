//! The "forkserver" start method: a small copy of the program, made by [`init`](crate::init)
//! while the program still has one thread, that copies itself again for every new worker.
//!
//! **Why it is safe to fork.** Forking a program with threads is a trap: the copy has only the
//! thread that forked, and a lock another thread held at that moment (the allocator's, say)
//! stays locked in it forever. The server is copied at `init`, the first line of `main`, and
//! only if the process then has a single thread ([`sys::thread_count`]); otherwise there is no
//! server, and pools use the "spawn" method ([`StartMethod`](crate::StartMethod)). The server
//! itself never starts a thread, so each worker is a copy of a one-thread process, and may run
//! any code: no `exec`, no dynamic loading, nothing of the program run again.
//!
//! **Workers are the program's children.** The server copies itself with `CLONE_PARENT`: the
//! copy's parent is the server's parent, the program, which can wait for it and signal it
//! through the pidfd the server sends back. Both are "clone children" (exit signal 0), so a
//! `waitpid(-1)` elsewhere in the program never reaps them.
//!
//! **They die with the program.** `PR_SET_PDEATHSIG` fires when the parent *thread* exits. The
//! parent thread of the server, and so (through `CLONE_PARENT`) of every worker, is the thread
//! that called `init`: the main thread, the one thread there was. It exits when the program
//! does. (A program that ends its main thread early with `pthread_exit` ends its workers
//! with it.) The server also ends when its socket to the program closes.
//!
//! **What a worker inherits** is the program as it was at `init`: its memory (statics, the
//! heap, and whatever code before `init` set up), environment, working directory, user and
//! limits. Later changes in the program do not reach it. It does not inherit descriptors
//! (the server and the worker close them all, as "spawn" does), ignored or blocked signals
//! (reset, as "spawn" does), or the program's threads. Its standard output and error are the
//! program's current ones, sent with each request.

use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use crate::child::Child;
use crate::error::Exit;
use crate::sys::{self, Copied, Dispositions, Ready, ThreadIdentity};
use crate::task::Registered;
use crate::worker;

/// How long the server may take to answer a request.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// "Fork a worker", version 1: the first word of a request.
const REQUEST: u32 = 0x4653_0001;
/// Request flags: the program's standard output, and error, are attached.
const WITH_STDOUT: u32 = 1;
const WITH_STDERR: u32 = 2;
/// The longest label a request carries (what `ps` shows after the program's name).
const MAX_LABEL: usize = 120;

/// The program's end of its fork server.
#[derive(Debug)]
struct Server {
    /// One request at a time: a request and its answer are a pair.
    control: Mutex<OwnedFd>,
    pid: u32,
    pidfd: OwnedFd,
    /// How the server ended, once it is found to have.
    ended: Mutex<Option<Exit>>,
}

/// The server, or why there is none. Set by `init`.
static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts the fork server, unless this process has more than one thread now (then records
/// why there is none). Called by `init` in the program, once; later calls do nothing.
pub(crate) fn start(tasks: &[&dyn Registered]) {
    if SERVER.get().is_some() {
        return;
    }
    // SAFETY: `start_server` checks that this process has one thread before it copies it.
    let server = unsafe { start_server(tasks) };
    let _ = SERVER.set(server);
}

/// # Safety
/// Must run on the thread that called `init`, which is the only one if the server is started.
unsafe fn start_server(tasks: &[&dyn Registered]) -> Result<Server, String> {
    match sys::thread_count() {
        Ok(1) => {}
        Ok(n) => {
            return Err(format!(
                "common::init ran while this process had {n} threads (a process is only \
                 forked while it has one): call it first in main, before anything starts a \
                 thread"
            ));
        }
        Err(e) => {
            return Err(format!(
                "cannot tell how many threads this process has: {e}"
            ));
        }
    }
    sys::kernel_support()?;
    let identity = ThreadIdentity::of_this_thread()
        .map_err(|e| format!("cannot fork safely without exec here: {e}"))?;
    let (ours, theirs) = sys::seqpacket_pair().map_err(|e| e.to_string())?;
    let parent = std::process::id();
    let dispositions = Dispositions::now_with_ignored_reset();
    // Whatever the program buffered before `init` is written now, once, not by every copy.
    let _ = io::stdout().flush();
    sys::flush_c_stdio();
    // SAFETY: one thread (checked above), and `identity` is this thread's; no lock is held
    // here (`init` holds none, and the registry's lock was released).
    match unsafe { sys::copy_this_process(&identity, false) } {
        Err(e) => Err(format!("could not start the fork server: {e}")),
        Ok(Copied::Copy) => {
            drop(ours);
            // Never unwind out of here: above is `init`, and the program's `main`.
            let _ = std::panic::catch_unwind(AssertUnwindSafe(|| {
                let setup = Setup {
                    tasks,
                    parent,
                    identity: &identity,
                    dispositions: &dispositions,
                };
                serve_requests(theirs, &setup)
            }));
            sys::exit_now(101)
        }
        Ok(Copied::Original { pid, pidfd }) => Ok(Server {
            control: Mutex::new(ours),
            pid,
            pidfd,
            ended: Mutex::new(None),
        }),
    }
}

/// The process id of the fork server, if it runs.
pub(crate) fn pid() -> Option<u32> {
    let server = SERVER.get()?.as_ref().ok()?;
    server.alive().then_some(server.pid)
}

/// Why workers cannot be forked, if they cannot.
pub(crate) fn unavailable() -> Option<String> {
    match SERVER.get() {
        None => Some("common::init has not run".into()),
        Some(Err(why)) => Some(why.clone()),
        Some(Ok(server)) => server.ended().map(|exit| server.ended_message(exit)),
    }
}

impl Server {
    fn alive(&self) -> bool {
        self.ended().is_none()
    }

    /// How the server ended, if it has (reaping it).
    fn ended(&self) -> Option<Exit> {
        let mut ended = lock(&self.ended);
        if ended.is_none() {
            *ended = match sys::pidfd_wait(self.pidfd.as_fd(), false, true) {
                Ok(exit) => exit,
                Err(_) => Some(Exit::Unknown),
            };
        }
        *ended
    }

    fn ended_message(&self, exit: Exit) -> String {
        format!(
            "the fork server (process {}) has ended ({exit}); workers can only be started with \
             StartMethod::Spawn now",
            self.pid
        )
    }

    /// The error for a request the server did not answer: it ended, or misbehaved.
    fn failed(&self, what: &str) -> io::Error {
        // A server that is still running after a broken exchange cannot be trusted: end it.
        if self.ended().is_none() {
            let _ = sys::pidfd_send_signal(self.pidfd.as_fd(), libc::SIGKILL);
            let _ = sys::pidfd_wait(self.pidfd.as_fd(), true, false);
        }
        match self.ended() {
            Some(exit) => io::Error::other(format!("{what}: {}", self.ended_message(exit))),
            None => io::Error::other(what.to_owned()),
        }
    }
}

// ANCHOR: fork_worker
/// Asks the fork server for a new worker named `name` (`ps` shows `label` after the program's
/// name). Returns it (our child, watched through a pidfd) and our end of its channel, as
/// [`exec_worker`](crate::spawn::exec_worker) does.
pub(crate) fn fork_worker(name: &str, label: &str) -> io::Result<(Arc<Child>, UnixStream)> {
    let server = running_server()?;
    let (ours, theirs) = UnixStream::pair()?;
    // The worker's standard output and error are the program's now, not those it had at init.
    let (stdout, stderr) = (io::stdout(), io::stderr());
    let (flags, fds) = attachments(theirs.as_fd(), stdout.as_fd(), stderr.as_fd());
    let control = lock(&server.control);
    if sys::send_with_fds(control.as_fd(), &request(flags, label), &fds, false).is_err() {
        return Err(server.failed("the fork server took no request"));
    }
    drop(fds);
    drop(theirs); // the server has its own copy now
    let (pid, pidfds) = server.answer(control)?;
    Ok((server.adopt(pid, pidfds, name)?, ours))
}
// ANCHOR_END: fork_worker

/// The fork server, or why workers cannot be forked.
fn running_server() -> io::Result<&'static Server> {
    match SERVER.get() {
        Some(Ok(server)) => Ok(server),
        _ => {
            let why = unavailable().unwrap_or_default();
            Err(io::Error::new(io::ErrorKind::Unsupported, why))
        }
    }
}

/// What a request carries: the worker's end of its channel, then the program's standard output
/// and error, each only if it is open; the flags say which of the two came.
fn attachments<'a>(
    channel: BorrowedFd<'a>,
    stdout: BorrowedFd<'a>,
    stderr: BorrowedFd<'a>,
) -> (u32, Vec<BorrowedFd<'a>>) {
    let mut flags = 0;
    let mut fds = vec![channel];
    for (flag, fd) in [(WITH_STDOUT, stdout), (WITH_STDERR, stderr)] {
        if sys::is_open(fd.as_raw_fd()) {
            flags |= flag;
            fds.push(fd);
        }
    }
    (flags, fds)
}

impl Server {
    /// Waits for the answer to the request just sent on `control` (held until it is read):
    /// the new worker's pid and the descriptors that came with it, or the error `fork` gave.
    fn answer(&self, control: MutexGuard<'_, OwnedFd>) -> io::Result<(u32, Vec<OwnedFd>)> {
        let waited = sys::poll_either(
            control.as_fd(),
            libc::POLLIN,
            self.pidfd.as_fd(),
            sys::deadline(ANSWER_TIMEOUT),
        )?;
        if waited != Ready::First {
            return Err(self.failed("the fork server did not answer"));
        }
        let mut answer = [0u8; 8];
        let mut pidfds = Vec::new();
        let n = sys::read_with_fds(control.as_fd(), &mut answer, &mut pidfds)?;
        drop(control);
        if n != answer.len() {
            return Err(self.failed("the fork server gave no answer"));
        }
        let word = |at: usize| u32::from_le_bytes(answer[at..at + 4].try_into().expect("4 bytes"));
        let (errno, pid) = (word(0), word(4));
        if errno != 0 {
            // What `fork` would have said (EAGAIN: too many processes).
            return Err(io::Error::from_raw_os_error(errno as i32));
        }
        Ok((pid, pidfds))
    }

    /// Takes the new worker `pid` as our child named `name`, through the pidfd that came with
    /// the answer.
    fn adopt(&self, pid: u32, mut pidfds: Vec<OwnedFd>, name: &str) -> io::Result<Arc<Child>> {
        match (pidfds.pop(), pidfds.is_empty()) {
            (Some(pidfd), true) => Child::adopt_pidfd(pid, pidfd, name.to_owned()),
            // The worker exists, but its pidfd did not reach us (this process is out of
            // descriptors: the kernel dropped it). It is our child, unreaped: adopting it by
            // number makes a pidfd, or kills and reaps it, and says why.
            (None, _) => Child::adopt(pid, name.to_owned()),
            _ => Err(self.failed("the fork server sent more than a pidfd")),
        }
    }
}

/// The request for a worker labelled `label`, with the descriptors `flags` says.
fn request(flags: u32, label: &str) -> Vec<u8> {
    let mut request = Vec::with_capacity(8 + MAX_LABEL);
    request.extend_from_slice(&REQUEST.to_le_bytes());
    request.extend_from_slice(&flags.to_le_bytes());
    request.extend(label.bytes().filter(|&b| b != 0).take(MAX_LABEL));
    request
}

/// What the server makes a worker of, besides a copy of itself.
struct Setup<'a> {
    tasks: &'a [&'a dyn Registered],
    /// The program's process id: a copy whose parent is another process ends at once.
    parent: u32,
    /// The server's thread, as a copy must register it again (see [`sys::copy_this_process`]).
    identity: &'a ThreadIdentity,
    /// The program's signal dispositions at `init`, the ignored ones reset.
    dispositions: &'a Dispositions,
}

// ANCHOR: serve_requests
/// The server: forks a worker for each request, until the program closes its end.
fn serve_requests(control: OwnedFd, setup: &Setup<'_>) -> ! {
    let control = stand_apart(control, setup.parent);
    let command_line = CommandLine::of_the_server();
    loop {
        let answer = match receive(&control) {
            Received::Gone => sys::exit_now(0),
            Received::Malformed => Answer::failed(libc::EPROTO),
            Received::Request(request) => {
                // The copy is born with its own title (the original takes its own back below).
                command_line.show_worker(&request.label);
                // SAFETY: the server has one thread (it never starts one) and holds no lock;
                // `identity` is that thread's, read in the program before the server was copied.
                match unsafe { sys::copy_this_process(setup.identity, true) } {
                    Ok(Copied::Copy) => become_worker(setup, request, control),
                    Ok(Copied::Original { pid, pidfd }) => Answer::forked(pid, pidfd),
                    Err(e) => Answer::failed(e.raw_os_error().unwrap_or(libc::EAGAIN)),
                }
            }
        };
        command_line.show_server();
        if answer.send(&control).is_err() {
            sys::exit_now(0);
        }
    }
}
// ANCHOR_END: serve_requests

/// Sets the server apart from the program it is a copy of, or ends it; returns `control`.
fn stand_apart(control: OwnedFd, parent: u32) -> OwnedFd {
    // The server ends when the program does: at once if it dies (the signal), or when it
    // closes the socket (it exited, or exec'd another program).
    if sys::set_parent_death_signal(libc::SIGKILL).is_err() || sys::parent_pid() != parent {
        sys::exit_now(0);
    }
    // A Ctrl-C, a hang-up or a SIGTERM sent to the program's whole process group must not end
    // the server while the program lives on (it may handle them). Blocked, so that a worker,
    // born with the server's mask, keeps a signal sent to it before it has its own
    // dispositions.
    sys::block_all_signals();
    // Hold nothing of the program's: its descriptors (the channel aside) and its terminal.
    match keep_only(control) {
        Ok(control) => control,
        Err(_) => sys::exit_now(1),
    }
}

/// `ps` shows the program's command line for the server and for each worker (copies of it):
/// this makes it say what each process is, as a spawned worker's does.
struct CommandLine {
    program: String,
    server: String,
}

impl CommandLine {
    /// Names this process the fork server.
    fn of_the_server() -> CommandLine {
        let program = std::env::current_exe()
            .ok()
            .and_then(|path| path.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "common".into());
        let server = format!("{program} (fork server)");
        sys::rewrite_command_line(&server);
        sys::set_process_name("fork server");
        CommandLine { program, server }
    }

    fn show_worker(&self, label: &str) {
        sys::rewrite_command_line(&format!("{} ({label})", self.program));
    }

    fn show_server(&self) {
        sys::rewrite_command_line(&self.server);
    }
}

/// A request for a worker, as the server received it.
struct Request {
    /// Which of the program's standard streams came after the channel.
    flags: u32,
    label: String,
    /// The worker's end of its channel, then the streams.
    fds: Vec<OwnedFd>,
}

/// What the server read from the program.
enum Received {
    /// The program closed its end (or the socket failed): it is gone.
    Gone,
    /// Not a request this server understands (its descriptors are closed).
    Malformed,
    Request(Request),
}

/// Reads the next request.
fn receive(control: &OwnedFd) -> Received {
    let mut request = [0u8; 8 + MAX_LABEL];
    let mut fds = Vec::new();
    let n = match sys::read_with_fds(control.as_fd(), &mut request, &mut fds) {
        Ok(0) | Err(_) => return Received::Gone,
        Ok(n) => n,
    };
    let word = |at: usize| u32::from_le_bytes(request[at..at + 4].try_into().expect("4 bytes"));
    let flags = word(4);
    let expected = 1 + (flags & WITH_STDOUT != 0) as usize + (flags & WITH_STDERR != 0) as usize;
    if n < 8 || word(0) != REQUEST || fds.len() != expected {
        return Received::Malformed;
    }
    let label = String::from_utf8_lossy(&request[8..n]).into_owned();
    Received::Request(Request { flags, label, fds })
}

/// The server's answer to a request: the new worker's pid and a pidfd for it, or the error
/// number `fork` would have given.
struct Answer {
    errno: u32,
    pid: u32,
    pidfd: Option<OwnedFd>,
}

impl Answer {
    fn forked(pid: u32, pidfd: OwnedFd) -> Answer {
        Answer {
            errno: 0,
            pid,
            pidfd: Some(pidfd),
        }
    }

    fn failed(errno: i32) -> Answer {
        Answer {
            errno: errno as u32,
            pid: 0,
            pidfd: None,
        }
    }

    /// Sends the answer (its pidfd attached), read by [`Server::answer`].
    fn send(&self, control: &OwnedFd) -> io::Result<usize> {
        let mut reply = [0u8; 8];
        reply[..4].copy_from_slice(&self.errno.to_le_bytes());
        reply[4..].copy_from_slice(&self.pid.to_le_bytes());
        let attached: Vec<BorrowedFd<'_>> = self.pidfd.iter().map(|fd| fd.as_fd()).collect();
        sys::send_with_fds(control.as_fd(), &reply, &attached, false)
    }
}

/// Closes every descriptor but `control` (moved to 3) and puts `/dev/null` on the standard
/// streams.
fn keep_only(control: OwnedFd) -> io::Result<OwnedFd> {
    let control = sys::move_to(control, 3)?;
    sys::close_from(4)?;
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    for fd in 0..3 {
        sys::place(Some(null.as_raw_fd()), fd)?;
    }
    Ok(control)
}

/// In a copy of the server: closes the server's end of `control`, becomes a new worker of the
/// program and serves it.
fn become_worker(setup: &Setup<'_>, request: Request, control: OwnedFd) -> ! {
    drop(control);
    // Never unwind out of here, into the server's loop.
    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| serve_as_worker(setup, request)));
    sys::exit_now(101)
}

/// Sets up as a new worker of the program and serves it.
fn serve_as_worker(setup: &Setup<'_>, request: Request) -> ! {
    let Setup {
        tasks,
        parent,
        dispositions,
        ..
    } = *setup;
    let Request { flags, fds, .. } = request;
    // If the program died before we asked for the signal, our parent is someone else now.
    if sys::set_parent_death_signal(libc::SIGKILL).is_err() || sys::parent_pid() != parent {
        sys::exit_now(0);
    }
    dispositions.install();
    // The channel becomes standard input, as for a spawned worker; the streams 1 and 2.
    let mut fds = fds.into_iter();
    let channel = fds.next();
    let stdout = (flags & WITH_STDOUT != 0).then(|| fds.next()).flatten();
    let stderr = (flags & WITH_STDERR != 0).then(|| fds.next()).flatten();
    let raw = |fd: &Option<OwnedFd>| fd.as_ref().map(|fd| fd.as_raw_fd());
    let placed = sys::place(raw(&channel), 0)
        .and_then(|()| sys::place(raw(&stdout), 1))
        .and_then(|()| sys::place(raw(&stderr), 2));
    if placed.is_err() {
        sys::exit_now(101);
    }
    drop((channel, stdout, stderr)); // the originals; their copies are in place
    let code = worker::serve_forked(tasks);
    let _ = io::stdout().flush();
    let _ = io::stderr().flush();
    sys::exit_now(code)
}
