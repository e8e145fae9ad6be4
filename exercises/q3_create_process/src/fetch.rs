//! The HTTP side of a download: check the URL, fetch the body into the temporary file, and
//! sort what can go wrong into the reasons of [`DownloadError`].

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::Url;

use crate::error::DownloadError;
use crate::task::Job;

/// Checks that `url` is an absolute `http` or `https` URL with a host.
///
/// ```
/// use q3_create_process::fetch::parse_url;
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

// ANCHOR: fetch
/// Fetches the body into `job.temp`, checks it is whole, and renames it into place.
pub(crate) fn fetch(job: &Job) -> Result<u64, DownloadError> {
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

/// A blocking HTTP client for downloads with this `timeout` from a host like `url`'s: built
/// once per process and shared (a clone shares the connection pool).
///
/// Building one costs about 4 ms of CPU (it loads and parses the system's CA certificates,
/// and starts a runtime thread): with a client per download, twelve threads downloading at
/// once spent more time building clients than waiting for the server. One per process is how
/// reqwest means its client to be used.
fn client(url: &Url, timeout: Duration) -> Result<reqwest::blocking::Client, DownloadError> {
    type Clients = HashMap<(Duration, bool), reqwest::blocking::Client>;
    static CLIENTS: Mutex<Option<Clients>> = Mutex::new(None);
    let key = (timeout, is_loopback(url));
    let mut clients = CLIENTS.lock().unwrap_or_else(|e| e.into_inner());
    let clients = clients.get_or_insert_with(HashMap::new);
    if let Some(client) = clients.get(&key) {
        return Ok(client.clone());
    }
    let client = build_client(url, timeout)?;
    clients.insert(key, client.clone());
    Ok(client)
}

fn build_client(url: &Url, timeout: Duration) -> Result<reqwest::blocking::Client, DownloadError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
