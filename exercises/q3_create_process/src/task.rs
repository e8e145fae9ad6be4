//! The task a worker runs: one [`Job`] in, one file downloaded (or a [`DownloadError`]) out.
//!
//! A download writes to a temporary file and renames it into place only once the whole body
//! has arrived, so a failed download leaves no partial or empty file behind.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Task, task};
use serde::{Deserialize, Serialize};

use crate::error::DownloadError;
use crate::fetch::fetch;

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
pub(crate) fn downloaded_line(url: &str, file: &Path) -> String {
    format!("Downloaded {url} to {}", file.display())
}

/// The task the workers run.
pub const DOWNLOAD: Task<Job, Result<Downloaded, DownloadError>> = task!(download);
// ANCHOR_END: download
