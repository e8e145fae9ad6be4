//! What the parent shows while downloads run: spinners on a terminal, a line per failure.
//! (Successful downloads announce themselves from their worker, as in the reference program.)

use std::path::Path;

use indicatif::ProgressDrawTarget;

use crate::download::Options;
use crate::error::DownloadError;
use crate::fetch::shown_url;
use crate::interrupt::Cleanup;
use crate::progress::Progress;
use crate::task::{Downloaded, downloaded_line};

/// The parent's view of the downloads, updated as they start, progress and finish.
#[derive(Debug)]
pub(crate) struct Board {
    announce: bool,
    progress: Option<Progress>,
    cleanup: Cleanup,
}

impl Board {
    pub(crate) fn new(options: &Options) -> Board {
        // Spinners only where indicatif draws them: on a terminal that moves its cursor (not
        // with TERM=dumb or no TERM, where they would hide every line, the workers' too).
        let draw =
            options.announce && options.progress && !ProgressDrawTarget::stdout().is_hidden();
        Board {
            announce: options.announce,
            progress: draw.then(Progress::new),
            cleanup: options.cleanup.clone(),
        }
    }

    /// Whether workers should print their own `Downloaded …` line: only when no spinner would
    /// be drawn over it.
    pub(crate) fn workers_announce(&self) -> bool {
        self.announce && self.progress.is_none()
    }

    /// Download `i` started; it fills `temp` and ends up as `file`.
    pub(crate) fn started(&mut self, i: usize, file: &Path, temp: &Path) {
        if let Some(progress) = &mut self.progress {
            progress.add(i, file, temp);
        }
    }

    /// Download `i` of `url` ended with `result`.
    pub(crate) fn finished(
        &mut self,
        i: usize,
        url: &str,
        file: &Path,
        result: &Result<Downloaded, DownloadError>,
    ) {
        // A Ctrl-C at a terminal reaches the workers too, and their deaths are no failures to
        // report: the program is about to end by that signal, and says so.
        if !self.announce || self.cleanup.interrupted() {
            return;
        }
        match (result, &mut self.progress) {
            (Ok(_), Some(progress)) => progress.done(i, downloaded_line(url, file)),
            (Ok(_), None) => {} // the worker printed its line
            (Err(e), progress) => {
                let line = format!(
                    "{}: error: cannot download {}: {e}",
                    env!("CARGO_PKG_NAME"),
                    shown_url(url)
                );
                match progress {
                    Some(progress) => progress.failed(i, &line),
                    None => support::errln!("{line}"),
                }
            }
        }
    }

    /// Time passed: moves the spinners.
    pub(crate) fn tick(&self) {
        if let Some(progress) = &self.progress {
            progress.poll();
        }
    }
}
