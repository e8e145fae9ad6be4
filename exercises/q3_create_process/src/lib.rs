//! # Question 3: write code to create a process using the multiprocessing module
//!
//! Rust's standard library creates a process one way: [`std::process::Command`] starts
//! another *program* in a child process (Python's `subprocess`). Underneath, that is `fork()`
//! (the child is a copy of this process, its memory shared copy-on-write) followed by `exec()`
//! (the copy becomes the other program). Python's `multiprocessing.Process(target=f,
//! args=(x,))` does something the standard library does not: it runs a *function of this
//! program* in the child. Here that is [`common::Process`]: `Process::start(&TASK, arg)` runs
//! one function in a new child process (this binary, started again) and `join` waits for it
//! and hands back what the function returned.
//!
//! The program shows all three, in that order, and the two answer sheets' jobs:
//!
//! - `q3_create_process command`: `std::process::Command` starts `sh`, which prints its
//!   process id and a number ([`program`]).
//! - `q3_create_process fork`: the same by hand, `fork()` then `exec()` ([`fork`]).
//! - `q3_create_process pid` (second sheet): a `common::Process` runs a Rust function that
//!   prints its process id and a number; the parent prints its own id, waits, and reports the
//!   worker's exit code.
//! - `q3_create_process download [URL]...` (first sheet, the default): one process per URL
//!   downloads a file (`file1.txt`, `file2.txt`, …) and says so; the parent waits for all of
//!   them. With no URL, a small HTTP server inside this program ([`server`], the `fileserver`
//!   crate) serves three files on `127.0.0.1`, each answer delayed by `--latency-ms`, so the
//!   program needs no internet and shows the downloads overlapping: it prints the wall time
//!   beside the download times added up.
//!
//! Rust, honestly: there is no global interpreter lock, and a download spends its time waiting
//! on the network, so threads (or async tasks) would do this job as well as processes, and
//! start faster. `--threads` runs the same downloads on threads to compare. Each process also
//! builds its own HTTP client (loading the system's certificates, which is most of a download's
//! time in a debug build), where the threads share one. What a process buys is isolation:
//! its own memory, its own crash. A download that panics, aborts or is killed takes only its
//! own process down; the parent reports it and removes its half-written file. The question asks
//! for processes, so processes are the answer.
//!
//! There is one process per URL, as the question asks; a pool (question 5) is the tool for
//! bounding how many run at once. Failures are reported per URL (a malformed URL, a name that
//! does not resolve, a refused connection, an HTTP error, a body cut short, a server that
//! stalls past `--timeout` or trickles past `--max-time`, a file that cannot be written); the
//! other downloads still finish, and the exit code is 1. A URL that cannot be downloaded at all
//! (`ftp://…`, `notaurl`) and an output path that is a file are usage errors, found before
//! anything starts. Ctrl-C (or SIGTERM, or a hang-up) removes the unfinished files before the
//! program ends by that signal ([`interrupt`]). A password in a URL is never printed.
//!
//! The download code, a file per job: [`download`] starts the workers and waits for them,
//! [`task`] is what each worker runs, [`fetch`] the HTTP request, [`error`] what can go wrong,
//! `board` and `progress` what the parent prints meanwhile, [`interrupt`] the clean-up on
//! Ctrl-C; [`cli`] is the command line.

#![deny(clippy::print_stdout, clippy::print_stderr)]

mod board;
pub mod cli;
pub mod download;
pub mod error;
pub mod fetch;
pub mod fork;
pub mod interrupt;
pub mod program;
mod progress;
pub mod server;
pub mod task;

use std::error::Error;
use std::path::Path;
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use common::{Process, Registered, Task, Trace, task};
use support::out::OutputError;
use support::{errln, outln};

pub use crate::cli::{Cli, Command, DownloadArgs, NumberArgs, PidArgs, parse_seconds};
use crate::download::{Options, Report, download_all};
use crate::interrupt::Cleanup;
use crate::server::{SAMPLE_FILES, Server};
use crate::task::DOWNLOAD;

// ANCHOR: worker
/// Runs in the worker: the second answer sheet's `worker(num)`. Returns its process id so the
/// parent can check where it ran (or why it could not print: `outln!` is `println!` that
/// returns that instead of panicking).
fn worker(number: i64) -> Result<u32, OutputError> {
    let pid = std::process::id();
    outln!("Worker process ID: {pid}, Number: {number}")?;
    Ok(pid)
}

/// The functions worker processes can run, by name.
pub const WORKER: Task<i64, Result<u32, OutputError>> = task!(worker);
/// Given to [`common::init`] at the top of `main`.
pub static TASKS: &[&dyn Registered] = &[&WORKER, &DOWNLOAD];
// ANCHOR_END: worker

/// Runs the program; returns the exit code (see [`support::cli`]).
pub fn run(cli: Cli) -> ExitCode {
    let outcome = match cli.command {
        Some(Command::Program(args)) => program::run_program(args.number).map_err(Stop::Error),
        Some(Command::Fork(args)) => fork::fork_and_exec(args.number).map_err(Stop::Error),
        Some(Command::Pid(args)) => pid(&args),
        Some(Command::Download(args)) => checked_download(&args),
        None => checked_download(&cli.download),
    };
    match outcome {
        Err(Stop::Usage(message)) => support::cli::usage_error(message),
        Err(Stop::Error(e)) => support::cli::finish(env!("CARGO_PKG_NAME"), Err(e)),
        Ok(all_ok) => support::cli::finish(env!("CARGO_PKG_NAME"), Ok::<_, Box<dyn Error>>(all_ok)),
    }
}

/// Why the program stopped early: bad input (exit code 2) or an error (1, or quietly for a
/// closed output).
enum Stop {
    Usage(String),
    Error(Box<dyn Error>),
}

impl<E: Into<Box<dyn Error>>> From<E> for Stop {
    fn from(e: E) -> Self {
        Stop::Error(e.into())
    }
}

/// `download`, once its input has passed [`DownloadArgs::check`].
fn checked_download(args: &DownloadArgs) -> Result<bool, Stop> {
    args.check().map_err(Stop::Usage)?;
    download(args)
}

// ANCHOR: pid
/// The second answer sheet: start one worker, wait for it, report how it ended.
fn pid(args: &PidArgs) -> Result<bool, Stop> {
    outln!("Main process ID: {}", std::process::id())?;
    if args.threads {
        let number = args.number;
        let pid = thread::Builder::new()
            .spawn(move || WORKER.call(number))
            .map_err(|e| format!("could not start a thread: {e}"))?
            .join()
            .map_err(|_| "the worker thread panicked")??;
        outln!("Thread finished: it ran inside process {pid}, the main process")?;
        return Ok(true);
    }
    let process = Process::start(&WORKER, args.number)?;
    let child = process.pid();
    let exit = process.wait(); // Python: process.join()
    let reported = process.join()?; // what the worker returned: its own id, or why it could not print
    // Python: process.exitcode (None when the status is unknown: reaped elsewhere)
    let code = exit
        .python_exitcode()
        .map_or("None".into(), |code| code.to_string());
    outln!("Process {child} finished with exit code {code}")?;
    let reported = reported?;
    debug_assert_eq!(reported, child);
    Ok(true)
}
// ANCHOR_END: pid

/// The first answer sheet: download every URL, each in its own process.
fn download(args: &DownloadArgs) -> Result<bool, Stop> {
    // ANCHOR: server
    // With no URL, serve three files from this program on 127.0.0.1 and download those.
    let server;
    let urls = if args.urls.is_empty() {
        let latency = Duration::from_millis(args.latency_ms);
        server = Server::start(SAMPLE_FILES, latency)
            .map_err(|e| format!("cannot start the built-in server: {e}"))?;
        outln!(
            "Serving {} on http://{} with {} ms latency",
            SAMPLE_FILES.map(|(name, _)| name).join(", "),
            server.addr(),
            args.latency_ms
        )?;
        server.urls()
    } else {
        args.urls.clone()
    };
    // ANCHOR_END: server

    // Ctrl-C or SIGTERM from here on: the unfinished files go, and the program ends by the
    // signal (the workers die with it: their parent-death signal).
    let cleanup = Cleanup::default();
    cleanup
        .on_signal()
        .map_err(|e| format!("cannot handle Ctrl-C: {e}"))?;
    let options = Options {
        out_dir: args.out_dir.clone(),
        timeout: args.timeout,
        max_time: args.max_time,
        threads: args.threads,
        announce: true,
        progress: !args.no_progress,
        cleanup: cleanup.clone(),
        trace: args.svg.as_ref().map(|_| {
            if args.threads {
                Trace::of_threads()
            } else {
                Trace::new()
            }
        }),
    };
    let report = download_all(&urls, &options);
    // Workers killed by the same Ctrl-C may have ended the batch before the signal thread ran:
    // such a run was interrupted, not failed.
    cleanup.end_if_interrupted();
    let worker = if args.threads { "thread" } else { "process" };
    summarize(&report, worker)?;
    // A worker's line that could not be printed is output lost, whatever the summary did.
    if let Some(e) = report.print_failed() {
        return Err(e.clone().into());
    }
    let drew = match (&args.svg, &options.trace) {
        (Some(dir), Some(trace)) => draw(trace, dir, worker, urls.len()),
        _ => true,
    };
    Ok(report.failed() == 0 && drew)
}

/// `--svg DIR`: the workers' lives as `DIR/processes.svg` (or `threads.svg`). Returns whether
/// the picture was written; says why not on stderr.
fn draw(trace: &Trace, dir: &Path, worker: &str, urls: usize) -> bool {
    let file = dir.join(if worker == "thread" {
        "threads.svg"
    } else {
        "processes.svg"
    });
    let title = format!("{urls} downloads, one {worker} each: a bar from its start to its end");
    match common::Picture::new().panel(&title, trace).save(&file) {
        Ok(()) => true,
        Err(e) => {
            errln!(
                "q3_create_process: error: cannot write {}: {e}",
                file.display()
            );
            false
        }
    }
}

/// The reference program's last line, then the timing that shows the downloads overlapped.
fn summarize(report: &Report, worker: &str) -> Result<(), OutputError> {
    let total = report.outcomes.len();
    let failed = report.failed();
    let done = total - failed;
    if failed == 0 {
        outln!("All downloads completed")?;
    } else {
        outln!("{done} of {total} downloads completed, {failed} failed")?;
    }
    let wall = report.wall.as_secs_f64();
    let sum = report.sum_of_downloads().as_secs_f64();
    match done {
        0 => Ok(()),
        1 => outln!("Wall time: {wall:.2} s; the download took {sum:.2} s"),
        _ => outln!(
            "Wall time: {wall:.2} s; the {done} downloads, one per {worker}, took {sum:.2} s \
             added up ({:.1}x the wall time)",
            sum / wall
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn no_command_means_download_with_its_defaults() {
        let cli = Cli::try_parse_from(["q3_create_process", "download"]).unwrap();
        let Some(Command::Download(parsed)) = cli.command else {
            panic!("not a download: {cli:?}");
        };
        assert_eq!(parsed, DownloadArgs::default());
        let bare = Cli::try_parse_from(["q3_create_process"]).unwrap();
        assert!(bare.command.is_none());
        assert_eq!(bare.download, DownloadArgs::default());
        let threads = Cli::try_parse_from(["q3_create_process", "--threads"]).unwrap();
        assert!(threads.command.is_none() && threads.download.threads);
    }

    #[test]
    fn seconds_parse_as_durations() {
        assert_eq!(parse_seconds("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_seconds("1e-3"), Ok(Duration::from_millis(1)));
        for bad in ["0", "-0.5", "NaN", "inf", "1e300", "", "1e-10", "0.0009"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn clap_configuration_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
