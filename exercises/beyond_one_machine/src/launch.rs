//! Starting a whole cluster on this machine: what `mpirun` or a cluster manager does, in a page.
//!
//! The launcher finds free ports on 127.0.0.1, writes a hostfile, and starts this binary once
//! per process with `--process I --processes N --hostfile FILE`: exactly the commands a person
//! types on each machine of a real cluster. It forwards process 0's table, can kill or stop one
//! process on purpose (the fault experiments), and bounds every wait: a process that neither
//! finishes nor fails is killed and reported, and no process outlives the launcher. If process
//! 0's table cannot be forwarded (a reader who went away, a full disk), the launcher ends the
//! cluster at once and reports that, as any exercise does.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use common::Exit;
use support::out::OutputError;
use support::{errln, outln};

use crate::Error;

/// A fault to cause on purpose, once process 0 has printed `after_lines` lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    /// The process to hit.
    pub process: usize,
    pub after_lines: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// SIGKILL: the process dies; the kernel closes its sockets, so its peers hear of it.
    Kill,
    /// SIGSTOP: the process freezes with its sockets open, like a machine that hangs or a
    /// network that splits; its peers hear nothing at all.
    Stop,
}

/// How to start the cluster.
#[derive(Debug, Clone)]
pub struct Launch {
    pub processes: usize,
    /// Arguments every process gets after its place in the cluster (values, options).
    pub args: Vec<OsString>,
    /// Each process's own bound on its run (it gets `--timeout` too).
    pub timeout: Duration,
    pub fault: Option<Fault>,
    /// Print process 0's lines as they come (else only collect them).
    pub forward: bool,
}

/// What one run of the cluster did.
#[derive(Debug)]
pub struct Attempt {
    /// Process 0's standard output, line by line.
    pub lines: Vec<String>,
    /// How each process ended, in process order.
    pub ended: Vec<Ended>,
    /// From the first process started to the last one reaped.
    pub elapsed: Duration,
}

impl Attempt {
    /// Whether the run finished: process 0 printed a line for each of the `values`, and every
    /// process exited on its own (code 1 is a value that failed, which is an answer too).
    pub fn completed(&self, values: usize) -> bool {
        self.lines.len() >= values
            && self
                .ended
                .iter()
                .all(|e| matches!(e, Ended::Exit(Exit::Code(0 | 1))))
    }

    /// Whether every process exited with code 0: every value succeeded.
    pub fn succeeded(&self) -> bool {
        self.ended.iter().all(|e| *e == Ended::Exit(Exit::Code(0)))
    }
}

/// How one process of the cluster ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// On its own (or by the fault's signal).
    Exit(Exit),
    /// Still there at the launcher's limit (running, or `stopped`): killed by the launcher.
    KilledByLauncher { after: Duration, stopped: bool },
}

impl std::fmt::Display for Ended {
    /// How the process ended, to follow "process N ": "exited with code 1", "was killed by
    /// signal 9 (SIGKILL)", "was still running after 3.02 s: the launcher killed it".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ended::Exit(Exit::Code(code)) => write!(f, "exited with code {code}"),
            Ended::Exit(exit) => write!(f, "was {exit}"),
            Ended::KilledByLauncher { after, stopped } => write!(
                f,
                "was still {} after {}: the launcher killed it",
                if *stopped { "stopped" } else { "running" },
                support::units::seconds(after.as_secs_f64())
            ),
        }
    }
}

/// How long the others may take to report once one process has failed, before the launcher
/// ends them: long enough to see what they do on their own, short enough not to hang.
const GRACE: Duration = Duration::from_secs(3);

/// Starts the cluster, runs it to the end, and returns what happened. Errors are for the
/// launcher's own failures (no free port, cannot start a process or a thread, cannot write
/// process 0's table); any process already started is killed and reaped first.
pub fn launch(launch: &Launch) -> Result<Attempt, Error> {
    let cannot = |what: &str| {
        let what = what.to_owned();
        move |cause| Error::Launch { what, cause }
    };
    let addresses =
        free_addresses(launch.processes).map_err(cannot("no free port on 127.0.0.1"))?;
    let hostfile = tempfile::Builder::new()
        .prefix("beyond_one_machine-hosts-")
        .suffix(".txt")
        .tempfile()
        .and_then(|mut hostfile| {
            for address in &addresses {
                writeln!(hostfile, "{address}")?;
            }
            hostfile.flush()?;
            Ok(hostfile)
        })
        .map_err(cannot("cannot write the hostfile"))?;
    let exe = std::env::current_exe().map_err(cannot("cannot find this program"))?;
    let started = Instant::now();
    let (lines_tx, lines) = mpsc::channel::<(usize, Option<String>)>();
    let mut cluster = Cluster(Vec::new());
    for process in 0..launch.processes {
        let mut command = Command::new(&exe);
        command
            .arg("--process")
            .arg(process.to_string())
            .arg("--processes")
            .arg(launch.processes.to_string())
            .arg("--hostfile")
            .arg(hostfile.path())
            .arg("--timeout")
            .arg(launch.timeout.as_secs().to_string())
            .args(&launch.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        die_with_parent(&mut command);
        let mut child = command
            .spawn()
            .map_err(cannot(&format!("cannot start process {process}")))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        cluster.0.push(Some(child));
        let tx = lines_tx.clone();
        thread::Builder::new()
            .name(format!("process {process}'s output"))
            .spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    let _ = tx.send((process, Some(line)));
                }
                let _ = tx.send((process, None));
            })
            .map_err(Error::Thread)?;
    }
    drop(lines_tx);

    let limit = launch.timeout + GRACE;
    let mut ended: Vec<Option<Ended>> = vec![None; launch.processes];
    let mut open = launch.processes;
    let mut table = Vec::new();
    let mut fault = launch.fault;
    let mut failed_at: Option<Instant> = None;
    loop {
        // Reap whoever has ended; the first failure starts the others' grace period.
        for (process, slot) in cluster.0.iter_mut().enumerate() {
            if let Some(child) = slot
                && let Ok(Some(status)) = child.try_wait()
            {
                let exit = exit_of(status);
                // Code 1 from process 0 may only mean that a value failed (a line of the table).
                let answered = exit.success() || (process == 0 && exit == Exit::Code(1));
                let failed = !answered;
                if failed && failed_at.is_none() {
                    failed_at = Some(Instant::now());
                }
                let how = Ended::Exit(exit);
                ended[process] = Some(how);
                *slot = None;
            }
        }
        if cluster.0.iter().all(Option::is_none) && open == 0 {
            break;
        }
        let out_of_time = started.elapsed() >= limit;
        let out_of_grace = failed_at.is_some_and(|at| at.elapsed() >= GRACE);
        if out_of_time || out_of_grace {
            for (process, slot) in cluster.0.iter_mut().enumerate() {
                if let Some(mut child) = slot.take() {
                    let stopped = support::proc::state(child.id()) == Some('T');
                    let _ = child.kill();
                    let _ = child.wait();
                    ended[process] = Some(Ended::KilledByLauncher {
                        after: started.elapsed(),
                        stopped,
                    });
                }
            }
            // Their pipes are closed now; what was printed is still in the channel.
            while let Ok((process, line)) = lines.recv_timeout(Duration::from_millis(200)) {
                if let Some(line) = line {
                    take_line(process, line, launch.forward, &mut table)?;
                }
            }
            break;
        }
        match lines.recv_timeout(Duration::from_millis(20)) {
            Ok((process, Some(line))) => {
                take_line(process, line, launch.forward, &mut table)?;
                if let Some(f) = fault
                    && process == 0
                    && table.len() >= f.after_lines
                {
                    cluster.hit(f);
                    fault = None;
                }
            }
            Ok((_, None)) => open -= 1,
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => open = 0,
        }
    }
    if let Some(f) = fault {
        errln!(
            "beyond_one_machine: process 0 printed fewer than {} lines: process {} was left alone",
            f.after_lines,
            f.process
        );
    }
    Ok(Attempt {
        lines: table,
        ended: ended
            .into_iter()
            .map(|e| e.expect("every process is reaped before the loop ends"))
            .collect(),
        elapsed: started.elapsed(),
    })
}

/// Keeps process 0's `line` of the table, and prints it if `forward`; a line from another
/// process is only printed. An output error stops the launch: `?` drops the cluster, which
/// kills it.
fn take_line(
    process: usize,
    line: String,
    forward: bool,
    table: &mut Vec<String>,
) -> Result<(), OutputError> {
    if process == 0 {
        if forward {
            outln!("{line}")?;
        }
        table.push(line);
    } else if forward {
        // Only process 0 prints the table; anything else a process prints is shown as its own.
        outln!("process {process}: {line}")?;
    }
    Ok(())
}

/// The running processes; dropping it kills and reaps any still running, so no process
/// outlives a launcher that returns early.
struct Cluster(Vec<Option<Child>>);

impl Cluster {
    fn hit(&self, fault: Fault) {
        let Some(Some(child)) = self.0.get(fault.process) else {
            return;
        };
        let (signal, what) = match fault.kind {
            FaultKind::Kill => (libc::SIGKILL, "killed"),
            FaultKind::Stop => (libc::SIGSTOP, "stopped"),
        };
        support::proc::signal(child.id(), signal);
        errln!(
            "beyond_one_machine: {what} process {} (pid {}) with {}",
            fault.process,
            child.id(),
            common::signal_name(signal).unwrap_or("a signal")
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Every process gets its SIGKILL before any is waited for: killed one after another,
        // the later ones would live to see the first one's connections drop and report it.
        let mut running: Vec<Child> = self.0.iter_mut().filter_map(Option::take).collect();
        for child in &mut running {
            let _ = child.kill();
        }
        for child in &mut running {
            let _ = child.wait();
        }
    }
}

fn exit_of(status: ExitStatus) -> Exit {
    match (status.code(), status.signal()) {
        (Some(code), _) => Exit::Code(code),
        (None, Some(signal)) => Exit::Signal(signal),
        (None, None) => Exit::Code(-1),
    }
}

/// `n` distinct free ports on 127.0.0.1, as `host:port`. Held open together while they are
/// chosen, so the kernel gives `n` different ones; closed before the processes bind them.
pub fn free_addresses(n: usize) -> std::io::Result<Vec<String>> {
    let listeners = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.to_string()))
        .collect()
}

/// Makes the child get SIGKILL when the launcher's thread that started it ends, so a launcher
/// killed with SIGKILL leaves no process of its cluster behind.
fn die_with_parent(command: &mut Command) {
    let parent = std::process::id();
    // SAFETY: the closure runs in the child between fork and exec, and calls only prctl,
    // getppid and _exit, which are async-signal-safe; it allocates nothing and takes no lock.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The launcher died before the prctl: nobody would send the signal.
            if libc::getppid() as u32 != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}
