//! Spinners for downloads that run in other processes.
//!
//! A worker process cannot draw on the parent's progress bars, and the workers share no memory
//! with the parent. What the parent can see is the file system: each worker fills a temporary
//! file the parent named, so the parent polls those files' sizes and draws one spinner per
//! download. The parent does not learn the total size (only the worker sees `Content-Length`),
//! so it shows bytes so far and the rate rather than a percentage.

use std::fs;
use std::path::{Path, PathBuf};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// One spinner per running download, drawn on standard output.
#[derive(Debug)]
pub(crate) struct Progress {
    multi: MultiProgress,
    /// `(index of the download, its spinner, the temporary file it fills)`.
    running: Vec<(usize, ProgressBar, PathBuf)>,
}

impl Progress {
    pub(crate) fn new() -> Progress {
        Progress {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stdout()),
            running: Vec::new(),
        }
    }

    /// A spinner for download `index`, which fills `temp` and ends up as `file`.
    pub(crate) fn add(&mut self, index: usize, file: &Path, temp: &Path) {
        let style = ProgressStyle::with_template(
            "{spinner:.cyan} {prefix:<12} {bytes:>10}  {bytes_per_sec:>12}  {elapsed}",
        )
        .expect("the template is valid");
        let bar = self.multi.add(
            ProgressBar::new_spinner()
                .with_style(style)
                .with_prefix(file.display().to_string()),
        );
        // No `enable_steady_tick`: it starts a thread, and panics where none can start. The
        // parent's wait loop calls `poll` every 100 ms instead.
        self.running.push((index, bar, temp.to_owned()));
    }

    /// Moves every spinner to its temporary file's current size.
    pub(crate) fn poll(&self) {
        for (_, bar, temp) in &self.running {
            // Not there before the worker creates it, gone once the worker renamed it (or
            // failed): the spinner shows the last size it saw.
            if let Ok(meta) = fs::metadata(temp) {
                bar.set_position(meta.len());
            }
            bar.tick();
        }
    }

    /// Download `index` succeeded: its spinner becomes `line`.
    pub(crate) fn done(&mut self, index: usize, line: String) {
        if let Some(bar) = self.take(index) {
            bar.set_style(ProgressStyle::with_template("{msg}").expect("the template is valid"));
            bar.finish_with_message(line);
        }
    }

    /// Download `index` failed (or never started): its spinner goes, `line` goes to stderr.
    pub(crate) fn failed(&mut self, index: usize, line: &str) {
        if let Some(bar) = self.take(index) {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
        // Printed while the spinners are hidden, so the two do not overwrite each other.
        self.multi.suspend(|| support::errln!("{line}"));
    }

    fn take(&mut self, index: usize) -> Option<ProgressBar> {
        let at = self.running.iter().position(|(i, ..)| *i == index)?;
        Some(self.running.swap_remove(at).1)
    }
}
