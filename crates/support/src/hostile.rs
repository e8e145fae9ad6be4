//! Running a program the way a hostile but ordinary user would: its output into a pipe nobody
//! reads, onto a full disk, with few processes or file descriptors allowed, on a terminal. For
//! the exercises' tests: each helper sets up a real [`Command`], so the program meets the real
//! thing (a real pipe, `/dev/full`, a real resource limit, a real pseudo-terminal).

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The write end of a pipe whose read end is already closed: every write to it fails with a
/// broken pipe, deterministically (no race with a reader that would have read a line first).
/// Give it to [`Command::stdout`].
pub fn closed_pipe() -> io::Result<io::PipeWriter> {
    let (reader, writer) = io::pipe()?;
    drop(reader);
    Ok(writer)
}

/// `/dev/full`, open for writing: every write fails with "No space left on device", as on a
/// full disk. Give it to [`Command::stdout`] or [`Command::stderr`].
pub fn full_disk() -> io::Result<File> {
    File::options().write(true).open("/dev/full")
}

/// How long the checks below let a program run before they kill it and fail: far beyond what
/// any of them needs, so only a hang reaches it.
pub const LIMIT: Duration = Duration::from_secs(120);

/// Runs `cmd` to its end (killing it after [`LIMIT`]) and returns how it ended and what it
/// wrote to standard error. Standard output is whatever `cmd` was given (null if nothing).
pub fn run(cmd: &mut Command) -> io::Result<(ExitStatus, String)> {
    let mut child = cmd.stdin(Stdio::null()).stderr(Stdio::piped()).spawn()?;
    let mut stderr = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{cmd:?} still running after {LIMIT:?}"),
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Ok((status, reader.join().unwrap_or_default()))
}

/// Checks the rule for a reader who went away: with standard output on a [`closed_pipe`],
/// `cmd` ends by SIGPIPE and says nothing (see [`crate::out`]).
///
/// # Panics
/// If it does not (this is an assertion for tests).
pub fn assert_quiet_on_a_closed_pipe(cmd: &mut Command) {
    use std::os::unix::process::ExitStatusExt;
    let (status, stderr) = run(cmd.stdout(closed_pipe().expect("a pipe"))).expect("it runs");
    assert_eq!(
        (status.signal(), stderr.as_str()),
        (Some(libc::SIGPIPE), ""),
        "{cmd:?} with a closed stdout: {status}, stderr {stderr:?}"
    );
}

/// Checks the rule for a write error: with standard output on a [`full_disk`], `cmd` prints
/// exactly `PROGRAM: error: cannot write to standard output: No space left on device (os error
/// 28)` and exits with code 1.
///
/// # Panics
/// If it does not (this is an assertion for tests).
pub fn assert_one_line_on_a_full_disk(cmd: &mut Command, program: &str) {
    let (status, stderr) = run(cmd.stdout(full_disk().expect("/dev/full"))).expect("it runs");
    assert_eq!(
        (status.code(), stderr.as_str()),
        (
            Some(1),
            format!(
                "{program}: error: cannot write to standard output: No space left on device (os error 28)\n"
            )
            .as_str()
        ),
        "{cmd:?} with stdout on /dev/full: {status}"
    );
}

/// Checks every output rule for one program: its default run (`args`), `--help`, `--version`
/// and a usage error, each with standard output on a closed pipe and on a full disk, and the
/// usage error with standard error on a full disk (still exit code 2).
///
/// # Panics
/// If one does not hold (this is an assertion for tests).
pub fn assert_output_rules(bin: &Path, program: &str, args: &[&str]) {
    for run_args in [args, &["--help"], &["--version"]] {
        assert_quiet_on_a_closed_pipe(Command::new(bin).args(run_args));
        assert_one_line_on_a_full_disk(Command::new(bin).args(run_args), program);
    }
    let (status, stderr) = run(Command::new(bin).arg("--no-such-option")).expect("it runs");
    assert!(
        status.code() == Some(2) && crate::cli::is_usage_error(&stderr),
        "a usage error: {status}, {stderr:?}"
    );
    let mut usage = Command::new(bin);
    usage.arg("--no-such-option");
    let status = usage
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(full_disk().expect("/dev/full"))
        .status()
        .expect("it runs");
    assert_eq!(
        status.code(),
        Some(2),
        "a usage error with stderr on /dev/full"
    );
}

/// A resource [`limit`] can set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// `ulimit -n`: open file descriptors.
    OpenFiles,
    /// `ulimit -v`: bytes of address space.
    AddressSpace,
}

/// Starts the program with `limit` set to `value` (soft and hard), as `ulimit` would.
pub fn limit(cmd: &mut Command, limit: Limit, value: u64) {
    let resource = match limit {
        Limit::OpenFiles => libc::RLIMIT_NOFILE,
        Limit::AddressSpace => libc::RLIMIT_AS,
    };
    let rlimit = libc::rlimit {
        rlim_cur: value,
        rlim_max: value,
    };
    // SAFETY: the closure runs between fork and exec and only calls setrlimit, which is
    // async-signal-safe, on a value captured by copy.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setrlimit(resource, &rlimit) == 0 {
                Ok(())
            } else {
                Err(io::Error::last_os_error())
            }
        });
    }
}

/// Whether `stderr` is the standard library's own abort when a new thread cannot map its
/// signal stack: std panics inside the new thread, before any code of ours runs, where it
/// cannot be caught (rust-lang/rust#78497, open). Under an address-space limit this happens in
/// a narrow band of limits, by chance; a test of such limits cannot hold a program to the
/// output rules for that run, and says so instead of failing at random.
pub fn std_thread_start_abort(stderr: &str) -> bool {
    stderr.contains("failed to allocate an alternative stack")
        || stderr.contains("failed to set up alternative stack guard page")
}

/// Starts the program allowed at most `tasks` threads and processes, itself included (`ulimit
/// -u`). The kernel counts that limit per user and does not apply it to root, so when the tests
/// run as root the program runs as a user id of its own, unused by anything else: then the
/// count is exact, and `true` is returned. Otherwise every other process of the same user
/// counts too (probably more than `tasks`, so nothing new can start), and `false` is returned.
///
/// Whatever the program writes must then be writable by that user: see [`writable_by_anyone`].
pub fn few_tasks(cmd: &mut Command, tasks: u64) -> bool {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    // Distinct across the tests of one run, and across test binaries running at once.
    let uid =
        3_000_000 + (std::process::id() % 100_000) * 64 + NEXT.fetch_add(1, Ordering::Relaxed) % 64;
    let rlimit = libc::rlimit {
        rlim_cur: tasks,
        rlim_max: tasks,
    };
    // SAFETY: the closure runs between fork and exec and only makes async-signal-safe system
    // calls (setrlimit, setgroups, setgid, setuid) on values captured by copy.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setrlimit(libc::RLIMIT_NPROC, &rlimit) != 0 {
                return Err(io::Error::last_os_error());
            }
            if root
                && (libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(uid) != 0
                    || libc::setuid(uid) != 0)
            {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    root
}

/// Starts the program in a mount namespace of its own where `/proc` is an empty directory, as
/// in a minimal container or chroot. Needs the right to make a mount namespace (root, as in
/// CI); without it the spawn fails with that error, which a test can tell apart and report.
pub fn without_proc(cmd: &mut Command) {
    // SAFETY: the closure runs between fork and exec and only makes system calls (unshare,
    // mount) on static C strings; nothing is allocated.
    unsafe {
        cmd.pre_exec(|| {
            // Private first, so the mount below stays in the new namespace.
            let ok = libc::unshare(libc::CLONE_NEWNS) == 0
                && libc::mount(
                    std::ptr::null(),
                    c"/".as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ) == 0
                && libc::mount(
                    c"none".as_ptr(),
                    c"/proc".as_ptr(),
                    c"tmpfs".as_ptr(),
                    0,
                    std::ptr::null(),
                ) == 0;
            if ok {
                Ok(())
            } else {
                Err(io::Error::last_os_error())
            }
        });
    }
}

/// Lets any user create files in `dir` (for a program run by [`few_tasks`]).
pub fn writable_by_anyone(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777))
}

/// Starts the program with every signal's action at its default, as a shell gives a job in the
/// foreground. A test runner started in the background (CI) has SIGINT and SIGQUIT ignored,
/// and an ignored signal stays ignored across `exec`: a program that respects that (as it
/// should, for `nohup`) would then never see the signal a test sends.
pub fn default_signals(cmd: &mut Command) {
    // SAFETY: the closure runs between fork and exec and only calls signal(2), which is
    // async-signal-safe, with SIG_DFL.
    unsafe {
        cmd.pre_exec(|| {
            for signal in 1..libc::SIGRTMIN() {
                if signal != libc::SIGKILL && signal != libc::SIGSTOP {
                    libc::signal(signal, libc::SIG_DFL);
                }
            }
            Ok(())
        });
    }
}

/// What a program showed on a terminal.
#[derive(Debug)]
pub struct Terminal {
    /// How it ended.
    pub status: ExitStatus,
    /// Everything written to the terminal (standard output and standard error both), with the
    /// terminal's `\r\n` line ends turned back into `\n`.
    pub text: String,
}

/// Runs the program with standard output and standard error on a new pseudo-terminal, as in a
/// terminal window, and returns what it showed. Gives up (killing it) after `limit`.
pub fn on_terminal(mut cmd: Command, limit: Duration) -> io::Result<Terminal> {
    let (mut master, slave) = open_pty()?;
    cmd.stdin(Stdio::null())
        .stdout(slave.try_clone()?)
        .stderr(slave);
    let mut child = cmd.spawn()?;
    // Our copies of the terminal's other end go with the command: once the program (and any
    // child of its) has closed it, reading ends.
    drop(cmd);
    let deadline = Instant::now() + limit;
    let mut shown = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "still running after {limit:?}; it showed {:?}",
                    String::from_utf8_lossy(&shown)
                ),
            ));
        }
        let mut poll = libc::pollfd {
            fd: master.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = libc::c_int::try_from(left.as_millis().min(100)).unwrap_or(100);
        // SAFETY: `poll` is one valid pollfd for the duration of the call.
        if unsafe { libc::poll(&mut poll, 1, ms) } <= 0 {
            continue;
        }
        match master.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => shown.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // Linux says EIO once the last holder of the other end has closed it.
            Err(e) if e.raw_os_error() == Some(libc::EIO) => break,
            Err(e) => return Err(e),
        }
    }
    let status = child.wait()?;
    Ok(Terminal {
        status,
        text: String::from_utf8_lossy(&shown).replace("\r\n", "\n"),
    })
}

/// A new pseudo-terminal: (the side a terminal window holds, the side a program writes to).
fn open_pty() -> io::Result<(File, OwnedFd)> {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: both out-pointers are valid; null name, termios and window size are allowed.
    let ret = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    if ret != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: openpty succeeded, so both are open descriptors that nothing else owns.
    let (master, slave) = unsafe { (File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    Ok((master, slave))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_closed_pipe_and_a_full_disk_refuse_every_write() {
        let mut pipe = closed_pipe().unwrap();
        assert_eq!(
            pipe.write_all(b"x").unwrap_err().kind(),
            io::ErrorKind::BrokenPipe
        );
        let mut full = full_disk().unwrap();
        assert_eq!(
            full.write_all(b"x").unwrap_err().raw_os_error(),
            Some(libc::ENOSPC)
        );
    }

    #[test]
    fn a_program_on_a_terminal_sees_one() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "test -t 1 && echo terminal; echo err >&2; exit 3"]);
        let shown = on_terminal(cmd, Duration::from_secs(30)).unwrap();
        assert_eq!(shown.text, "terminal\nerr\n");
        assert_eq!(shown.status.code(), Some(3));
    }

    #[test]
    fn limits_reach_the_program() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "ulimit -n"]);
        limit(&mut cmd, Limit::OpenFiles, 17);
        assert_eq!(cmd.output().unwrap().stdout, b"17\n");
        let mut cmd = Command::new("grep");
        cmd.args(["Max processes", "/proc/self/limits"]);
        few_tasks(&mut cmd, 5);
        let output = cmd.output().unwrap();
        let line = String::from_utf8(output.stdout).unwrap();
        let numbers: Vec<&str> = line.split_whitespace().skip(2).take(2).collect();
        assert_eq!(numbers, ["5", "5"], "{line}");
    }
}
