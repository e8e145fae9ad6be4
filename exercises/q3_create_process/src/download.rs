//! Downloading files, one process (or thread) per URL: the orchestration.
//!
//! [`download_all`] is the whole program of answer sheet 000: it starts one worker per URL,
//! each running the [`download`] task, and waits for all of them. The parts live in their own
//! modules: the task in [`crate::task`], the HTTP fetch in [`crate::fetch`], the errors in
//! [`crate::error`], what the parent prints in `board`, and the clean-up on Ctrl-C in
//! [`crate::interrupt`].

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::{Process, Trace};
use support::out::OutputError;

use crate::board::Board;
use crate::fetch::{self, parse_url};
use crate::interrupt::Cleanup;
use crate::task::{download_with, downloaded_line};

// The task and its types, where callers (the benchmarks among them) find them with the rest.
pub use crate::error::DownloadError;
pub use crate::task::{DOWNLOAD, Downloaded, Job, download};

/// How to run a batch of downloads.
#[derive(Debug, Clone)]
pub struct Options {
    /// The directory the files go to (created if missing).
    pub out_dir: PathBuf,
    /// How long a server may stay silent; see [`Job::timeout`].
    pub timeout: Duration,
    /// How long one download may take in all; see [`Job::max_time`].
    pub max_time: Duration,
    /// Run each download on a thread of this process instead of a child process.
    pub threads: bool,
    /// Print a line per download as it finishes: `Downloaded URL to FILE` from its worker, or
    /// why it failed (on standard error, from the parent).
    pub announce: bool,
    /// With `announce`, draw a spinner per download while it runs, when standard output is a
    /// terminal.
    pub progress: bool,
    /// Where the batch lists its temporary directory, for a signal handler to remove (see
    /// [`Cleanup::on_signal`]).
    pub cleanup: Cleanup,
    /// Records each worker's life, from its start to its end, one span per URL.
    pub trace: Option<Trace>,
}

impl Default for Options {
    /// The current directory, a 10 s stall limit and 600 s in all, processes, lines printed,
    /// progress bars on.
    fn default() -> Self {
        Options {
            out_dir: PathBuf::from("."),
            timeout: Duration::from_secs(10),
            max_time: Duration::from_secs(600),
            threads: false,
            announce: true,
            progress: true,
            cleanup: Cleanup::default(),
            trace: None,
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

    /// Why a worker could not print its `Downloaded …` line, if one could not: the program's
    /// output is gone (or full), whatever else happened.
    pub fn print_failed(&self) -> Option<&OutputError> {
        self.outcomes
            .iter()
            .find_map(|o| o.result.as_ref().ok()?.print_failed.as_ref())
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

impl Worker {
    /// The process id, or for a thread (called on that thread) its thread id.
    fn id(&self) -> u32 {
        match self {
            Worker::Process(process) => process.pid(),
            Worker::Thread(_) => Trace::thread_id(),
        }
    }
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
/// The temporary files are in a hidden directory of the target directory, removed at the end.
/// A run stopped by Ctrl-C, SIGTERM or a hang-up removes it too when [`Options::cleanup`]
/// watches for those signals ([`Cleanup::on_signal`]); one killed by SIGKILL leaves it behind,
/// for the next run in that directory to remove.
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
    let mut batch = Batch::new(urls, options);

    // ANCHOR: spawn
    // One worker per URL, all started before any is waited for (Python: `p.start()` each).
    let mut workers = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let Some(job) = batch.prepare(i, url) else {
            continue; // a bad URL fails alone
        };
        let worker = if options.threads {
            Ok(Worker::Thread(job))
        } else {
            Process::start(&DOWNLOAD, job).map(Worker::Process) // a child runs `download(job)`
        };
        match worker {
            Ok(worker) => workers.push((i, batch.started(), worker)),
            Err(e) => batch.finished(i, Err(DownloadError::Worker(e.to_string()))),
        }
    }
    // ANCHOR_END: spawn

    // Threads share one HTTP client (processes cannot): one set of certificates loaded, one
    // connection pool.
    let client = if options.threads && !workers.is_empty() {
        let urls: Vec<_> = urls.iter().filter_map(|u| parse_url(u).ok()).collect();
        Some(fetch::client(&urls, options.timeout))
    } else {
        None
    };

    // ANCHOR: wait
    // Wait for every worker, each on a thread of its own, and take the results as they come.
    thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::channel();
        for (i, born, worker) in workers {
            let done_tx = done_tx.clone();
            let client = client.as_ref();
            let spawned = thread::Builder::new().spawn_scoped(scope, move || {
                let pid = worker.id();
                let result = match worker {
                    Worker::Thread(job) => match client {
                        Some(Ok(client)) => download_with(job, Some(client)),
                        Some(Err(e)) => Err(e.clone()),
                        None => download(job),
                    },
                    Worker::Process(process) => process
                        .join()
                        .unwrap_or_else(|e| Err(DownloadError::worker(&e))),
                };
                record(options.trace.as_ref(), i, pid, born, &result);
                let _ = done_tx.send((i, result));
            });
            // No thread to wait on this worker: it fails (a process is stopped as the closure
            // holding it is dropped), and the others go on.
            if let Err(e) = spawned {
                let e = DownloadError::Worker(format!("could not start a thread: {e}"));
                batch.finished(i, Err(e));
            }
        }
        drop(done_tx);
        loop {
            match done_rx.recv_timeout(Duration::from_millis(100)) {
                Ok((i, result)) => batch.finished(i, result),
                Err(mpsc::RecvTimeoutError::Timeout) => batch.board.tick(),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
    });
    // ANCHOR_END: wait

    Report {
        outcomes: batch.outcomes(),
        wall: start.elapsed(),
    }
}

/// The bookkeeping of one batch: where each file goes, what the parent prints as workers start
/// and end, every result so far, and the scratch directory of the unfinished files.
struct Batch<'a> {
    urls: &'a [String],
    files: Vec<PathBuf>,
    options: &'a Options,
    board: Board,
    results: Vec<Option<Result<Downloaded, DownloadError>>>,
    /// Every temporary file of the batch goes in one hidden directory, removed when the batch
    /// ends (by its drop), or by `options.cleanup` on Ctrl-C.
    scratch: Result<crate::interrupt::ScratchDir, DownloadError>,
}

impl<'a> Batch<'a> {
    fn new(urls: &'a [String], options: &'a Options) -> Self {
        let scratch = fs::create_dir_all(&options.out_dir)
            .and_then(|()| options.cleanup.create_dir_in(&options.out_dir))
            .map_err(|e| DownloadError::write(&options.out_dir, &e));
        Batch {
            urls,
            files: (1..=urls.len())
                .map(|n| target_file(&options.out_dir, n))
                .collect(),
            options,
            board: Board::new(options),
            results: vec![None; urls.len()],
            scratch,
        }
    }

    /// The job of URL `i`, or `None` if it cannot even start (reported as its result).
    fn prepare(&mut self, i: usize, url: &str) -> Option<Job> {
        let prepared = match &self.scratch {
            Ok(scratch) => prepare(
                url,
                &self.files[i],
                scratch.path(),
                self.options,
                &self.board,
            ),
            Err(e) => Err(e.clone()),
        };
        match prepared {
            Ok(job) => {
                self.board.started(i, &self.files[i], &job.temp);
                Some(job)
            }
            Err(e) => {
                self.finished(i, Err(e));
                None
            }
        }
    }

    /// When a worker started, for the trace.
    fn started(&self) -> Option<Duration> {
        self.options.trace.as_ref().map(Trace::now)
    }

    /// URL `i` is done, one way or the other.
    fn finished(&mut self, i: usize, result: Result<Downloaded, DownloadError>) {
        self.board
            .finished(i, &self.urls[i], &self.files[i], &result);
        self.results[i] = Some(result);
    }

    /// Every URL's outcome, in order. Every worker has ended: whatever a killed one left in
    /// the scratch directory goes with it now.
    fn outcomes(self) -> Vec<Outcome> {
        let Batch {
            urls,
            files,
            results,
            scratch,
            ..
        } = self;
        drop(scratch);
        urls.iter()
            .zip(files)
            .zip(results)
            .map(|((url, file), result)| Outcome {
                url: url.clone(),
                file,
                result: result.unwrap_or_else(|| {
                    Err(DownloadError::Worker("the worker reported nothing".into()))
                }),
            })
            .collect()
    }
}

/// Adds worker `pid`'s life, from `born` until now, to `trace` as URL `index`'s span.
fn record(
    trace: Option<&Trace>,
    index: usize,
    pid: u32,
    born: Option<Duration>,
    result: &Result<Downloaded, DownloadError>,
) {
    if let (Some(trace), Some(start)) = (trace, born) {
        let outcome = match result {
            Ok(_) => common::Outcome::Ran,
            Err(DownloadError::Worker(_)) => common::Outcome::Killed,
            Err(_) => common::Outcome::Failed,
        };
        trace.record(common::Span {
            index,
            pid,
            start,
            end: trace.now(),
            outcome,
        });
    }
}

/// Checks the URL and names the temporary file, in `scratch`, that the worker will fill.
fn prepare(
    url: &str,
    file: &Path,
    scratch: &Path,
    options: &Options,
    board: &Board,
) -> Result<Job, DownloadError> {
    parse_url(url)?;
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    Ok(Job {
        url: url.to_owned(),
        temp: scratch.join(format!("{name}.part")),
        file: file.to_owned(),
        timeout: options.timeout,
        max_time: options.max_time,
        announce: board.workers_announce(),
    })
}

impl fmt::Display for Outcome {
    /// `Downloaded URL to FILE`, or `cannot download URL: REASON` (a password shown as `***`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.result {
            Ok(_) => f.write_str(&downloaded_line(&self.url, &self.file)),
            Err(e) => write!(f, "cannot download {}: {e}", fetch::shown_url(&self.url)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::server::{Fault, SAMPLE_FILES, Server};

    fn quiet(dir: &Path, timeout: Duration) -> Options {
        Options {
            out_dir: dir.to_owned(),
            timeout,
            max_time: Duration::from_secs(60),
            threads: true,
            announce: false,
            progress: false,
            cleanup: Cleanup::default(),
            trace: None,
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
        let options = Options {
            max_time: Duration::from_secs(1),
            ..quiet(dir.path(), Duration::from_millis(300))
        };
        let report = download_all(&urls, &options);
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
        assert_eq!(errors[4], "timed out: the server sent nothing for 300 ms");
        assert_eq!(errors[5], "timed out: the server sent nothing for 300 ms");
        assert!(
            errors[6].starts_with("gave up after 1.00 s: the download was still going ("),
            "{}",
            errors[6]
        );
        assert_eq!(
            errors[7],
            "the server redirected to file:///etc/passwd, which is not an http or https URL"
        );
        assert_eq!(report.failed(), 7);
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
}
