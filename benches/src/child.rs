//! Floors: this binary started again *without* the pool, to see what the pool adds.
//!
//! [`crate::init`] checks for [`FLOOR_ARG`] before anything else, as `common::init` checks for
//! its worker argument. `FLOOR_ARG exit` returns from `main` at once: starting and reaping it is
//! the least a new process of this binary can cost ([`reexec`]). `FLOOR_ARG echo` copies
//! standard input to standard output: a child on the other end of a raw pipe or socket, to
//! measure a round trip with no encoding and no protocol ([`Echo`]).

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// The first argument of a floor child; the second is `exit` or `echo`.
pub const FLOOR_ARG: &str = "--benches-floor-child";

/// In a child started by this module, does its job and exits; otherwise returns at once.
pub(crate) fn serve_if_child() {
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() != Some(FLOOR_ARG.as_ref()) {
        return;
    }
    let mode = args.next().unwrap_or_default();
    match mode.to_str() {
        Some("exit") => std::process::exit(0),
        Some("echo") => std::process::exit(match echo_stdin() {
            Ok(()) => 0,
            Err(_) => 1,
        }),
        _ => {
            support::errln!("benches: unknown floor mode {mode:?}");
            std::process::exit(2)
        }
    }
}

/// Copies stdin to stdout as bytes arrive, until end of file.
fn echo_stdin() -> io::Result<()> {
    let mut input = io::stdin().lock();
    // `io::stdout()` is line-buffered; a `File` on fd 1 writes each chunk through at once.
    let mut output = std::fs::File::from(io::stdout().as_fd().try_clone_to_owned()?);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        output.write_all(&buf[..n])?;
    }
}

/// This binary, as the pool starts it (`/proc/self/exe` names it even if the file changed).
fn this_binary(mode: &str) -> Command {
    let mut command = Command::new("/proc/self/exe");
    command.args([FLOOR_ARG, mode]);
    command
}

/// Starts this binary again in a mode that exits at once, and waits for it: the floor under
/// [`common::Process`] start + join.
pub fn reexec() -> io::Result<()> {
    let status = this_binary("exit").stdin(Stdio::null()).status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "bare re-exec ended with {status}"
        )))
    }
}

/// Starts `/bin/true` (a small C program) and waits for it: what starting any new program
/// costs on this machine, below which no re-executing design can go.
pub fn spawn_true() -> io::Result<()> {
    let status = Command::new("/bin/true").stdin(Stdio::null()).status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("/bin/true ended with {status}")))
    }
}

/// A child process that echoes what it is sent, over a pipe pair or a Unix socket.
#[derive(Debug)]
pub struct Echo {
    child: Child,
    to_child: Box<dyn WriteSend>,
    from_child: Box<dyn ReadSend>,
}

trait WriteSend: Write + Send + std::fmt::Debug {}
impl<T: Write + Send + std::fmt::Debug> WriteSend for T {}
trait ReadSend: Read + Send + std::fmt::Debug {}
impl<T: Read + Send + std::fmt::Debug> ReadSend for T {}

impl Echo {
    /// An echo child on two pipes (its stdin and stdout).
    pub fn pipe() -> io::Result<Echo> {
        let mut child = this_binary("echo")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let to_child: ChildStdin = child.stdin.take().expect("piped");
        let from_child: ChildStdout = child.stdout.take().expect("piped");
        Ok(Echo {
            child,
            to_child: Box::new(to_child),
            from_child: Box::new(from_child),
        })
    }

    /// An echo child on one end of a Unix socket pair (the pool's channel is the same kind).
    pub fn socket() -> io::Result<Echo> {
        let (ours, theirs) = UnixStream::pair()?;
        let theirs = OwnedFd::from(theirs);
        let child = this_binary("echo")
            .stdin(Stdio::from(theirs.try_clone()?))
            .stdout(Stdio::from(theirs))
            .spawn()?;
        Ok(Echo {
            child,
            to_child: Box::new(ours.try_clone()?),
            from_child: Box::new(ours),
        })
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `message` and reads it back into `reply` (same length). Messages larger than the
    /// pipe buffer are written by a helper thread while this one reads, as they must be.
    pub fn round_trip(&mut self, message: &[u8], reply: &mut [u8]) -> io::Result<()> {
        assert_eq!(message.len(), reply.len());
        if message.len() <= 4096 {
            self.to_child.write_all(message)?;
            return self.from_child.read_exact(reply);
        }
        let (to_child, from_child) = (&mut self.to_child, &mut self.from_child);
        std::thread::scope(|s| {
            let writer = s.spawn(move || to_child.write_all(message));
            let read = from_child.read_exact(reply);
            let written = writer.join().expect("the writer thread does not panic");
            written.and(read)
        })
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        // Closing our end makes the child see end of file and exit; then reap it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
