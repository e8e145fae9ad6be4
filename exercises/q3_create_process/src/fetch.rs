//! The HTTP side of a download: check the URL, fetch the body into the temporary file, and
//! sort what can go wrong into the reasons of [`DownloadError`].

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use reqwest::Url;
use reqwest::blocking::{Client, Response};
use reqwest::header::{CONTENT_TYPE, LOCATION};

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
    // The check itself is `http_url`; this names its failure as a download error.
    http_url(url).map_err(DownloadError::InvalidUrl)
}

/// Why `url` is not an absolute `http` or `https` URL with a host, if it is not.
fn http_url(url: &str) -> Result<Url, String> {
    let parsed = Url::parse(url).map_err(|e| e.to_string())?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "the scheme is `{}`; only http and https are supported",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("no host".into());
    }
    Ok(parsed)
}

/// `url` as it may be shown: a password in it is replaced by `***`. Works on any text, a URL
/// that does not parse included, so no message ever echoes a password.
///
/// ```
/// use q3_create_process::fetch::shown_url;
/// assert_eq!(shown_url("http://me:s3cret@host/x"), "http://me:***@host/x");
/// assert_eq!(shown_url("ftp://me:pw@host:21/a@b"), "ftp://me:***@host:21/a@b");
/// assert_eq!(shown_url("http://host/x"), "http://host/x");
/// ```
pub fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // The authority ends at the first `/`, `?` or `#`; its user info before its last `@`.
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// The check `download` makes on its URLs before anything runs: `Err` is the usage error to
/// print (naming the URL, its password hidden).
pub fn check_url(url: &str) -> Result<(), String> {
    http_url(url)
        .map(drop)
        .map_err(|why| format!("invalid value '{}' for '[URL]...': {why}", shown_url(url)))
}

// ANCHOR: fetch
/// Fetches the body into `job.temp`, checks it is whole, and renames it into place, with the
/// HTTP client given, or else this process's own (see [`process_client`]).
pub(crate) fn fetch(job: &Job, shared: Option<&Client>) -> Result<u64, DownloadError> {
    let start = Instant::now();
    let url = parse_url(&job.url)?;
    let own;
    let client = match shared {
        Some(client) => client,
        None => {
            own = process_client(&url, job.timeout)?;
            &own
        }
    };
    let mut response = client
        .get(url.clone())
        .send()
        .map_err(|e| request_error(&e, &url, job.timeout))?;
    let status = response.status();
    if !status.is_success() {
        return Err(refused(response));
    }
    let expected = response.content_length();
    let mut out = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&job.temp)
        .map_err(|e| DownloadError::write(&job.temp, &e))?;
    let limits = Limits {
        stall: job.timeout,
        deadline: start + job.max_time,
        max_time: job.max_time,
    };
    let received = copy_body(&mut response, &mut out, &job.temp, expected, &limits)?;
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

/// This process's client for downloads like `url` with `timeout`, built on first use and kept:
/// building one reads the system's certificates and starts a thread, a few milliseconds that a
/// pool worker running many downloads, or a loop of them, then pays once. (A cheap clone: the
/// client is shared inside.)
fn process_client(url: &Url, timeout: Duration) -> Result<Client, DownloadError> {
    type Key = (Duration, bool);
    static CLIENTS: Mutex<Vec<(Key, Client)>> = Mutex::new(Vec::new());
    let key = (timeout, is_loopback(url));
    let mut clients = CLIENTS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, client)) = clients.iter().find(|(k, _)| *k == key) {
        return Ok(client.clone());
    }
    let built = client([url], timeout)?;
    clients.push((key, built.clone()));
    Ok(built)
}

/// A blocking HTTP client for downloads of `urls`.
pub(crate) fn client<'u>(
    urls: impl IntoIterator<Item = &'u Url>,
    timeout: Duration,
) -> Result<Client, DownloadError> {
    let mut builder = Client::builder()
        .user_agent(concat!("q3_create_process/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(timeout)
        // Blocking reqwest applies this to the wait for the answer and to every read of the
        // body: a stall limit, not a limit on the whole download.
        .timeout(timeout);
    if urls.into_iter().all(is_loopback) {
        // A proxy (HTTP_PROXY…) cannot reach this machine's loopback interface.
        builder = builder.no_proxy();
    }
    builder.build().map_err(|e| {
        // Out of descriptors, the client cannot read the system's certificates and says only
        // that none were loaded: name the real cause when that is it.
        let why = descriptors_short().unwrap_or_else(|| innermost(&e));
        DownloadError::Http(format!("could not set up the HTTP client: {why}"))
    })
}

/// "out of file descriptors (…)" if this process has almost none left to open (loading the
/// system's certificates takes a few at once), `None` otherwise.
fn descriptors_short() -> Option<String> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is valid for writes; getrlimit has no other preconditions.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    // Reading the directory takes one descriptor itself, which is counted and closed again.
    let open = match fs::read_dir("/proc/self/fd") {
        Ok(entries) => entries.count() as u64,
        Err(e) if e.raw_os_error() == Some(libc::EMFILE) => limit.rlim_cur,
        Err(_) => return None,
    };
    (limit.rlim_cur.saturating_sub(open) < 8).then(|| {
        format!(
            "out of file descriptors ({open} of the {} allowed are open; see `ulimit -n`)",
            limit.rlim_cur
        )
    })
}

/// The error for an answer that is not a success: where a redirect the client did not follow
/// leads, or the status and what the server said about it.
fn refused(response: Response) -> DownloadError {
    let status = response.status();
    // The client follows redirects to http and https itself; one it hands back leads elsewhere.
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|l| l.to_str().ok());
    if let Some(to) = location.filter(|_| status.is_redirection()) {
        return DownloadError::Redirect(shown_url(to));
    }
    let plain_text = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|t| t.to_str().ok())
        .is_some_and(|t| t.starts_with("text/plain"));
    let mut said = String::new();
    if plain_text {
        // A short reason in plain text is worth showing (the built-in server's 503 says which
        // resource ran out); an HTML page is not.
        let _ = response.take(300).read_to_string(&mut said);
    }
    let said = said.lines().next().unwrap_or("").trim();
    let reason = status.canonical_reason().unwrap_or("");
    if said.is_empty() || said.eq_ignore_ascii_case(reason) {
        DownloadError::Status(status.to_string())
    } else {
        DownloadError::Status(format!("{status}: {said}"))
    }
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

/// How long a download may take: silent (`stall`) and in all (`deadline`, `max_time` from its
/// start).
struct Limits {
    stall: Duration,
    deadline: Instant,
    max_time: Duration,
}

/// Copies the body to `out`, 64 KiB at a time so the parent sees the file grow. The overall
/// deadline is checked between reads, so it may be passed by up to one stall limit.
fn copy_body(
    body: &mut impl Read,
    out: &mut File,
    path: &Path,
    expected: Option<u64>,
    limits: &Limits,
) -> Result<u64, DownloadError> {
    let mut buf = vec![0; 64 * 1024];
    let mut received = 0u64;
    loop {
        if Instant::now() >= limits.deadline {
            return Err(DownloadError::Deadline {
                after: limits.max_time,
                received,
            });
        }
        let n = match body.read(&mut buf) {
            Ok(0) => return Ok(received),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if read_timed_out(&e) => return Err(DownloadError::Timeout(limits.stall)),
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
        // A server on this machine (the built-in one runs in this very process) that had no
        // descriptor left could not take the connection off its queue: that is the cause.
        match descriptors_short().filter(|_| is_loopback(url)) {
            Some(why) => DownloadError::Http(format!(
                "no answer within {}: {why}, so the server could not accept the connection",
                support::units::seconds(timeout.as_secs_f64())
            )),
            None => DownloadError::Timeout(timeout),
        }
    } else if e.is_dns() {
        DownloadError::Dns {
            host: url.host_str().unwrap_or_default().to_owned(),
            reason: innermost(e),
        }
    } else if e.is_connect() {
        if speaks_no_tls(e) {
            DownloadError::Connect(
                "the server does not speak TLS (https); is it an http:// URL?".into(),
            )
        } else {
            DownloadError::Connect(innermost(e))
        }
    } else {
        DownloadError::Http(error_chain(e))
    }
}

/// Whether the TLS handshake failed because the answer was not TLS at all: what an `https://`
/// URL gets from a plain HTTP server (rustls: "received corrupt message of type
/// InvalidContentType").
fn speaks_no_tls(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(err) = cause {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return matches!(
                tls,
                rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType)
            );
        }
        // An `io::Error` that wraps another error skips it in `source()`: step inside instead.
        cause = match err.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    false
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
