//! # Question 3: write code to create a process using the multiprocessing module
//!
//! Python answers with `multiprocessing.Process(target=f, args=(x,))`, `p.start()` and
//! `p.join()`. This crate gives the same answer with [`common::Process`]: `Process::start(&TASK,
//! arg)` runs one function in a new child process (this binary, started again) and `join`
//! waits for it and hands back what the function returned.
//!
//! The two reference answer sheets create processes for different jobs; both are here:
//!
//! - `q3_create_process pid` (second sheet): one worker process prints its process id and a
//!   number; the parent prints its own id, waits, and reports the worker's exit code.
//! - `q3_create_process download [URL]...` (first sheet): one process per URL downloads a file
//!   (`file1.txt`, `file2.txt`, …) and says so; the parent waits for all of them. With no URL,
//!   a small HTTP server inside this program ([`server`]) serves three files on `127.0.0.1`,
//!   each answer delayed by `--latency-ms`, so the program needs no internet and shows the
//!   downloads overlapping: it prints the wall time beside the download times added up.
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
//! Ctrl-C, and [`server`] the built-in server.

#![deny(clippy::print_stdout, clippy::print_stderr)]

mod board;
pub mod download;
pub mod error;
pub mod fetch;
pub mod interrupt;
mod progress;
pub mod server;
pub mod task;

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use common::{Process, Registered, Task, Trace, task};
use support::cli::EXIT_CODES_HELP;
use support::out::OutputError;
use support::{errln, outln};

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

/// Create processes: download files in child processes, or print process ids (question 3).
#[derive(Debug, Parser)]
#[command(
    version,
    about = "Question 3: create processes: download files in parallel, or print process ids",
    after_help = format!(
        "With no command, runs `download`: the arguments and options above are its own.\n\n\
         Examples:\n  \
         q3_create_process                                  3 files from a built-in server, 3 processes\n  \
         q3_create_process download --threads               the same on 3 threads\n  \
         q3_create_process download --latency-ms 1000       slower answers: a clearer speedup\n  \
         q3_create_process download https://example.com/    your own URLs\n  \
         q3_create_process pid                              one worker prints its process id and 5\n\n\
         {INTERRUPT_HELP}\n\n\
         {EXIT_CODES_HELP}"
    ),
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no command, `download`'s arguments and options.
    #[command(flatten)]
    pub download: DownloadArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The first answer sheet: one process per URL downloads it to fileN.txt
    #[command(after_help = format!("{INTERRUPT_HELP}\n\n{EXIT_CODES_HELP}"))]
    Download(DownloadArgs),
    /// The second answer sheet: one worker process prints its process id and a number
    #[command(after_help = EXIT_CODES_HELP)]
    Pid(PidArgs),
}

/// What Ctrl-C does to a download, and the exit codes it leads to (see [`interrupt`]).
const INTERRUPT_HELP: &str = "Ctrl-C (SIGINT), SIGTERM, a hang-up (SIGHUP), SIGQUIT, SIGUSR1, \
    SIGUSR2 or SIGALRM during a download removes the unfinished files, then ends the program by \
    that signal: a shell reports exit code 128 + its number, such as 130 (SIGINT) or 143 \
    (SIGTERM). What a run killed outright (SIGKILL) leaves, the next run in the same directory \
    removes.";

/// `--latency-ms` when not given: long enough for the overlap to show, short enough to wait.
const DEFAULT_LATENCY_MS: u64 = 300;
/// `--timeout` when not given, in seconds.
const DEFAULT_TIMEOUT_SECS: &str = "10";
/// `--max-time` when not given, in seconds: far more than any of these downloads needs, and
/// a bound on a server that trickles.
const DEFAULT_MAX_TIME_SECS: &str = "600";

/// Options of `download`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct DownloadArgs {
    /// URLs to download (http or https) [default: the three files of a built-in server]
    #[arg(value_name = "URL")]
    pub urls: Vec<String>,
    /// Directory to write file1.txt, file2.txt, … into (created if missing)
    #[arg(short, long, value_name = "DIR", default_value = ".")]
    pub out_dir: PathBuf,
    /// Give up on a server that sends nothing for this long (connecting, answering, sending)
    #[arg(long, value_name = "SECONDS", default_value = DEFAULT_TIMEOUT_SECS, value_parser = parse_seconds)]
    pub timeout: Duration,
    /// Give up on a download still going after this long, however steadily data arrives
    #[arg(long, value_name = "SECONDS", default_value = DEFAULT_MAX_TIME_SECS, value_parser = parse_seconds)]
    pub max_time: Duration,
    /// Delay each answer of the built-in server by this much (no URL given only)
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 300,
        conflicts_with = "urls"
    )]
    pub latency_ms: u64,
    /// Download on threads of this process instead of child processes
    #[arg(long)]
    pub threads: bool,
    /// Never draw progress spinners (they are drawn only on a terminal that moves its cursor)
    #[arg(long)]
    pub no_progress: bool,
    /// Also draw each worker's life as an SVG picture: DIR/processes.svg (DIR/threads.svg with
    /// --threads)
    #[arg(long, value_name = "DIR")]
    pub svg: Option<PathBuf>,
}

impl Default for DownloadArgs {
    /// What `download` with no argument means (the run with no command).
    fn default() -> Self {
        DownloadArgs {
            urls: Vec::new(),
            out_dir: PathBuf::from("."),
            timeout: parse_seconds(DEFAULT_TIMEOUT_SECS).expect("the default is valid"),
            max_time: parse_seconds(DEFAULT_MAX_TIME_SECS).expect("the default is valid"),
            latency_ms: DEFAULT_LATENCY_MS,
            threads: false,
            no_progress: false,
            svg: None,
        }
    }
}

/// Options of `pid`.
#[derive(Debug, Clone, Args)]
pub struct PidArgs {
    /// The number the worker prints
    #[arg(
        value_name = "NUMBER",
        default_value_t = 5,
        allow_negative_numbers = true
    )]
    pub number: i64,
    /// Run the worker on a thread instead: it then reports the parent's process id
    #[arg(long)]
    pub threads: bool,
}

/// Parses a number of seconds of at least a millisecond, such as `10` or `0.25`.
///
/// ```
/// use std::time::Duration;
/// use q3_create_process::parse_seconds;
/// assert_eq!(parse_seconds("0.25"), Ok(Duration::from_millis(250)));
/// assert!(parse_seconds("0").is_err());
/// assert!(parse_seconds("1e-10").is_err());
/// assert!(parse_seconds("-1").is_err());
/// assert!(parse_seconds("soon").is_err());
/// ```
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    // Below a millisecond no network answers anyway; NaN is not at least 0.001 either.
    if seconds.is_nan() || seconds < 0.001 {
        return Err("must be at least 1 ms (0.001 seconds)".into());
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| "too long".into())
}

impl DownloadArgs {
    /// Checks what clap cannot, before anything starts: every URL is one `download` can fetch,
    /// and the output directory is (or can become) a directory. `Err` is the usage error.
    pub fn check(&self) -> Result<(), String> {
        for url in &self.urls {
            fetch::check_url(url)?;
        }
        check_out_dir(&self.out_dir)
    }
}

/// `dir` is a directory, or can be created: the nearest part of it that exists is one.
fn check_out_dir(dir: &Path) -> Result<(), String> {
    let existing = dir
        .ancestors()
        .find(|p| !p.as_os_str().is_empty() && p.exists());
    match existing {
        Some(p) if !p.is_dir() => Err(format!(
            "invalid value '{}' for '--out-dir <DIR>': {} is not a directory",
            dir.display(),
            p.display()
        )),
        _ => Ok(()),
    }
}

/// Runs the program; returns the exit code (see [`support::cli`]).
pub fn run(cli: Cli) -> ExitCode {
    let outcome = match cli.command {
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
