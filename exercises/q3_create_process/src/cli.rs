//! The command line: `download` (the default), `command`, `fork` and `pid`, and the checks
//! clap cannot make.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use support::cli::EXIT_CODES_HELP;

use crate::fetch;

/// Create processes: download files in child processes, or print process ids (question 3).
#[derive(Debug, Parser)]
#[command(
    version,
    about = "Question 3: create processes: another program, a copy of this one, or a Rust function \
             in a child (download files in parallel, print process ids)",
    after_help = format!(
        "With no command, runs `download`: the arguments and options above are its own.\n\n\
         Examples:\n  \
         q3_create_process                                  3 files from a built-in server, 3 processes\n  \
         q3_create_process download --threads               the same on 3 threads\n  \
         q3_create_process download --latency-ms 1000       slower answers: a clearer speedup\n  \
         q3_create_process download https://example.com/    your own URLs\n  \
         q3_create_process command                          std::process::Command starts another program\n  \
         q3_create_process fork                             the same by hand: fork() and exec()\n  \
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
    /// The standard library's way: std::process::Command starts another program (sh), which
    /// prints its process id and a number
    #[command(name = "command", after_help = EXIT_CODES_HELP)]
    Program(NumberArgs),
    /// What Command does underneath, by hand: fork() copies this process, exec() turns the
    /// copy into sh
    #[command(after_help = EXIT_CODES_HELP)]
    Fork(NumberArgs),
    /// The second answer sheet: one worker process prints its process id and a number
    #[command(after_help = EXIT_CODES_HELP)]
    Pid(PidArgs),
    /// The first answer sheet: one process per URL downloads it to fileN.txt
    #[command(after_help = format!("{INTERRUPT_HELP}\n\n{EXIT_CODES_HELP}"))]
    Download(DownloadArgs),
}

/// Options of `command` and `fork`.
#[derive(Debug, Clone, Args)]
pub struct NumberArgs {
    /// The number the child prints
    #[arg(
        value_name = "NUMBER",
        default_value_t = 5,
        allow_negative_numbers = true
    )]
    pub number: i64,
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
