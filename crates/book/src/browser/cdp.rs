//! A headless Chromium driven over the Chrome DevTools Protocol, on a pipe.
//!
//! Chromium started with `--remote-debugging-pipe` reads commands on descriptor 3 and writes
//! answers and events on descriptor 4, each a JSON object ended by a NUL byte. That is the
//! whole transport: no port, no WebSocket, no HTTP. (The `headless_chrome` crate speaks the
//! same protocol over a WebSocket; it brings 227 crates and two minutes of build to every
//! `cargo test`, for the five commands this check sends.)

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A running headless Chromium and the pipe to it.
pub struct Browser {
    child: Child,
    commands: std::io::PipeWriter,
    messages: Receiver<Value>,
    /// Events read while waiting for an answer, kept for [`Browser::events`].
    pending: VecDeque<Value>,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("pid", &self.child.id())
            .finish()
    }
}

/// How long one command may take before the check gives up on the browser.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

impl Browser {
    /// Starts `chromium` (a path or a name on `PATH`) headless, with a fresh profile and no
    /// network of its own.
    pub fn start(chromium: &Path) -> io::Result<Browser> {
        let profile = tempfile::tempdir()?;
        let (from_us, to_browser) = std::io::pipe()?;
        let (from_browser, to_us) = std::io::pipe()?;
        let (to_browser_fd, to_us_fd): (OwnedFd, OwnedFd) = (from_us.into(), to_us.into());
        let (read_fd, write_fd) = (to_browser_fd.as_raw_fd(), to_us_fd.as_raw_fd());
        let mut command = Command::new(chromium);
        command
            .args([
                "--headless",
                "--remote-debugging-pipe",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--allow-file-access-from-files",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own process group, so that dropping the browser ends its helper processes too.
        command.process_group(0);
        // SAFETY: between fork and exec this only calls fcntl and dup2, which are
        // async-signal-safe, on descriptors that stay open until the child has started (they
        // are dropped after `spawn` returns). Both are first copied above 10, so that putting
        // one on 3 cannot overwrite the other, and dup2 clears close-on-exec on 3 and 4.
        unsafe {
            command.pre_exec(move || {
                let high = [read_fd, write_fd].map(|fd| libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 10));
                for (from, to) in high.into_iter().zip([3, 4]) {
                    if from < 0 || libc::dup2(from, to) < 0 {
                        return Err(io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
        let child = command.spawn()?;
        drop((to_browser_fd, to_us_fd));
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(from_browser);
            let mut buf = Vec::new();
            while matches!(reader.read_until(0, &mut buf), Ok(n) if n > 0) {
                buf.pop_if(|b| *b == 0);
                if let Ok(message) = serde_json::from_slice(&buf)
                    && tx.send(message).is_err()
                {
                    break;
                }
                buf.clear();
            }
        });
        Ok(Browser {
            child,
            commands: to_browser,
            messages,
            pending: VecDeque::new(),
            next_id: 0,
            _profile: profile,
        })
    }

    /// Sends `method` with `params` (to the page of `session`, if given) and waits for its
    /// answer. An error answer is an `Err` with the browser's message.
    pub fn call(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> io::Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&message)?;
        bytes.push(0);
        self.commands.write_all(&bytes)?;
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            let message = self.receive(deadline, method)?;
            if message["id"] == json!(id) {
                return match message.get("error") {
                    Some(error) => Err(io::Error::other(format!("{method}: {error}"))),
                    None => Ok(message["result"].clone()),
                };
            }
            self.pending.push_back(message);
        }
    }

    /// Waits until an event `method` of `session` arrives, keeping the other events. Returns
    /// it, or an error after `timeout`.
    pub fn wait_for(
        &mut self,
        session: &str,
        method: &str,
        timeout: Duration,
    ) -> io::Result<Value> {
        if let Some(at) = self
            .pending
            .iter()
            .position(|m| m["method"] == json!(method) && m["sessionId"] == json!(session))
        {
            return Ok(self.pending.remove(at).expect("the position is in range"));
        }
        let deadline = Instant::now() + timeout;
        loop {
            let message = self.receive(deadline, method)?;
            if message["method"] == json!(method) && message["sessionId"] == json!(session) {
                return Ok(message);
            }
            self.pending.push_back(message);
        }
    }

    /// Every event received so far and not yet returned, oldest first.
    pub fn events(&mut self) -> Vec<Value> {
        while let Ok(message) = self.messages.try_recv() {
            self.pending.push_back(message);
        }
        self.pending.drain(..).collect()
    }

    fn receive(&mut self, deadline: Instant, waiting_for: &str) -> io::Result<Value> {
        let left = deadline.saturating_duration_since(Instant::now());
        self.messages.recv_timeout(left).map_err(|e| match e {
            RecvTimeoutError::Timeout => io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the browser did not answer {waiting_for} in time"),
            ),
            RecvTimeoutError::Disconnected => io::Error::other(format!(
                "the browser exited while waiting for {waiting_for}"
            )),
        })
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // SAFETY: kill takes plain integers; the group is the browser's own (see `start`).
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGKILL) };
        let _ = self.child.wait();
    }
}
