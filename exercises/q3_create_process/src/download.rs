//! Downloading files, one process (or thread) per URL.
//!
//! [`download_all`] is the whole program of answer sheet 000: it starts one worker per URL,
//! each running [`download`] (the task), and waits for all of them. A download writes to a
//! temporary file in the target directory and renames it into place only once the whole body
//! has arrived, so a failed download leaves no partial or empty file behind.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, IsTerminal, Read, Write};
use std::net::IpAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::{Process, Task, task};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use tempfile::TempPath;

use crate::progress::Progress;

/// What one worker is asked to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// The URL to fetch (`http` or `https`).
    pub url: String,
    /// Where the body is written while it arrives. Created if missing; removed on failure.
    pub temp: PathBuf,
    /// Where the file ends up: `temp` is renamed to this once the body is complete.
    pub file: PathBuf,
    /// How long the server may stay silent (connecting, before answering, between reads).
    pub timeout: Duration,
    /// Print `Downloaded URL to FILE` when done (off while progress bars are drawn).
    pub announce: bool,
}

/// A finished download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Downloaded {
    /// Bytes written.
    pub bytes: u64,
    /// From the request to the rename, measured by the worker.
    pub elapsed: Duration,
}

/// Why a download failed. Every message names the reason but not the URL: the caller prints
/// the URL beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum DownloadError {
    /// The URL could not be parsed, or is not `http`/`https`.
    #[error("not a valid URL: {0}")]
    InvalidUrl(String),
    /// The host name could not be resolved to an address.
    #[error("could not resolve host `{host}`: {reason}")]
    Dns {
        /// The host name from the URL.
        host: String,
        /// What the resolver said.
        reason: String,
    },
    /// No connection could be made (refused, unreachable, TLS handshake failed…).
    #[error("could not connect: {0}")]
    Connect(String),
    /// The server stayed silent for longer than the timeout.
    #[error("timed out: the server sent nothing for {}", seconds(*.0))]
    Timeout(Duration),
    /// The server answered with an error status.
    #[error("the server answered {0}")]
    Status(String),
    /// The connection broke before the whole body arrived.
    #[error("{}", cut_short(*.received, *.expected, .reason))]
    CutShort {
        /// Bytes received before the failure.
        received: u64,
        /// Bytes announced by the server (`Content-Length`), when it said.
        expected: Option<u64>,
        /// What went wrong.
        reason: String,
    },
    /// The file could not be written (target directory missing or read-only, disk full…).
    #[error("cannot write {}: {reason}", .path.display())]
    Write {
        /// The file or directory that could not be written.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// Anything else the HTTP client reported.
    #[error("{0}")]
    Http(String),
    /// The worker itself failed: it could not start, panicked or died.
    #[error("{0}")]
    Worker(String),
}

fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

fn cut_short(received: u64, expected: Option<u64>, reason: &str) -> String {
    match expected {
        Some(expected) => {
            format!("the body was cut short after {received} of {expected} bytes: {reason}")
        }
        None => format!("the body was cut short after {received} bytes: {reason}"),
    }
}

impl DownloadError {
    fn write(path: &Path, error: &io::Error) -> Self {
        DownloadError::Write {
            path: path.to_owned(),
            reason: error.to_string(),
        }
    }
}

/// Checks that `url` is an absolute `http` or `https` URL with a host.
///
/// ```
/// use q3_create_process::download::parse_url;
/// assert!(parse_url("http://127.0.0.1:8000/data1.txt").is_ok());
/// assert_eq!(
///     parse_url("ftp://example.com/x").unwrap_err().to_string(),
///     "not a valid URL: the scheme is `ftp`; only http and https are supported",
/// );
/// assert_eq!(
///     parse_url("data1.txt").unwrap_err().to_string(),
///     "not a valid URL: relative URL without a base",
/// );
/// ```
pub fn parse_url(url: &str) -> Result<Url, DownloadError> {
    let parsed = Url::parse(url).map_err(|e| DownloadError::InvalidUrl(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(DownloadError::InvalidUrl(format!(
            "the scheme is `{}`; only http and https are supported",
            parsed.scheme()
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(DownloadError::InvalidUrl("no host".into()));
    }
    Ok(parsed)
}

// ANCHOR: download
/// Runs in a worker: fetches `job.url` into `job.temp`, then renames it to `job.file`.
///
/// On failure the temporary file is removed, so nothing is left behind.
pub fn download(job: Job) -> Result<Downloaded, DownloadError> {
    let start = Instant::now();
    match fetch(&job) {
        Ok(bytes) => {
            if job.announce {
                println!("{}", downloaded_line(&job.url, &job.file));
            }
            Ok(Downloaded {
                bytes,
                elapsed: start.elapsed(),
            })
        }
        Err(e) => {
            let _ = fs::remove_file(&job.temp);
            Err(e)
        }
    }
}

/// The line a finished download prints, as the reference program does.
fn downloaded_line(url: &str, file: &Path) -> String {
    format!("Downloaded {url} to {}", file.display())
}

/// The task the workers run.
pub const DOWNLOAD: Task<Job, Result<Downloaded, DownloadError>> = task!(download);
// ANCHOR_END: download

// ANCHOR: fetch
/// Fetches the body into `job.temp`, checks it is whole, and renames it into place.
fn fetch(job: &Job) -> Result<u64, DownloadError> {
    let url = parse_url(&job.url)?;
    let client = client(&url, job.timeout)?;
    let mut response = client
        .get(url.clone())
        .send()
        .map_err(|e| request_error(&e, &url, job.timeout))?;
    let status = response.status();
    if !status.is_success() {
        return Err(DownloadError::Status(status.to_string()));
    }
    let expected = response.content_length();
    let mut out = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&job.temp)
        .map_err(|e| DownloadError::write(&job.temp, &e))?;
    let received = copy_body(&mut response, &mut out, &job.temp, expected, job.timeout)?;
    if let Some(expected) = expected.filter(|&n| n != received) {
        return Err(DownloadError::CutShort {
            received,
            expected: Some(expected),
            reason: "the connection closed early".into(),
        });
    }
    // On disk before the rename: after a power cut, the final name never holds an empty file.
    out.sync_all()
        .map_err(|e| DownloadError::write(&job.temp, &e))?;
    drop(out);
    fs::rename(&job.temp, &job.file).map_err(|e| DownloadError::write(&job.file, &e))?;
    Ok(received)
}
// ANCHOR_END: fetch

/// A blocking HTTP client for one download.
fn client(url: &Url, timeout: Duration) -> Result<reqwest::blocking::Client, DownloadError> {
    let mut builder = reqwest::blocking::Client::builder()
        .user_agent(concat!("q3_create_process/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(timeout)
        // Blocking reqwest applies this to the wait for the answer and to every read of the
        // body: a stall limit, not a limit on the whole download.
        .timeout(timeout);
    if is_loopback(url) {
        // A proxy (HTTP_PROXY…) cannot reach this machine's loopback interface.
        builder = builder.no_proxy();
    }
    builder
        .build()
        .map_err(|e| DownloadError::Http(error_chain(&e)))
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    // IPv6 hosts come in brackets: `[::1]`.
    match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) => ip.is_loopback(),
        Err(_) => {
            let host = host.to_ascii_lowercase();
            host == "localhost" || host.ends_with(".localhost")
        }
    }
}

/// Copies the body to `out`, 64 KiB at a time so the parent sees the file grow.
fn copy_body(
    body: &mut impl Read,
    out: &mut File,
    path: &Path,
    expected: Option<u64>,
    timeout: Duration,
) -> Result<u64, DownloadError> {
    let mut buf = vec![0; 64 * 1024];
    let mut received = 0u64;
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => return Ok(received),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if read_timed_out(&e) => return Err(DownloadError::Timeout(timeout)),
            Err(e) => {
                return Err(DownloadError::CutShort {
                    received,
                    expected,
                    reason: error_chain(&e),
                });
            }
        };
        out.write_all(&buf[..n])
            .map_err(|e| DownloadError::write(path, &e))?;
        received += n as u64;
    }
}

/// Whether a read of the body failed for want of data within the timeout. Blocking reqwest
/// reports that as an `Other` I/O error wrapping its own timeout error.
fn read_timed_out(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::TimedOut
        || e.get_ref()
            .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
            .is_some_and(reqwest::Error::is_timeout)
}

/// Sorts a failed request into the reasons a learner can act on.
fn request_error(e: &reqwest::Error, url: &Url, timeout: Duration) -> DownloadError {
    if e.is_timeout() {
        DownloadError::Timeout(timeout)
    } else if e.is_dns() {
        DownloadError::Dns {
            host: url.host_str().unwrap_or_default().to_owned(),
            reason: innermost(e),
        }
    } else if e.is_connect() {
        DownloadError::Connect(innermost(e))
    } else {
        DownloadError::Http(error_chain(e))
    }
}

/// The deepest cause: "Connection refused (os error 111)" rather than "error sending request".
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// Every message in the chain, outermost first, without the URL reqwest adds (the caller
/// prints the URL once).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cause = Some(e);
    while let Some(err) = cause {
        let text = err.to_string();
        let text = match text.split_once(" for url (") {
            Some((before, _)) => before.to_owned(),
            None => text,
        };
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = err.source();
    }
    parts.join(": ")
}

/// How to run a batch of downloads.
#[derive(Debug, Clone)]
pub struct Options {
    /// The directory the files go to (created if missing).
    pub out_dir: PathBuf,
    /// How long a server may stay silent; see [`Job::timeout`].
    pub timeout: Duration,
    /// Run each download on a thread of this process instead of a child process.
    pub threads: bool,
    /// Print a line per download as it finishes: `Downloaded URL to FILE` from its worker, or
    /// why it failed (on standard error, from the parent).
    pub announce: bool,
    /// With `announce`, draw a spinner per download while it runs, when standard output is a
    /// terminal.
    pub progress: bool,
}

impl Default for Options {
    /// The current directory, a 10 s timeout, processes, lines printed, progress bars on.
    fn default() -> Self {
        Options {
            out_dir: PathBuf::from("."),
            timeout: Duration::from_secs(10),
            threads: false,
            announce: true,
            progress: true,
        }
    }
}

/// One URL's download, as [`download_all`] reports it.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The URL, as given.
    pub url: String,
    /// Where the file is (or would have been) written.
    pub file: PathBuf,
    /// What happened.
    pub result: Result<Downloaded, DownloadError>,
}

/// The result of [`download_all`]: one [`Outcome`] per URL, in input order.
#[derive(Debug, Clone)]
pub struct Report {
    /// One per URL, in the order given.
    pub outcomes: Vec<Outcome>,
    /// From before the first worker started until the last one was done.
    pub wall: Duration,
}

impl Report {
    /// How many downloads failed.
    pub fn failed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.result.is_err()).count()
    }

    /// The downloads' own times added up: about what one-after-another would have taken.
    pub fn sum_of_downloads(&self) -> Duration {
        self.outcomes
            .iter()
            .filter_map(|o| o.result.as_ref().ok())
            .map(|d| d.elapsed)
            .sum()
    }
}

/// The file the `n`th URL (from 1) is saved to: `fileN.txt`, as in the reference program.
///
/// ```
/// use std::path::Path;
/// use q3_create_process::download::target_file;
/// assert_eq!(target_file(Path::new("."), 1), Path::new("file1.txt"));
/// assert_eq!(target_file(Path::new("out"), 12), Path::new("out/file12.txt"));
/// ```
pub fn target_file(out_dir: &Path, n: usize) -> PathBuf {
    let name = format!("file{n}.txt");
    if out_dir == Path::new(".") {
        PathBuf::from(name)
    } else {
        out_dir.join(name)
    }
}

/// A download that has a worker: the handle to wait on.
enum Worker {
    Process(Process<Result<Downloaded, DownloadError>>),
    Thread(Job),
}

/// Downloads every URL, each in its own worker process (or thread, with
/// [`Options::threads`]), and waits for all of them.
///
/// Every URL gets an [`Outcome`]: a bad URL, a failing server or an unwritable directory fails
/// that download only. With [`Options::announce`], each download's line is printed as it
/// finishes. There is one worker per URL, as the question asks; a [`common::Pool`] is the tool
/// for bounding how many run at once (question 5).
///
/// With processes, the program's `main` must start with
/// `common::init(q3_create_process::TASKS)`: the workers are that program started again.
///
/// A run killed from outside (Ctrl-C, SIGTERM) stops its workers with it, but cannot clean
/// up: it may leave hidden `.fileN.txt.XXXXXX.part` files in the target directory.
///
/// ```
/// use std::time::Duration;
/// use q3_create_process::download::{Options, download_all};
/// use q3_create_process::server::{SAMPLE_FILES, Server};
///
/// fn main() -> std::io::Result<()> {
///     common::init(q3_create_process::TASKS);
///     let server = Server::start(SAMPLE_FILES, Duration::from_millis(50))?;
///     let urls: Vec<String> = server.urls().into_iter().cycle().take(6).collect();
///     let dir = tempfile::tempdir()?;
///     let options = Options {
///         out_dir: dir.path().to_owned(),
///         announce: false,
///         ..Options::default()
///     };
///     let report = download_all(&urls, &options);
///     assert_eq!(report.failed(), 0);
///     assert!(dir.path().join("file6.txt").exists());
///     println!("{:?} wall, {:?} added up", report.wall, report.sum_of_downloads());
///     Ok(())
/// }
/// ```
pub fn download_all(urls: &[String], options: &Options) -> Report {
    let start = Instant::now();
    let files: Vec<PathBuf> = (1..=urls.len())
        .map(|n| target_file(&options.out_dir, n))
        .collect();
    let mut board = Board::new(options);
    let mut results: Vec<Option<Result<Downloaded, DownloadError>>> = vec![None; urls.len()];
    let mut temps: Vec<Option<TempPath>> = Vec::new();
    let dir_error = fs::create_dir_all(&options.out_dir)
        .err()
        .map(|e| DownloadError::write(&options.out_dir, &e));

    // ANCHOR: spawn
    // One worker per URL, all started before any is waited for.
    let mut workers = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let prepared = match &dir_error {
            Some(e) => Err(e.clone()),
            None => prepare(url, &files[i], options, board.progress.is_none()),
        };
        let (job, temp) = match prepared {
            Ok(prepared) => prepared,
            Err(e) => {
                board.finished(i, url, &files[i], &Err(e.clone()));
                results[i] = Some(Err(e));
                temps.push(None);
                continue;
            }
        };
        board.started(i, &files[i], &temp);
        temps.push(Some(temp));
        if options.threads {
            workers.push((i, Worker::Thread(job)));
        } else {
            match Process::start(&DOWNLOAD, job) {
                Ok(process) => workers.push((i, Worker::Process(process))),
                Err(e) => {
                    let e = DownloadError::Worker(e.to_string());
                    board.finished(i, url, &files[i], &Err(e.clone()));
                    results[i] = Some(Err(e));
                }
            }
        }
    }
    // ANCHOR_END: spawn

    // ANCHOR: wait
    // Wait for every worker, each on a thread of its own, and take the results as they come.
    thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::channel();
        for (i, worker) in workers {
            let done_tx = done_tx.clone();
            scope.spawn(move || {
                let result = match worker {
                    Worker::Thread(job) => download(job),
                    Worker::Process(process) => process
                        .join()
                        .unwrap_or_else(|e| Err(DownloadError::Worker(worker_failure(&e)))),
                };
                let _ = done_tx.send((i, result));
            });
        }
        drop(done_tx);
        loop {
            match done_rx.recv_timeout(Duration::from_millis(100)) {
                Ok((i, result)) => {
                    board.finished(i, &urls[i], &files[i], &result);
                    results[i] = Some(result);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => board.tick(),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
    });
    // ANCHOR_END: wait

    let outcomes = urls
        .iter()
        .zip(files)
        .zip(results)
        .zip(temps)
        .map(|(((url, file), result), temp)| {
            let result = result.unwrap_or_else(|| {
                Err(DownloadError::Worker("the worker reported nothing".into()))
            });
            if let (Ok(_), Some(temp)) = (&result, temp) {
                // The worker renamed the file: there is nothing left to clean up.
                let _ = temp.keep();
            }
            // A failed download's `TempPath` is dropped here, which removes whatever a killed
            // worker could not.
            Outcome {
                url: url.clone(),
                file,
                result,
            }
        })
        .collect();
    Report {
        outcomes,
        wall: start.elapsed(),
    }
}

/// What the parent shows while downloads run: spinners on a terminal, a line per failure.
/// (Successful downloads announce themselves from their worker, as in the reference program.)
struct Board {
    announce: bool,
    progress: Option<Progress>,
}

impl Board {
    fn new(options: &Options) -> Board {
        let draw = options.announce && options.progress && io::stdout().is_terminal();
        Board {
            announce: options.announce,
            progress: draw.then(Progress::new),
        }
    }

    fn started(&mut self, i: usize, file: &Path, temp: &Path) {
        if let Some(progress) = &mut self.progress {
            progress.add(i, file, temp);
        }
    }

    fn finished(
        &mut self,
        i: usize,
        url: &str,
        file: &Path,
        result: &Result<Downloaded, DownloadError>,
    ) {
        if !self.announce {
            return;
        }
        match (result, &mut self.progress) {
            (Ok(_), Some(progress)) => progress.done(i, downloaded_line(url, file)),
            (Ok(_), None) => {} // the worker printed its line
            (Err(e), progress) => {
                let line = format!(
                    "{}: error: cannot download {url}: {e}",
                    env!("CARGO_PKG_NAME")
                );
                match progress {
                    Some(progress) => progress.failed(i, &line),
                    None => eprintln!("{line}"),
                }
            }
        }
    }

    fn tick(&self) {
        if let Some(progress) = &self.progress {
            progress.poll();
        }
    }
}

/// Checks the URL and creates the temporary file the worker will fill.
fn prepare(
    url: &str,
    file: &Path,
    options: &Options,
    announce: bool,
) -> Result<(Job, TempPath), DownloadError> {
    parse_url(url)?;
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    let dir = options.out_dir.as_path();
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".part")
        // As for any new file: the umask decides (tempfile would make it owner-only).
        .permissions(fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(|e| DownloadError::write(dir, &e))?
        .into_temp_path();
    let job = Job {
        url: url.to_owned(),
        temp: temp.to_path_buf(),
        file: file.to_owned(),
        timeout: options.timeout,
        announce: announce && options.announce,
    };
    Ok((job, temp))
}

/// A worker's failure, in words: the exit or signal for a death, the message for a panic.
fn worker_failure(e: &common::Error) -> String {
    match e {
        common::Error::WorkerDied { pid, exit, .. } => {
            format!("the download process {pid} died ({exit})")
        }
        common::Error::TaskPanicked {
            message, location, ..
        } => format!(
            "the download panicked at {}: {message}",
            location.as_deref().unwrap_or("an unknown location")
        ),
        other => other.to_string(),
    }
}

impl fmt::Display for Outcome {
    /// `Downloaded URL to FILE`, or `cannot download URL: REASON`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.result {
            Ok(_) => f.write_str(&downloaded_line(&self.url, &self.file)),
            Err(e) => write!(f, "cannot download {}: {e}", self.url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::{Fault, SAMPLE_FILES, Server};

    fn quiet(dir: &Path, timeout: Duration) -> Options {
        Options {
            out_dir: dir.to_owned(),
            timeout,
            threads: true,
            announce: false,
            progress: false,
        }
    }

    /// Only the downloaded files remain: no temporary file survives, whatever happened.
    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn threads_download_every_sample_file() {
        let server = Server::start(SAMPLE_FILES, Duration::ZERO).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let report = download_all(&server.urls(), &quiet(dir.path(), Duration::from_secs(5)));
        assert_eq!(report.failed(), 0, "{:?}", report.outcomes);
        for (n, (_, body)) in SAMPLE_FILES.iter().enumerate() {
            let file = dir.path().join(format!("file{}.txt", n + 1));
            assert_eq!(fs::read_to_string(&file).unwrap(), *body);
            let mode = fs::metadata(&file).unwrap().permissions().mode();
            assert_ne!(mode & 0o044, 0, "readable by others as with any new file");
        }
        assert_eq!(
            names_in(dir.path()),
            ["file1.txt", "file2.txt", "file3.txt"]
        );
        assert!(report.sum_of_downloads() > Duration::ZERO);
    }

    #[test]
    fn each_fault_fails_its_download_only_and_leaves_nothing() {
        let server = Server::start(SAMPLE_FILES, Duration::ZERO).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut urls = vec![server.urls()[0].clone()];
        urls.extend(Fault::ALL.map(|f| server.fault_url(f)));
        let report = download_all(&urls, &quiet(dir.path(), Duration::from_millis(300)));
        let errors: Vec<String> = report
            .outcomes
            .iter()
            .map(|o| match &o.result {
                Ok(_) => "ok".to_owned(),
                Err(e) => e.to_string(),
            })
            .collect();
        assert_eq!(errors[0], "ok");
        assert_eq!(errors[1], "the server answered 404 Not Found");
        assert_eq!(errors[2], "the server answered 500 Internal Server Error");
        assert!(
            errors[3].starts_with("the body was cut short after 32 of 64 bytes: "),
            "{}",
            errors[3]
        );
        assert_eq!(errors[4], "timed out: the server sent nothing for 0.3 s");
        assert_eq!(errors[5], "timed out: the server sent nothing for 0.3 s");
        assert_eq!(report.failed(), 5);
        assert_eq!(names_in(dir.path()), ["file1.txt"]);
    }

    #[test]
    fn a_bad_url_fails_before_any_worker_starts() {
        let dir = tempfile::tempdir().unwrap();
        let urls = ["http://".to_owned(), "mailto:me@example.com".to_owned()];
        let report = download_all(&urls, &quiet(dir.path(), Duration::from_secs(1)));
        for outcome in &report.outcomes {
            assert!(
                matches!(outcome.result, Err(DownloadError::InvalidUrl(_))),
                "{outcome}"
            );
        }
        assert!(names_in(dir.path()).is_empty());
    }

    #[test]
    fn an_unusable_directory_fails_every_download() {
        let dir = tempfile::tempdir().unwrap();
        let not_a_dir = dir.path().join("plain");
        fs::write(&not_a_dir, "").unwrap();
        let urls = ["http://127.0.0.1:9/a".to_owned()];
        let report = download_all(&urls, &quiet(&not_a_dir, Duration::from_secs(1)));
        let outcome = &report.outcomes[0];
        assert_eq!(
            outcome.to_string(),
            format!(
                "cannot download http://127.0.0.1:9/a: cannot write {}: File exists (os error 17)",
                not_a_dir.display()
            )
        );
    }

    #[test]
    fn error_chains_drop_the_url_and_repeats() {
        let inner = io::Error::new(io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(error_chain(&inner), "refused");
        assert_eq!(innermost(&inner), "refused");
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        for (url, loopback) in [
            ("http://127.0.0.1:1/", true),
            ("http://127.9.9.9/", true),
            ("http://[::1]:8/", true),
            ("http://localhost/", true),
            ("http://api.LOCALHOST/", true),
            ("http://example.com/", false),
            ("http://10.0.0.1/", false),
        ] {
            assert_eq!(is_loopback(&Url::parse(url).unwrap()), loopback, "{url}");
        }
    }
}
