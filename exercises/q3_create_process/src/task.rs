//! The task a worker runs: one [`Job`] in, one file downloaded (or a [`DownloadError`]) out.
//!
//! A download writes to a temporary file and renames it into place only once the whole body
//! has arrived, so a failed download leaves no partial or empty file behind.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Task, task};
use reqwest::blocking::Client;
use serde::{Deserialize, Serialize};
use support::out::OutputError;
use support::outln;

use crate::error::DownloadError;
use crate::fetch::{fetch, shown_url};

/// What one worker is asked to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// The URL to fetch (`http` or `https`).
    pub url: String,
    /// Where the body is written while it arrives. Created if missing; removed on failure.
    /// (Paths travel as bytes: a Linux path need not be UTF-8.)
    #[serde(with = "path_bytes")]
    pub temp: PathBuf,
    /// Where the file ends up: `temp` is renamed to this once the body is complete.
    #[serde(with = "path_bytes")]
    pub file: PathBuf,
    /// How long the server may stay silent (connecting, before answering, between reads).
    pub timeout: Duration,
    /// How long the whole download may take, however steadily the data comes.
    pub max_time: Duration,
    /// Print `Downloaded URL to FILE` when done (off while progress bars are drawn).
    pub announce: bool,
}

/// A finished download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Downloaded {
    /// Bytes written.
    pub bytes: u64,
    /// From the request to the rename, measured by the worker.
    pub elapsed: Duration,
    /// Why the worker's `Downloaded …` line could not be printed, if it could not (its reader
    /// went away, the disk is full). The file is complete either way; the parent decides how
    /// the program ends.
    pub print_failed: Option<OutputError>,
}

// ANCHOR: download
/// Runs in a worker: fetches `job.url` into `job.temp`, then renames it to `job.file`. On
/// failure the temporary file is removed, so nothing is left behind.
pub fn download(job: Job) -> Result<Downloaded, DownloadError> {
    download_with(job, None)
}

/// The task the workers run.
pub const DOWNLOAD: Task<Job, Result<Downloaded, DownloadError>> = task!(download);

/// [`download`] with a client shared between threads (`None`: build one).
pub(crate) fn download_with(
    job: Job,
    client: Option<&Client>,
) -> Result<Downloaded, DownloadError> {
    let start = Instant::now();
    let bytes = fetch(&job, client).inspect_err(|_| {
        let _ = fs::remove_file(&job.temp);
    })?;
    // `outln!` returns a failure to print rather than panicking.
    let printed = match job.announce {
        true => outln!("{}", downloaded_line(&job.url, &job.file)),
        false => Ok(()),
    };
    let (elapsed, print_failed) = (start.elapsed(), printed.err());
    Ok(Downloaded {
        bytes,
        elapsed,
        print_failed,
    })
}
// ANCHOR_END: download

/// The line a finished download prints, as the reference program does (a password in the URL
/// shown as `***`).
pub(crate) fn downloaded_line(url: &str, file: &Path) -> String {
    format!("Downloaded {} to {}", shown_url(url), file.display())
}

/// Serde for a path as its bytes, which need not be UTF-8 (serde's own `PathBuf` refuses).
mod path_bytes {
    use std::ffi::OsString;
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::path::{Path, PathBuf};

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(path.as_os_str().as_bytes())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
        let bytes = serde_bytes::ByteBuf::deserialize(d)?;
        Ok(PathBuf::from(OsString::from_vec(bytes.into_vec())))
    }
}
