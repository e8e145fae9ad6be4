//! Starting a worker: the "exec" start method. The worker is this binary started again
//! (`/proc/self/exe`), marked as a worker by its arguments, with one end of a socket pair as its
//! standard input.
//!
//! What any start method must hand to [`Link`](crate::link::Link): a [`Child`] (watched through
//! a pidfd) and our end of the worker's channel. What the worker then does for itself (closing
//! stray descriptors, moving the channel out of the way) is in `worker.rs`.

use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::net::UnixStream;
use std::sync::Arc;

use crate::child::Child;
use crate::sys;
use crate::worker::WORKER_ARG;

/// Starts a worker named `name` (what [`active_children`](crate::active_children) lists);
/// `ps` shows it as the program's name followed by `label`. Returns it and our end of its
/// channel.
// ANCHOR: spawn
pub(crate) fn exec_worker(name: &str, label: &str) -> io::Result<(Arc<Child>, UnixStream)> {
    sys::kernel_support().map_err(|why| io::Error::new(io::ErrorKind::Unsupported, why))?;
    let (ours, theirs) = UnixStream::pair()?;
    let theirs = sys::above_stdio(OwnedFd::from(theirs))?;
    let program = std::env::current_exe()
        .ok()
        .and_then(|path| path.file_name().map(OsStr::to_owned))
        .unwrap_or_else(|| OsString::from("common"));
    let mut argv0 = program.into_vec();
    argv0.extend_from_slice(format!(" ({label})").as_bytes());
    let argv = [
        c_string(argv0),
        c_string(WORKER_ARG.as_bytes().to_vec()),
        c_string(std::process::id().to_string().into_bytes()),
    ];
    // The environment as std sees it (it guards `environ` against concurrent changes).
    let envp: Vec<CString> = std::env::vars_os()
        .map(|(key, value)| {
            let mut pair = key.into_vec();
            pair.push(b'=');
            pair.extend_from_slice(value.as_bytes());
            c_string(pair)
        })
        .collect();
    // /proc/self/exe names the running binary even if its file was replaced since.
    let pid =
        sys::spawn(c"/proc/self/exe", &argv, &envp, theirs.as_fd()).map_err(name_the_binary)?;
    // From here on `Child` owns the process: if anything fails, dropping it kills and reaps.
    let child = Child::adopt(pid, name.to_owned())?;
    // Closing our copy of the worker's end now is what makes its death show as end of file.
    drop(theirs);
    Ok((child, ours))
}
// ANCHOR_END: spawn

/// A failure to run `/proc/self/exe` that is about the file names it (where `/proc` is not
/// mounted, the bare "No such file or directory" would not say which file).
fn name_the_binary(e: io::Error) -> io::Error {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied => {
            io::Error::new(e.kind(), format!("/proc/self/exe: {e} (is /proc mounted?)"))
        }
        _ => e,
    }
}

/// A C string of `bytes`; a NUL inside (impossible in an argument or environment entry that
/// came from the OS) is dropped.
fn c_string(mut bytes: Vec<u8>) -> CString {
    bytes.retain(|&b| b != 0);
    CString::new(bytes).expect("NULs were removed")
}
