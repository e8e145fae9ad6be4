//! A small HTTP/1.1 file server on `127.0.0.1`, so downloads work without the internet: the
//! built-in server of question 3, and of the benchmarks and tests that download files.
//!
//! [`Server::start`] binds a free port on the loopback interface and serves a fixed set of
//! files, each answer delayed by a chosen latency (so parallel downloads visibly overlap). A few
//! [`Fault`] routes misbehave on purpose (404, 500, a body cut short, a stall, a trickle, a
//! redirect out of HTTP) so clients can be tested against them. A connection the server cannot
//! serve (no file descriptor, no thread left) is answered `503 Service Unavailable`, with the
//! reason in the body, rather than dropped: a client then says what went wrong. Dropping the server (or calling [`Server::stop`]) stops it: every
//! connection is closed, every thread joined.
//!
//! ```
//! use std::io::{Read, Write};
//! use std::time::Duration;
//! use fileserver::Server;
//!
//! let server = Server::start([("hello.txt", "Hello!\n")], Duration::ZERO)?;
//! assert_eq!(server.urls(), [format!("http://{}/hello.txt", server.addr())]);
//!
//! let mut conn = std::net::TcpStream::connect(server.addr())?;
//! conn.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")?;
//! let mut answer = String::new();
//! conn.read_to_string(&mut answer)?;
//! assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(answer.ends_with("\r\n\r\nHello!\n"));
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! It is written on the standard library alone: a thread accepts connections and one thread
//! per connection answers a single request (`Connection: close`). That is plenty for a few
//! dozen downloads and keeps the shutdown easy to reason about. (A well-kept server crate such
//! as `tiny_http` would serve the files, but not misbehave on purpose: the fault routes, and
//! answering `503` when no descriptor is left, are what this crate is for.)

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Routes that misbehave on purpose, for testing clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// `404 Not Found`.
    NotFound,
    /// `500 Internal Server Error`.
    ServerError,
    /// `200 OK` announcing more bytes than it sends: the connection closes halfway through.
    CutBody,
    /// Reads the request and never answers (until the client gives up or the server stops).
    Stall,
    /// `200 OK`, half the announced body, then silence with the connection open.
    StallBody,
    /// `200 OK`, then the body one byte every [`TRICKLE_EVERY`]: never silent for long, never
    /// done soon.
    Trickle,
    /// `302 Found` to a `file:` URL, which an HTTP client must not follow.
    RedirectToFile,
}

/// How often `/fault/trickle` sends one byte of its body.
pub const TRICKLE_EVERY: Duration = Duration::from_millis(50);

/// Where `/fault/redirect-file` sends its client.
pub const REDIRECT_TARGET: &str = "file:///etc/passwd";

impl Fault {
    /// Every fault, in a fixed order.
    pub const ALL: [Fault; 7] = [
        Fault::NotFound,
        Fault::ServerError,
        Fault::CutBody,
        Fault::Stall,
        Fault::StallBody,
        Fault::Trickle,
        Fault::RedirectToFile,
    ];

    /// The path this fault is served at, e.g. `/fault/404`.
    pub const fn path(self) -> &'static str {
        match self {
            Fault::NotFound => "/fault/404",
            Fault::ServerError => "/fault/500",
            Fault::CutBody => "/fault/cut",
            Fault::Stall => "/fault/stall",
            Fault::StallBody => "/fault/stall-body",
            Fault::Trickle => "/fault/trickle",
            Fault::RedirectToFile => "/fault/redirect-file",
        }
    }

    fn from_path(path: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|fault| fault.path() == path)
    }
}

/// The body `/fault/cut` and `/fault/stall-body` announce; only its first half is sent.
const CUT_BODY: &[u8] = b"This body is announced whole but the connection closes halfway.\n";

/// The body `/fault/trickle` sends a byte at a time: 100 bytes, 5 s at [`TRICKLE_EVERY`].
const TRICKLE_BODY: &[u8] = b"slow and steady: one byte at a time, never silent for long, and not done for a long time yet.......\n";

/// The longest request head we read; browsers and HTTP clients send far less.
const MAX_HEAD: usize = 16 * 1024;

/// How long a client may take to send its request before the connection is dropped.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// An HTTP server on `127.0.0.1` serving a fixed set of files; stops when dropped.
///
/// Each request gets its own connection (`Connection: close`) and its answer is delayed by the
/// latency given to [`start`](Server::start). Files are served at `/<name>`, the [`Fault`]
/// routes at [`Fault::path`], anything else is a 404.
pub struct Server {
    addr: SocketAddr,
    names: Vec<String>,
    latency: Duration,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .field("files", &self.names)
            .field("latency", &self.latency)
            .finish_non_exhaustive()
    }
}

/// State the acceptor, the connection threads and the owner share.
#[derive(Debug)]
struct Shared {
    files: HashMap<String, Vec<u8>>,
    latency: Duration,
    state: Mutex<State>,
    /// Signalled when `stopping` becomes true, to cut latency waits short.
    stopped: Condvar,
}

#[derive(Debug, Default)]
struct State {
    stopping: bool,
    next_id: u64,
    /// A handle on every open connection, so stopping can shut them all down: that wakes a
    /// thread blocked reading or writing (a stalled route, a client that went quiet).
    open: HashMap<u64, TcpStream>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panicking connection thread cannot leave `State` half-updated; keep serving.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sleeps for `duration` unless the server stops first; returns whether it is still running.
    fn sleep(&self, duration: Duration) -> bool {
        let state = self.state();
        let (state, _) = self
            .stopped
            .wait_timeout_while(state, duration, |s| !s.stopping)
            .unwrap_or_else(PoisonError::into_inner);
        !state.stopping
    }
}

impl Server {
    /// Starts serving `files` (name, contents) on `127.0.0.1` at a free port, each answer
    /// delayed by `latency`.
    ///
    /// Names become URL paths, so they are limited to ASCII letters, digits, `.`, `-` and `_`
    /// (an [`io::ErrorKind::InvalidInput`] error otherwise), and must not repeat.
    pub fn start<N, B>(
        files: impl IntoIterator<Item = (N, B)>,
        latency: Duration,
    ) -> io::Result<Server>
    where
        N: Into<String>,
        B: Into<Vec<u8>>,
    {
        let mut names = Vec::new();
        let mut contents = HashMap::new();
        for (name, body) in files {
            let name = name.into();
            check_name(&name)?;
            if contents.insert(name.clone(), body.into()).is_some() {
                return Err(invalid(format!("file name `{name}` is given twice")));
            }
            names.push(name);
        }
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            files: contents,
            latency,
            state: Mutex::new(State::default()),
            stopped: Condvar::new(),
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name(format!("http server {addr}"))
                .spawn(move || accept_loop(&listener, &shared))?
        };
        Ok(Server {
            addr,
            names,
            latency,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// The address the server listens on (`127.0.0.1` and the port it was given).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL of `path` on this server; `path` should start with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The URL of every served file, in the order they were given to [`start`](Server::start).
    pub fn urls(&self) -> Vec<String> {
        self.names
            .iter()
            .map(|name| self.url(&format!("/{name}")))
            .collect()
    }

    /// The URL of a [`Fault`] route.
    pub fn fault_url(&self, fault: Fault) -> String {
        self.url(fault.path())
    }

    /// How long every answer is delayed.
    pub fn latency(&self) -> Duration {
        self.latency
    }

    /// How many connections the server has accepted so far: a test's way to know a client
    /// has reached it (a stalled route answers nothing else).
    pub fn connections(&self) -> u64 {
        self.shared.state().next_id
    }

    /// Stops the server and waits for its threads; the same as dropping it.
    pub fn stop(self) {}

    fn shut_down(&mut self) {
        let Some(acceptor) = self.acceptor.take() else {
            return;
        };
        {
            let mut state = self.shared.state();
            state.stopping = true;
            for conn in state.open.values() {
                // Wakes the connection's thread if it is blocked on the socket.
                let _ = conn.shutdown(Shutdown::Both);
            }
        }
        self.shared.stopped.notify_all();
        // `accept` has no timeout: a connection of our own wakes it up to see `stopping`.
        if TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok() {
            let _ = acceptor.join();
        }
        // Otherwise (no file descriptor left, say) the acceptor stays blocked in `accept`;
        // leave it rather than hang. It holds no connection and ends with the process.
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shut_down();
    }
}

fn check_name(name: &str) -> io::Result<()> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    if name.is_empty() || name == "." || name == ".." || !name.chars().all(allowed) {
        return Err(invalid(format!(
            "file name `{name}` must be ASCII letters, digits, `.`, `-` or `_`"
        )));
    }
    Ok(())
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// Accepts connections until the server stops, one thread each; returns once every
/// connection thread has finished.
fn accept_loop(listener: &TcpListener, shared: &Shared) {
    // One descriptor held back for the moment there are none left: closing it lets the server
    // accept the waiting connection and tell its client why it cannot serve it, where the
    // connection would otherwise wait unanswered until the client gives up.
    let mut reserve = File::open("/dev/null").ok();
    thread::scope(|scope| {
        loop {
            let conn = match listener.accept() {
                Ok((conn, _)) => conn,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    if is_out_of_descriptors(&e) && reserve.take().is_some() {
                        if let Ok((mut conn, _)) = listener.accept() {
                            if shared.state().stopping {
                                return; // the wake-up connection
                            }
                            unavailable(&mut conn, &out_of_descriptors(&e));
                        }
                        reserve = File::open("/dev/null").ok();
                        continue;
                    }
                    // Out of memory, or no reserve: wait a little instead of spinning.
                    if !shared.sleep(Duration::from_millis(50)) {
                        return;
                    }
                    reserve = reserve.or_else(|| File::open("/dev/null").ok());
                    continue;
                }
            };
            let (id, handle) = {
                let mut state = shared.state();
                if state.stopping {
                    return; // the wake-up connection, or a late client: both are dropped
                }
                let handle = match conn.try_clone() {
                    Ok(handle) => handle,
                    Err(e) => {
                        // Cannot track it, so cannot stop it later: do not serve it, say why.
                        drop(state);
                        let mut conn = conn;
                        unavailable(&mut conn, &out_of_descriptors(&e));
                        continue;
                    }
                };
                state.next_id += 1;
                let id = state.next_id;
                state.open.insert(id, handle);
                (id, state.open.get(&id).and_then(|h| h.try_clone().ok()))
            };
            let spawned = thread::Builder::new()
                .name(format!("http connection {id}"))
                .spawn_scoped(scope, move || {
                    let _ = serve(conn, shared);
                    shared.state().open.remove(&id);
                });
            if let Err(e) = spawned {
                shared.state().open.remove(&id);
                if let Some(mut handle) = handle {
                    unavailable(
                        &mut handle,
                        &format!("the built-in server could not start a thread: {e}"),
                    );
                }
            }
        }
    });
}

fn is_out_of_descriptors(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

fn out_of_descriptors(e: &io::Error) -> String {
    if is_out_of_descriptors(e) {
        format!("the built-in server is out of file descriptors: {e}")
    } else {
        format!("the built-in server cannot serve this connection: {e}")
    }
}

/// Answers `503 Service Unavailable` with `why` as the body, and closes the connection. Reads
/// the request first (briefly): an answer that comes before its question confuses a client.
fn unavailable(conn: &mut TcpStream, why: &str) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = read_head(conn);
    let _ = conn.set_write_timeout(Some(REQUEST_TIMEOUT));
    let answer = Answer::new("503 Service Unavailable", format!("{why}\n"));
    let _ = respond(conn, &answer, false);
    let _ = conn.shutdown(Shutdown::Both);
}

/// An answer: status line, then a body (sent whole, or cut short).
struct Answer {
    status: &'static str,
    body: Vec<u8>,
    /// Send only this many bytes of the body.
    cut_at: Option<usize>,
    /// After sending, keep the connection open and say nothing more.
    stall: bool,
    /// Send the body one byte at a time, [`TRICKLE_EVERY`] apart.
    trickle: bool,
    allow: bool,
    location: Option<&'static str>,
}

impl Answer {
    fn new(status: &'static str, body: impl Into<Vec<u8>>) -> Answer {
        Answer {
            status,
            body: body.into(),
            cut_at: None,
            stall: false,
            trickle: false,
            allow: false,
            location: None,
        }
    }
}

/// Answers one request on `conn`.
fn serve(mut conn: TcpStream, shared: &Shared) -> io::Result<()> {
    conn.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    let head = match read_head(&mut conn)? {
        Head::Request(head) => head,
        Head::Gone => return Ok(()), // the client left without asking anything
        // Say so at once, as web servers do: a TLS client (an https:// URL) then reports a
        // server that does not speak TLS, instead of waiting for a handshake that never comes.
        Head::NotHttp => {
            return respond(
                &mut conn,
                &Answer::new("400 Bad Request", "this is an HTTP server: not a request\n"),
                false,
            );
        }
    };
    let (method, path) = match parse_request_line(&head) {
        Some(parsed) => parsed,
        None => {
            return respond(
                &mut conn,
                &Answer::new("400 Bad Request", "bad request\n"),
                true,
            );
        }
    };
    let head_only = method == "HEAD";
    let answer = if method != "GET" && !head_only {
        Answer {
            allow: true,
            ..Answer::new("405 Method Not Allowed", "only GET and HEAD\n")
        }
    } else {
        match Fault::from_path(path) {
            Some(Fault::Stall) => return wait_for_hang_up(&mut conn),
            Some(Fault::NotFound) => Answer::new("404 Not Found", "not found\n"),
            Some(Fault::ServerError) => {
                Answer::new("500 Internal Server Error", "internal server error\n")
            }
            Some(Fault::CutBody) => Answer {
                cut_at: Some(CUT_BODY.len() / 2),
                ..Answer::new("200 OK", CUT_BODY)
            },
            Some(Fault::StallBody) => Answer {
                cut_at: Some(CUT_BODY.len() / 2),
                stall: true,
                ..Answer::new("200 OK", CUT_BODY)
            },
            Some(Fault::Trickle) => Answer {
                trickle: true,
                ..Answer::new("200 OK", TRICKLE_BODY)
            },
            Some(Fault::RedirectToFile) => Answer {
                location: Some(REDIRECT_TARGET),
                ..Answer::new("302 Found", "")
            },
            None => match path.strip_prefix('/').and_then(|n| shared.files.get(n)) {
                Some(body) => Answer::new("200 OK", body.clone()),
                None => Answer::new("404 Not Found", "not found\n"),
            },
        }
    };
    if !shared.sleep(shared.latency) {
        return Ok(());
    }
    if answer.trickle && !head_only {
        return trickle(&mut conn, &answer, shared);
    }
    respond(&mut conn, &answer, head_only)?;
    if answer.stall {
        return wait_for_hang_up(&mut conn);
    }
    conn.shutdown(Shutdown::Write)
}

/// Sends the head, then the body a byte at a time, until it is all sent, the client hangs up
/// or the server stops.
fn trickle(conn: &mut TcpStream, answer: &Answer, shared: &Shared) -> io::Result<()> {
    respond(conn, &Answer::new(answer.status, answer.body.clone()), true)?;
    for byte in &answer.body {
        if !shared.sleep(TRICKLE_EVERY) {
            return Ok(());
        }
        conn.write_all(std::slice::from_ref(byte))?;
    }
    conn.shutdown(Shutdown::Write)
}

/// Says nothing until the client hangs up, or the server shuts this socket down when it stops:
/// either ends the read.
fn wait_for_hang_up(conn: &mut TcpStream) -> io::Result<()> {
    conn.set_read_timeout(None)?;
    let mut sink = [0; 512];
    while conn.read(&mut sink)? > 0 {}
    Ok(())
}

/// What a client sent before its request's blank line.
enum Head {
    Request(String),
    /// It closed the connection first.
    Gone,
    /// Its first bytes are no HTTP request line (a method is ASCII capitals): a TLS handshake,
    /// say.
    NotHttp,
}

/// Reads up to the blank line that ends the request head.
fn read_head(conn: &mut TcpStream) -> io::Result<Head> {
    let mut head = Vec::new();
    let mut buf = [0; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_HEAD {
            return Err(invalid("request head too long".into()));
        }
        let n = conn.read(&mut buf)?;
        if n == 0 {
            return Ok(Head::Gone);
        }
        head.extend_from_slice(&buf[..n]);
        let method = head.iter().take_while(|b| **b != b' ');
        if !method.clone().all(u8::is_ascii_uppercase) || method.count() > 16 {
            return Ok(Head::NotHttp);
        }
    }
    Ok(Head::Request(String::from_utf8_lossy(&head).into_owned()))
}

/// `GET /path?query HTTP/1.1` → `("GET", "/path")`.
fn parse_request_line(head: &str) -> Option<(&str, &str)> {
    let line = head.lines().next()?;
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !version.starts_with("HTTP/1.") || !target.starts_with('/') {
        return None;
    }
    let path = target.split(['?', '#']).next().unwrap_or(target);
    Some((method, path))
}

fn respond(conn: &mut TcpStream, answer: &Answer, head_only: bool) -> io::Result<()> {
    let allow = if answer.allow {
        "Allow: GET, HEAD\r\n"
    } else {
        ""
    };
    let location = answer
        .location
        .map(|to| format!("Location: {to}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "HTTP/1.1 {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n{allow}{location}Connection: close\r\n\r\n",
        answer.status,
        answer.body.len(),
    );
    let body = if head_only {
        &[][..]
    } else {
        &answer.body[..answer.cut_at.unwrap_or(answer.body.len())]
    };
    // One write: the client sees the head and the body together.
    conn.write_all(&[head.as_bytes(), body].concat())?;
    conn.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    const SAMPLE_FILES: [(&str, &str); 3] = [
        ("data1.txt", "one\n"),
        ("data2.txt", "two, a little longer\n"),
        ("data3.txt", "three\n"),
    ];

    /// Sends a raw request and returns everything the server wrote before closing.
    fn ask(server: &Server, request: &str) -> String {
        let mut conn = TcpStream::connect(server.addr()).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        conn.write_all(request.as_bytes()).unwrap();
        let mut answer = Vec::new();
        conn.read_to_end(&mut answer).unwrap();
        String::from_utf8(answer).unwrap()
    }

    fn get(server: &Server, path: &str) -> String {
        ask(server, &format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"))
    }

    fn sample() -> Server {
        Server::start(SAMPLE_FILES, Duration::ZERO).unwrap()
    }

    #[test]
    fn serves_each_file_with_its_length() {
        let server = sample();
        for (name, body) in SAMPLE_FILES {
            let answer = get(&server, &format!("/{name}"));
            assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
            assert!(answer.contains(&format!("Content-Length: {}\r\n", body.len())));
            assert!(answer.ends_with(&format!("\r\n\r\n{body}")));
        }
        let urls = server.urls();
        assert_eq!(urls.len(), 3);
        assert!(urls[0].starts_with("http://127.0.0.1:") && urls[0].ends_with("/data1.txt"));
    }

    #[test]
    fn head_and_queries_and_unknown_paths() {
        let server = sample();
        let head = ask(&server, "HEAD /data1.txt HTTP/1.1\r\n\r\n");
        assert!(head.starts_with("HTTP/1.1 200 OK") && head.ends_with("\r\n\r\n"));
        assert!(get(&server, "/data2.txt?x=1").ends_with(SAMPLE_FILES[1].1));
        assert!(get(&server, "/nope").starts_with("HTTP/1.1 404 Not Found"));
        assert!(ask(&server, "nonsense\r\n\r\n").starts_with("HTTP/1.1 400 Bad Request"));
        assert!(ask(&server, "\x16\x03\x01 hello").starts_with("HTTP/1.1 400 Bad Request"));
        let post = ask(&server, "POST /data1.txt HTTP/1.1\r\n\r\n");
        assert!(post.starts_with("HTTP/1.1 405") && post.contains("Allow: GET, HEAD\r\n"));
    }

    #[test]
    fn faults_misbehave_as_documented() {
        let server = sample();
        assert!(get(&server, Fault::NotFound.path()).starts_with("HTTP/1.1 404 "));
        assert!(get(&server, Fault::ServerError.path()).starts_with("HTTP/1.1 500 "));
        let cut = get(&server, Fault::CutBody.path());
        let (head, body) = cut.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}", CUT_BODY.len())));
        assert_eq!(body.len(), CUT_BODY.len() / 2);
        assert_eq!(
            server.fault_url(Fault::Stall),
            format!("http://{}/fault/stall", server.addr())
        );
        // Half a body, then silence: read what comes, then time out waiting for the rest.
        let mut conn = TcpStream::connect(server.addr()).unwrap();
        conn.write_all(b"GET /fault/stall-body HTTP/1.1\r\n\r\n")
            .unwrap();
        conn.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut got = Vec::new();
        let err = conn.read_to_end(&mut got).unwrap_err();
        assert!(matches!(
            err.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ));
        let got = String::from_utf8(got).unwrap();
        let half = std::str::from_utf8(&CUT_BODY[..CUT_BODY.len() / 2]).unwrap();
        assert!(got.ends_with(&format!("\r\n\r\n{half}")), "{got}");
    }

    #[test]
    fn stop_ends_a_stalled_connection_and_a_latency_wait() {
        let server = Server::start(SAMPLE_FILES, Duration::from_secs(60)).unwrap();
        let mut stalled = TcpStream::connect(server.addr()).unwrap();
        stalled
            .write_all(b"GET /fault/stall HTTP/1.1\r\n\r\n")
            .unwrap();
        let mut waiting = TcpStream::connect(server.addr()).unwrap();
        waiting
            .write_all(b"GET /data1.txt HTTP/1.1\r\n\r\n")
            .unwrap();
        let silent = TcpStream::connect(server.addr()).unwrap(); // never sends a request
        // Let the server accept all three before stopping it.
        while server.shared.state().open.len() < 3 {
            thread::sleep(Duration::from_millis(5));
        }
        let start = Instant::now();
        server.stop();
        assert!(start.elapsed() < Duration::from_secs(5), "stop hung");
        for mut conn in [stalled, waiting, silent] {
            conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut rest = Vec::new();
            // Closed by the server: end of file (or a reset), never a timeout.
            match conn.read_to_end(&mut rest) {
                Ok(_) => assert!(rest.is_empty()),
                Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
            }
        }
    }

    #[test]
    fn latency_delays_answers() {
        let server = Server::start(SAMPLE_FILES, Duration::from_millis(50)).unwrap();
        let start = Instant::now();
        assert!(get(&server, "/data3.txt").ends_with(SAMPLE_FILES[2].1));
        // A lower bound only: the wait is the point of the option.
        assert!(start.elapsed() >= Duration::from_millis(50));
        assert_eq!(server.latency(), Duration::from_millis(50));
    }

    #[test]
    fn bad_file_names_are_refused() {
        for name in ["", "..", "a/b", "a b", "é.txt"] {
            let err = Server::start([(name, "x")], Duration::ZERO).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{name:?}");
        }
        let twice = Server::start([("a", "1"), ("a", "2")], Duration::ZERO).unwrap_err();
        assert!(twice.to_string().contains("twice"));
    }

    #[test]
    fn request_lines_are_parsed_strictly() {
        assert_eq!(
            parse_request_line("GET /a?b HTTP/1.1\r\n"),
            Some(("GET", "/a"))
        );
        assert_eq!(parse_request_line("GET /a HTTP/1.0"), Some(("GET", "/a")));
        assert_eq!(parse_request_line("GET a HTTP/1.1"), None);
        assert_eq!(parse_request_line("GET /a HTTP/2"), None);
        assert_eq!(parse_request_line("GET /a b HTTP/1.1"), None);
        assert_eq!(parse_request_line(""), None);
    }
}
