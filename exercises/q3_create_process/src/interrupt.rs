//! Ctrl-C (SIGINT) and SIGTERM in the middle of downloads: remove the unfinished files, then
//! end by the same signal.
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
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// The signals that stop downloads early.
const SIGNALS: [c_int; 2] = [SIGINT, SIGTERM];

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
    pub fn create_dir_in(&self, parent: &Path) -> io::Result<ScratchDir> {
        // Created under the lock: once a signal is being handled, no new directory appears.
        let mut dirs = self.lock();
        let path = tempfile::Builder::new()
            .prefix(".downloading.")
            .tempdir_in(parent)?
            .keep();
        dirs.push(path.clone());
        Ok(ScratchDir {
            path,
            cleanup: self.clone(),
        })
    }

    /// From now on, SIGINT (Ctrl-C) or SIGTERM removes every listed directory, then ends the
    /// process by that signal. Call it once, before the first download starts.
    pub fn on_signal(&self) -> io::Result<()> {
        for signal in SIGNALS {
            // Recorded inside the handler, at delivery, for `end_if_interrupted`: the thread
            // below may not have woken up yet when the main thread gets there.
            signal_hook::flag::register_usize(signal, Arc::clone(&self.received), signal as usize)?;
        }
        let mut signals = Signals::new(SIGNALS)?;
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
        let name = if signal == SIGINT {
            "SIGINT"
        } else {
            "SIGTERM"
        };
        let what = if removed > 0 {
            "; unfinished downloads removed"
        } else {
            ""
        };
        eprintln!("{}: interrupted by {name}{what}", env!("CARGO_PKG_NAME"));
        // Resets the signal to its default action and raises it: the process ends as if no
        // handler had been installed, and its parent sees "killed by SIGINT" (or SIGTERM).
        let _ = signal_hook::low_level::emulate_default_handler(signal);
        // Not reached for these two signals; should it be, the code a shell would report.
        std::process::exit(128 + signal)
    }

    /// Removes `dir` and what it still holds, and forgets it. Only once no worker can write
    /// there any more: when every worker of the batch has ended.
    fn remove(&self, dir: &Path) {
        let mut dirs = self.lock();
        let _ = fs::remove_dir_all(dir);
        dirs.retain(|listed| listed != dir);
    }

    fn lock(&self) -> MutexGuard<'_, Vec<PathBuf>> {
        // A panic elsewhere while holding the list leaves it intact: keep using it.
        self.dirs.lock().unwrap_or_else(PoisonError::into_inner)
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
