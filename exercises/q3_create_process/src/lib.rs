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
//! time in a debug build), where threads could share one. What a process buys is isolation:
//! its own memory, its own crash. A download that panics, aborts or is killed takes only its
//! own process down; the parent reports it and removes its half-written file. The question asks
//! for processes, so processes are the answer.
//!
//! There is one process per URL, as the question asks; a pool (question 5) is the tool for
//! bounding how many run at once. Failures are reported per URL (a malformed URL, a name that
//! does not resolve, a refused connection, an HTTP error, a body cut short, a server that
//! stalls past `--timeout`, a file that cannot be written); the other downloads still finish,
//! and the exit code is 1. Ctrl-C (or SIGTERM) removes the unfinished files before the program
//! ends by that signal ([`interrupt`]).
//!
//! The download code, a file per job: [`download`] starts the workers and waits for them,
//! [`task`] is what each worker runs, [`fetch`] the HTTP request, [`error`] what can go wrong,
//! `board` and `progress` what the parent prints meanwhile, [`interrupt`] the clean-up on
//! Ctrl-C, and [`server`] the built-in server.

mod board;
pub mod download;
pub mod error;
pub mod fetch;
pub mod interrupt;
mod progress;
pub mod server;
pub mod task;

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use common::{Process, Registered, Task, task};
use support::cli::{EXIT_CODES_HELP, exit_code};

use crate::download::{Options, Report, download_all};
use crate::interrupt::Cleanup;
use crate::server::{SAMPLE_FILES, Server};
use crate::task::DOWNLOAD;

// ANCHOR: worker
/// Runs in the worker: the second answer sheet's `worker(num)`. Returns its process id so the
/// parent can check where it ran.
fn worker(number: i64) -> u32 {
    let pid = std::process::id();
    println!("Worker process ID: {pid}, Number: {number}");
    pid
}

/// The functions worker processes can run, by name.
pub const WORKER: Task<i64, u32> = task!(worker);
/// Given to [`common::init`] at the top of `main`.
pub static TASKS: &[&dyn Registered] = &[&WORKER, &DOWNLOAD];
// ANCHOR_END: worker

/// Create processes: download files in child processes, or print process ids (question 3).
#[derive(Debug, Parser)]
#[command(
    version,
    about = "Question 3: create processes: download files in parallel, or print process ids",
    after_help = format!(
        "With no command, runs `download` with its defaults.\n\n\
         Examples:\n  \
         q3_create_process                                  3 files from a built-in server, 3 processes\n  \
         q3_create_process download --threads               the same on 3 threads\n  \
         q3_create_process download --latency-ms 1000       slower answers: a clearer speedup\n  \
         q3_create_process download https://example.com/    your own URLs\n  \
         q3_create_process pid                              one worker prints its process id and 5\n\n\
         {INTERRUPT_HELP}\n\n\
         {EXIT_CODES_HELP}"
    )
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
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
const INTERRUPT_HELP: &str = "Ctrl-C (SIGINT) or SIGTERM during a download removes the unfinished \
    files, then ends the program by that signal: a shell reports exit code 130 (SIGINT) or 143 \
    (SIGTERM).";

/// `--latency-ms` when not given: long enough for the overlap to show, short enough to wait.
const DEFAULT_LATENCY_MS: u64 = 300;
/// `--timeout` when not given, in seconds.
const DEFAULT_TIMEOUT_SECS: &str = "10";

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
    /// Never draw progress spinners (they are drawn only when stdout is a terminal)
    #[arg(long)]
    pub no_progress: bool,
}

impl Default for DownloadArgs {
    /// What `download` with no argument means (the run with no command).
    fn default() -> Self {
        DownloadArgs {
            urls: Vec::new(),
            out_dir: PathBuf::from("."),
            timeout: parse_seconds(DEFAULT_TIMEOUT_SECS).expect("the default is valid"),
            latency_ms: DEFAULT_LATENCY_MS,
            threads: false,
            no_progress: false,
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

/// Parses a positive number of seconds, such as `10` or `0.25`.
///
/// ```
/// use std::time::Duration;
/// use q3_create_process::parse_seconds;
/// assert_eq!(parse_seconds("0.25"), Ok(Duration::from_millis(250)));
/// assert!(parse_seconds("0").is_err());
/// assert!(parse_seconds("-1").is_err());
/// assert!(parse_seconds("soon").is_err());
/// ```
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    // NaN is not greater than 0 either.
    if seconds.is_nan() || seconds <= 0.0 {
        return Err("must be more than 0 seconds".into());
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| "too long".into())
}

/// Runs the program; returns the exit code (see [`support::cli`]).
pub fn run(cli: Cli) -> ExitCode {
    let outcome = match cli.command {
        Some(Command::Pid(args)) => pid(&args),
        Some(Command::Download(args)) => download(&args),
        None => download(&DownloadArgs::default()),
    };
    match outcome {
        Ok(all_ok) => exit_code(!all_ok),
        Err(e) => {
            eprintln!("q3_create_process: error: {e}");
            exit_code(true)
        }
    }
}

// ANCHOR: pid
/// The second answer sheet: start one worker, wait for it, report how it ended.
fn pid(args: &PidArgs) -> Result<bool, Box<dyn Error>> {
    println!("Main process ID: {}", std::process::id());
    if args.threads {
        let number = args.number;
        let pid = thread::spawn(move || WORKER.call(number))
            .join()
            .map_err(|_| "the worker thread panicked")?;
        println!("Thread finished: it ran inside process {pid}, the main process");
        return Ok(true);
    }
    let process = Process::start(&WORKER, args.number)?;
    let child = process.pid();
    let exit = process.wait(); // Python: process.join()
    // Python: process.exitcode (None when the status is unknown: reaped elsewhere)
    let code = exit
        .python_exitcode()
        .map_or("None".into(), |code| code.to_string());
    println!("Process {child} finished with exit code {code}");
    let reported = process.join()?; // what the worker returned: its own id
    debug_assert_eq!(reported, child);
    Ok(true)
}
// ANCHOR_END: pid

/// The first answer sheet: download every URL, each in its own process.
fn download(args: &DownloadArgs) -> Result<bool, Box<dyn Error>> {
    // ANCHOR: server
    // With no URL, serve three files from this program on 127.0.0.1 and download those.
    let server;
    let urls = if args.urls.is_empty() {
        let latency = Duration::from_millis(args.latency_ms);
        server = Server::start(SAMPLE_FILES, latency)
            .map_err(|e| format!("cannot start the built-in server: {e}"))?;
        println!(
            "Serving {} on http://{} with {} ms latency",
            SAMPLE_FILES.map(|(name, _)| name).join(", "),
            server.addr(),
            args.latency_ms
        );
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
        threads: args.threads,
        announce: true,
        progress: !args.no_progress,
        cleanup: cleanup.clone(),
    };
    let report = download_all(&urls, &options);
    // Workers killed by the same Ctrl-C may have ended the batch before the signal thread ran:
    // such a run was interrupted, not failed.
    cleanup.end_if_interrupted();
    summarize(&report, if args.threads { "thread" } else { "process" });
    Ok(report.failed() == 0)
}

/// The reference program's last line, then the timing that shows the downloads overlapped.
fn summarize(report: &Report, worker: &str) {
    let total = report.outcomes.len();
    let failed = report.failed();
    let done = total - failed;
    if failed == 0 {
        println!("All downloads completed");
    } else {
        println!("{done} of {total} downloads completed, {failed} failed");
    }
    let wall = report.wall.as_secs_f64();
    let sum = report.sum_of_downloads().as_secs_f64();
    match done {
        0 => {}
        1 => println!("Wall time: {wall:.2} s; the download took {sum:.2} s"),
        _ => println!(
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
        assert!(
            Cli::try_parse_from(["q3_create_process"])
                .unwrap()
                .command
                .is_none()
        );
    }

    #[test]
    fn seconds_parse_as_durations() {
        assert_eq!(parse_seconds("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_seconds("1e-3"), Ok(Duration::from_millis(1)));
        for bad in ["0", "-0.5", "NaN", "inf", "1e300", ""] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn clap_configuration_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
