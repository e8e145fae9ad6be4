//! Printing: headings, one aligned line per task, failures in words, and timelines.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Error, Outcome, Span, Trace};
use support::out::OutputError;
use support::outln;
use support::units::seconds;

use crate::work::{Job, Ran};

/// Columns of every timeline.
const TIMELINE_WIDTH: usize = 60;
/// Beyond this many rows (processes) a timeline is too long to read, so it is left out.
const MAX_TIMELINE_ROWS: usize = 32;

/// Prints one line per task, columns aligned for the whole list, and the timelines (drawn as
/// pictures too with `--svg DIR`).
pub(crate) struct Lines {
    index_width: usize,
    ms_width: usize,
    pictures: Option<PathBuf>,
    /// Set when a picture could not be written (already reported on stderr).
    picture_failed: Cell<bool>,
}

impl Lines {
    pub(crate) fn new(jobs: &[Job], pictures: Option<&Path>) -> Self {
        let digits = |n: u64| n.to_string().len();
        Lines {
            index_width: digits(jobs.len().saturating_sub(1) as u64),
            ms_width: digits(jobs.iter().map(|j| j.ms).max().unwrap_or(0)),
            pictures: pictures.map(Path::to_path_buf),
            picture_failed: Cell::new(false),
        }
    }

    /// Prints `trace`'s timeline; with `--svg DIR`, also draws it, headed `title`, as
    /// `DIR/name.svg`.
    pub(crate) fn timeline(
        &self,
        trace: &Trace,
        name: &str,
        title: &str,
    ) -> Result<(), OutputError> {
        print_timeline(trace)?;
        if let Some(dir) = &self.pictures {
            let file = dir.join(format!("{name}.svg"));
            if let Err(e) = common::Picture::new().panel(title, trace).save(&file) {
                support::errln!(
                    "q4_pool_explained: error: cannot write {}: {e}",
                    file.display()
                );
                self.picture_failed.set(true);
            }
        }
        Ok(())
    }

    /// Whether every picture asked for was written.
    pub(crate) fn pictures_ok(&self) -> bool {
        !self.picture_failed.get()
    }

    pub(crate) fn print(
        &self,
        at: Option<Duration>,
        job: &Job,
        result: &common::Result<Ran>,
    ) -> Result<(), OutputError> {
        outln!("{}", self.line(at, job, result))
    }

    /// `   140 ms  task 1 (160 ms) ran on pid 4242`; the time is when the result arrived.
    fn line(&self, at: Option<Duration>, job: &Job, result: &common::Result<Ran>) -> String {
        let at = at.map_or_else(|| "  ".to_owned(), |t| format!("{:>6} ms  ", t.as_millis()));
        let task = format!(
            "task {:>iw$} ({:>mw$} ms)",
            job.index,
            job.ms,
            iw = self.index_width,
            mw = self.ms_width
        );
        match result {
            Ok(ran) => format!("{at}{task} ran on pid {}", ran.pid),
            Err(e) => format!("{at}{task} failed: {}", failure(e)),
        }
    }

    /// Prints what `map` returned after `took`: every result, with the worker that ran it, or
    /// the one error. Returns whether every task succeeded.
    pub(crate) fn print_map(
        &self,
        jobs: &[Job],
        took: Duration,
        outcome: common::Result<Vec<Ran>>,
    ) -> Result<bool, OutputError> {
        let took = took.as_millis();
        match outcome {
            Ok(results) => {
                let results: Vec<_> = results.into_iter().map(Ok).collect();
                outln!(
                    "map returned after {took} ms with all {} results:",
                    results.len()
                )?;
                for (job, result) in jobs.iter().zip(&results) {
                    self.print(None, job, result)?;
                }
                outln!("{}.", ran_on(&results))?;
                Ok(true)
            }
            Err(e) => {
                let task = e
                    .index()
                    .map(|i| format!(", on task {i}"))
                    .unwrap_or_default();
                outln!("map failed after {took} ms{task}: {}", failure(&e))?;
                outln!(
                    "(as in Python, map returns every result or one error; imap reports each task)"
                )?;
                Ok(false)
            }
        }
    }

    /// A line for each task that failed; `results` are in task order.
    pub(crate) fn print_failures(
        &self,
        jobs: &[Job],
        results: &[common::Result<Ran>],
    ) -> Result<(), OutputError> {
        for (job, result) in jobs.iter().zip(results) {
            if result.is_err() {
                self.print(None, job, result)?;
            }
        }
        Ok(())
    }
}

/// An error in words that fit after "task 3 failed: ".
pub(crate) fn failure(error: &Error) -> String {
    match error {
        Error::WorkerDied { pid, exit, .. } => format!("worker process {pid} died: {exit}"),
        other => other.to_string(),
    }
}

/// `10 tasks on 3 worker processes`: how many distinct processes ran the successful tasks.
pub(crate) fn ran_on(results: &[common::Result<Ran>]) -> String {
    let ok: Vec<&Ran> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    let pids: BTreeSet<u32> = ok.iter().map(|r| r.pid).collect();
    let tasks = if ok.len() == 1 { "task" } else { "tasks" };
    let mut text = format!("{} {tasks} on {}", ok.len(), worker_processes(pids.len()));
    let failed = results.len() - ok.len();
    if failed > 0 {
        text.push_str(&format!(" ({failed} failed)"));
    }
    text
}

/// `1 worker process`, `3 worker processes`.
pub(crate) fn worker_processes(n: usize) -> String {
    if n == 1 {
        "1 worker process".to_owned()
    } else {
        format!("{n} worker processes")
    }
}

/// The reading of a traced call whose tasks were all queued at its start (`map`): the longest
/// any worker sat idle while a task still waited to start, next to a column of the timeline.
pub(crate) fn idle_reading(trace: &Trace) -> String {
    let spans = trace.spans();
    let idle = longest_idle_while_waiting(&spans);
    let end = spans.iter().map(|s| s.end).max().unwrap_or_default();
    let column = end / TIMELINE_WIDTH as u32;
    let (idle_text, column_text) = (seconds(idle.as_secs_f64()), seconds(column.as_secs_f64()));
    if idle < column {
        format!(
            "while a task waited, no worker sat idle for more than {idle_text} (the hand-over of \
             its next task), less than a column of the timeline ({column_text}): a blank column \
             between two tasks is that hand-over, rounded."
        )
    } else {
        format!(
            "while a task waited, a worker sat idle for {idle_text}, more than a column of the \
             timeline ({column_text}): a task held in another worker's chunk (--chunksize) or a \
             busy machine keeps a worker idle."
        )
    }
}

/// The longest stretch in which a worker ran nothing although a task had not started yet: zero
/// when every worker took the next task the moment it finished one. Every task waits from the
/// start (as `map`'s do) until its span starts; a worker counts from its first task (a
/// replacement did not exist before) until its last, or after it if it lived on.
fn longest_idle_while_waiting(spans: &[Span]) -> Duration {
    let Some(last_start) = spans.iter().map(|s| s.start).max() else {
        return Duration::ZERO;
    };
    let workers: BTreeSet<u32> = spans.iter().map(|s| s.pid).collect();
    let mut longest = Duration::ZERO;
    for pid in workers {
        let mut mine: Vec<&Span> = spans.iter().filter(|s| s.pid == pid).collect();
        mine.sort_by_key(|s| s.start);
        let mut free_since = mine[0].start;
        for span in &mine {
            longest = longest.max(span.start.saturating_sub(free_since));
            free_since = free_since.max(span.end);
        }
        // After its last task it idles while others still wait, unless that task killed it.
        if mine.last().is_some_and(|s| s.outcome != Outcome::Killed) {
            longest = longest.max(last_start.saturating_sub(free_since));
        }
    }
    longest
}

/// Prints `trace`'s timeline, unless it would have too many rows to read.
fn print_timeline(trace: &Trace) -> Result<(), OutputError> {
    let rows = trace
        .spans()
        .iter()
        .map(|s| s.pid)
        .collect::<BTreeSet<_>>()
        .len();
    if rows > MAX_TIMELINE_ROWS {
        outln!("(timeline left out: {rows} processes, more rows than {MAX_TIMELINE_ROWS})")?;
    } else {
        support::out!("{}", trace.timeline(TIMELINE_WIDTH))?;
    }
    Ok(())
}

/// `== title ==`, after an empty line.
pub(crate) fn heading(title: &str) -> Result<(), OutputError> {
    outln!()?;
    outln!("== {title} ==")
}

/// The items' text, `separator` between them.
pub(crate) fn join<T: ToString>(items: &[T], separator: &str) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(separator)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::work::{self, Work};

    #[test]
    fn task_lines_line_up() {
        let jobs = work::plan(12, 20, Work::Sleep, None);
        let lines = Lines::new(&jobs, None);
        let ran = |index, pid| {
            Ok(Ran {
                index,
                pid,
                took: Duration::ZERO,
            })
        };
        assert_eq!(
            lines.line(Some(Duration::from_millis(61)), &jobs[0], &ran(0, 7)),
            "    61 ms  task  0 ( 60 ms) ran on pid 7"
        );
        assert_eq!(
            lines.line(None, &jobs[11], &ran(11, 8)),
            "  task 11 (160 ms) ran on pid 8"
        );
        let died = Err(Error::WorkerDied {
            index: Some(3),
            pid: 9,
            exit: common::Exit::Signal(9),
        });
        assert_eq!(
            lines.line(None, &jobs[3], &died),
            "  task  3 ( 20 ms) failed: worker process 9 died: killed by signal 9 (SIGKILL)"
        );
    }

    #[test]
    fn ran_on_counts_processes_and_failures() {
        let ok = |pid| {
            Ok(Ran {
                index: 0,
                pid,
                took: Duration::ZERO,
            })
        };
        let results = vec![ok(1), ok(2), ok(1), Err(Error::PoolTerminated)];
        assert_eq!(ran_on(&results), "3 tasks on 2 worker processes (1 failed)");
        assert_eq!(ran_on(&[ok(5)]), "1 task on 1 worker process");
    }

    #[test]
    fn idle_time_counts_only_while_a_task_waits() {
        let span = |index, pid, start: u64, end: u64| Span {
            index,
            pid,
            start: Duration::from_millis(start),
            end: Duration::from_millis(end),
            outcome: Outcome::Ran,
        };
        let ms = Duration::from_millis;
        assert_eq!(longest_idle_while_waiting(&[]), Duration::ZERO);
        // Back to back on both workers, and worker 1 idle at the end when nothing waits.
        let busy = [span(0, 1, 0, 50), span(1, 2, 0, 30), span(2, 2, 30, 90)];
        assert_eq!(longest_idle_while_waiting(&busy), Duration::ZERO);
        // A 2 ms hand-over on worker 1; worker 2 starts 1 ms late (it counts from its first task).
        let handover = [span(0, 1, 0, 50), span(1, 2, 1, 90), span(2, 1, 52, 60)];
        assert_eq!(longest_idle_while_waiting(&handover), ms(2));
        // Worker 2 finishes at 20 and runs nothing more while task 2 waits until 50 (a chunk).
        let chunked = [span(0, 1, 0, 50), span(1, 2, 0, 20), span(2, 1, 50, 60)];
        assert_eq!(longest_idle_while_waiting(&chunked), ms(30));
        // Worker 2 is killed at 20; its replacement, worker 3, takes task 2 at once.
        let killed = Span {
            outcome: Outcome::Killed,
            ..span(1, 2, 0, 20)
        };
        let replaced = [
            span(0, 1, 0, 50),
            killed,
            span(2, 3, 21, 60),
            span(3, 1, 50, 55),
        ];
        assert_eq!(longest_idle_while_waiting(&replaced), Duration::ZERO);
    }

    #[test]
    fn join_puts_the_separator_between() {
        assert_eq!(join(&[1, 2, 3], ", "), "1, 2, 3");
        assert_eq!(join::<u32>(&[], " "), "");
    }
}
