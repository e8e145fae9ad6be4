//! Ctrl-C (SIGINT), SIGTERM, a hang-up (SIGHUP: the terminal closed) and the other signals
//! that end a program by default, in the middle of downloads: remove the unfinished files,
//! then end by the same signal. A signal that was ignored when the program started (`nohup`
//! ignores SIGHUP; a background job, SIGINT and SIGQUIT) stays ignored.
//!
//! What no handler can catch (SIGKILL, an abort) leaves a hidden directory behind; the next run
//! in the same directory removes it. Each run holds a lock on its own directory for as long as
//! it lives (the kernel drops the lock when the process dies, however it dies), so a directory
//! whose lock can be taken belongs to no live run.
//!
//! Each batch of downloads keeps its temporary files in one hidden directory inside the target
//! directory ([`Cleanup::create_dir_in`]). On a signal, that directory is first renamed, then
//! removed. The rename is what makes this safe: the workers are other processes that live on
//! for a moment after the parent (until their parent-death signal arrives) and may be about to
//! create or rename their file. After the rename, every path a worker holds leads nowhere, so
//! it can neither create a file there nor move a file into place; a file it has open goes
//! with the directory.
//!
//! The work is done on a thread of its own (`signal-hook`), not inside the signal handler:
//! removing files allocates and takes locks, which a signal handler must not do. `signal-hook`
//! also says which signal came (the `ctrlc` crate does not), so the program ends by that very
//! signal: a shell then reports 130 for SIGINT and 143 for SIGTERM, and a script that runs the
//! program stops on Ctrl-C instead of going on with its next command.

use std::ffi::c_int;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;

use signal_hook::consts::{SIGALRM, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};
use signal_hook::iterator::Signals;

/// The signals that stop downloads early: those whose default action ends a program and that
/// people or systems send (a closed terminal, Ctrl-C, Ctrl-\, `kill`, `timeout`, an alarm).
const SIGNALS: [c_int; 7] = [SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM];

/// The prefix of every batch's hidden directory.
const PREFIX: &str = ".downloading.";

/// The hidden directories of the downloads under way, to remove if the program is stopped.
///
/// Clones share the same list. Without [`on_signal`](Cleanup::on_signal), it is only a list:
/// a library user who handles signals otherwise loses nothing.
#[derive(Debug, Clone, Default)]
pub struct Cleanup {
    dirs: Arc<Mutex<Vec<PathBuf>>>,
    /// The signal that arrived (0: none yet), set by the signal handler itself.
    received: Arc<AtomicUsize>,
}

impl Cleanup {
    /// Creates a hidden directory in `parent` for temporary files (`.downloading.XXXXXX`) and
    /// lists it. Dropping the returned [`ScratchDir`] removes it, with whatever it still holds.
    ///
    /// First removes the directories that runs no longer alive left in `parent`.
    pub fn create_dir_in(&self, parent: &Path) -> io::Result<ScratchDir> {
        // While a run creates and locks its directory, it holds a shared lock on `parent`; a run
        // sweeps only under the exclusive one. So no run sweeps a directory in the moment
        // between its creation and its lock.
        let parent_lock = File::open(parent)?;
        parent_lock.lock()?;
        remove_stale_dirs(parent);
        parent_lock.lock_shared()?;
        // Created under the list's lock: once a signal is being handled, no new directory
        // appears.
        let mut dirs = self.lock();
        let path = tempfile::Builder::new()
            .prefix(PREFIX)
            .tempdir_in(parent)?
            .keep();
        let held =
            File::open(&path).and_then(|dir| dir.try_lock().map(|()| dir).map_err(io::Error::from));
        let held = match held {
            Ok(held) => held,
            Err(e) => {
                let _ = fs::remove_dir(&path);
                return Err(e);
            }
        };
        drop(parent_lock);
        dirs.push(path.clone());
        Ok(ScratchDir {
            path,
            cleanup: self.clone(),
            _held: held,
        })
    }

    /// From now on, SIGINT (Ctrl-C) or SIGTERM removes every listed directory, then ends the
    /// process by that signal. Call it once, before the first download starts.
    pub fn on_signal(&self) -> io::Result<()> {
        let signals: Vec<c_int> = SIGNALS.into_iter().filter(|&s| !ignored(s)).collect();
        for &signal in &signals {
            // Recorded inside the handler, at delivery, for `end_if_interrupted`: the thread
            // below may not have woken up yet when the main thread gets there.
            signal_hook::flag::register_usize(signal, Arc::clone(&self.received), signal as usize)?;
        }
        let mut signals = Signals::new(signals)?;
        let cleanup = self.clone();
        thread::Builder::new()
            .name("cleanup on signal".into())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    cleanup.end_by(signal);
                }
            })?;
        Ok(())
    }

    /// Whether SIGINT or SIGTERM has arrived since [`on_signal`](Cleanup::on_signal): the
    /// process is about to end by it.
    pub fn interrupted(&self) -> bool {
        self.received.load(Ordering::SeqCst) != 0
    }

    /// Ends the process as [`on_signal`](Cleanup::on_signal) does if one of its signals has
    /// arrived; returns otherwise. For the main thread, before it reports an ordinary end: a
    /// download cut short by the signal must not be reported as an ordinary failure.
    pub fn end_if_interrupted(&self) {
        match self.received.load(Ordering::SeqCst) {
            0 => {}
            signal => self.end_by(signal as c_int),
        }
    }

    /// Removes every listed directory, says so, and ends the process by `signal`.
    fn end_by(&self, signal: c_int) -> ! {
        // Kept until the process ends, so no directory is created or listed from here on (a
        // thread that tries waits for the end). A second caller waits here too.
        let dirs = self.lock();
        let removed = dirs.iter().filter(|dir| remove_out_of_reach(dir)).count();
        let name = common::signal_name(signal).unwrap_or("a signal");
        let what = if removed > 0 {
            "; unfinished downloads removed"
        } else {
            ""
        };
        support::errln!("{}: interrupted by {name}{what}", env!("CARGO_PKG_NAME"));
        // Resets the signal to its default action and raises it: the process ends as if no
        // handler had been installed, and its parent sees "killed by SIGINT" (or SIGTERM).
        let _ = signal_hook::low_level::emulate_default_handler(signal);
        // Not reached for these two signals; should it be, the code a shell would report.
        std::process::exit(128 + signal)
    }

    /// Removes `dir` and what it still holds, and forgets it. Only once no worker can write
    /// there any more: when every worker of the batch has ended.
    /// A directory that cannot be removed (no descriptor left to walk it, say) is reported
    /// in one line and left for the next run in the same place to remove.
    fn remove(&self, dir: &Path) {
        let mut dirs = self.lock();
        if let Err(e) = fs::remove_dir_all(dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            support::errln!(
                "{}: error: cannot remove {}: {e} (the next run in this directory removes it)",
                env!("CARGO_PKG_NAME"),
                dir.display()
            );
        }
        dirs.retain(|listed| listed != dir);
    }

    fn lock(&self) -> MutexGuard<'_, Vec<PathBuf>> {
        // A panic elsewhere while holding the list leaves it intact: keep using it.
        self.dirs.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether `signal` is ignored (SIG_IGN), as it was inherited across `exec`.
fn ignored(signal: c_int) -> bool {
    // SAFETY: an all-zero sigaction is a valid value to be overwritten; a null new action only
    // reads the current one.
    let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: as above; `current` is valid for writes.
    let ret = unsafe { libc::sigaction(signal, std::ptr::null(), &mut current) };
    ret == 0 && current.sa_sigaction == libc::SIG_IGN
}

/// Removes the hidden directories in `parent` that no live run holds: left by a run that was
/// killed (SIGKILL, an abort, a power cut) or by an older version of this program.
fn remove_stale_dirs(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        // `.downloading.*.removing` too: a run killed while removing its directory.
        let ours = name.to_str().is_some_and(|n| n.starts_with(PREFIX));
        if !ours || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        // A live run holds its directory's lock; the lock of a dead run's went with it.
        let free = File::open(entry.path()).is_ok_and(|dir| dir.try_lock().is_ok());
        if free {
            remove_out_of_reach(&entry.path());
        }
    }
}

/// Moves `dir` out of the workers' way, then removes it. Returns whether there was one.
fn remove_out_of_reach(dir: &Path) -> bool {
    let mut moved = dir.as_os_str().to_owned();
    moved.push(".removing");
    let moved = PathBuf::from(moved);
    let target = match fs::rename(dir, &moved) {
        Ok(()) => moved.as_path(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return false,
        // Cannot rename (an odd file system): removing in place is the next best thing.
        Err(_) => dir,
    };
    fs::remove_dir_all(target).is_ok()
}

/// A hidden directory for one batch's temporary files; removed (contents and all) on drop.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
    cleanup: Cleanup,
    /// The directory, open and locked: the sign to other runs that this one is alive.
    _held: File,
}

impl ScratchDir {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        self.cleanup.remove(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_scratch_dir_is_hidden_listed_and_removed_on_drop() {
        let out = tempfile::tempdir().unwrap();
        let cleanup = Cleanup::default();
        let scratch = cleanup.create_dir_in(out.path()).unwrap();
        assert_eq!(scratch.path().parent(), Some(out.path()));
        let name = names_in(out.path()).pop().unwrap();
        assert!(name.starts_with(".downloading."), "{name}");
        fs::write(scratch.path().join("file1.txt.part"), "half").unwrap();
        assert_eq!(*cleanup.lock(), [scratch.path().to_owned()]);
        drop(scratch);
        assert!(names_in(out.path()).is_empty());
        assert!(cleanup.lock().is_empty());
    }

    #[test]
    fn removing_out_of_reach_leaves_no_path_behind() {
        let out = tempfile::tempdir().unwrap();
        let dir = out.path().join(".downloading.test");
        fs::create_dir(&dir).unwrap();
        let temp = dir.join("file1.txt.part");
        let mut open = fs::File::create(&temp).unwrap();
        assert!(remove_out_of_reach(&dir));
        // A worker still writing goes on into a file nobody can reach; one that would create
        // its file again, or rename it into place, finds no directory.
        io::Write::write_all(&mut open, b"late bytes").unwrap();
        assert_eq!(
            fs::File::create(&temp).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert!(names_in(out.path()).is_empty());
        assert!(!remove_out_of_reach(&dir), "already gone");
    }
}
