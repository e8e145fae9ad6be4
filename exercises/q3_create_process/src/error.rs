//! Why a download failed, in words a learner can act on.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use support::units::seconds;

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
    #[error("timed out: the server sent nothing for {}", seconds(.0.as_secs_f64()))]
    Timeout(Duration),
    /// The server answered with an error status.
    #[error("the server answered {0}")]
    Status(String),
    /// The server redirected to a URL the client does not follow (`file:`, say).
    #[error("the server redirected to {0}, which is not an http or https URL")]
    Redirect(String),
    /// The download was still going when its overall time ran out (a server that sends a
    /// little, steadily, never trips the stall limit).
    #[error("gave up after {}: the download was still going ({received} bytes so far)", seconds(.after.as_secs_f64()))]
    Deadline {
        /// The overall limit.
        after: Duration,
        /// Bytes received by then.
        received: u64,
    },
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

fn cut_short(received: u64, expected: Option<u64>, reason: &str) -> String {
    match expected {
        Some(expected) => {
            format!("the body was cut short after {received} of {expected} bytes: {reason}")
        }
        None => format!("the body was cut short after {received} bytes: {reason}"),
    }
}

impl DownloadError {
    /// `path` could not be written.
    pub(crate) fn write(path: &Path, error: &io::Error) -> Self {
        DownloadError::Write {
            path: path.to_owned(),
            reason: error.to_string(),
        }
    }

    /// The worker process failed, in words: the exit or signal for a death, the message and
    /// place for a panic.
    pub(crate) fn worker(error: &common::Error) -> Self {
        DownloadError::Worker(match error {
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
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_reason_not_the_url() {
        assert_eq!(
            DownloadError::Timeout(Duration::from_millis(300)).to_string(),
            "timed out: the server sent nothing for 300 ms"
        );
        assert_eq!(
            DownloadError::Timeout(Duration::from_secs(10)).to_string(),
            "timed out: the server sent nothing for 10.0 s"
        );
        let cut = |expected| DownloadError::CutShort {
            received: 32,
            expected,
            reason: "reset".into(),
        };
        assert_eq!(
            cut(Some(64)).to_string(),
            "the body was cut short after 32 of 64 bytes: reset"
        );
        assert_eq!(
            cut(None).to_string(),
            "the body was cut short after 32 bytes: reset"
        );
        let died = common::Error::WorkerDied {
            index: None,
            pid: 7,
            exit: common::Exit::Signal(9),
        };
        assert_eq!(
            DownloadError::worker(&died).to_string(),
            "the download process 7 died (killed by signal 9 (SIGKILL))"
        );
    }
}
