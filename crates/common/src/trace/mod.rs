//! [`Trace`]: which worker ran which task, when, and how it ended; drawn as a text timeline
//! ([`Trace::timeline`]) or as an SVG picture ([`Trace::svg`], [`Picture`]).

mod svg;
mod text;

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::sys;

pub use svg::Picture;

/// One task's run: its input index, the worker that ran it, when, and how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Position of the item in the call's input. For `apply` and `apply_async`, which have a
    /// single item, the number of applies traced before this one, so a loop of applies reads
    /// 0, 1, 2, ….
    pub index: usize,
    /// The worker that ran it: a process id, or in a trace of threads ([`Trace::of_threads`])
    /// the thread's id as Linux numbers it (`gettid`).
    pub pid: u32,
    /// When it started, since the trace was created.
    pub start: Duration,
    /// When it ended, since the trace was created. For a killed task: when its worker's death
    /// was noticed.
    pub end: Duration,
    /// How it ended.
    pub outcome: Outcome,
}

/// How a traced task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Outcome {
    /// It returned a result.
    #[default]
    Ran,
    /// It ran to the end but failed: it panicked, or its result could not be encoded.
    Failed,
    /// Its worker died while it ran (killed, crashed, exited) or was killed for overrunning a
    /// time limit.
    Killed,
}

impl Outcome {
    /// `ran`, `failed` or `killed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ran => "ran",
            Outcome::Failed => "failed",
            Outcome::Killed => "killed",
        }
    }
}

/// A record of task runs, filled by the pool when a call is traced:
/// `pool.trace(&trace).map(&TASK, items)` (or `threads.trace(&trace).map(…)` on a
/// [`ThreadPool`](crate::ThreadPool)).
///
/// Times are taken inside the workers, on the machine-wide monotonic clock, so they measure the
/// task itself, not the trip to the worker. [`Trace::timeline`] draws them as text, one row per
/// worker:
///
/// ```text
/// pid 4242 |0000000000333333333366666|
/// pid 4243 |111111111144444444447777 |
/// pid 4244 |22222222225555555555888  |
///          0 ms                 300 ms
/// ```
///
/// and [`Trace::svg`] as a picture: a lane per worker, a bar per task labelled with its index
/// and coloured by its [`Outcome`], a time axis in milliseconds.
///
/// Cloning gives another handle to the same record.
#[derive(Clone, Default)]
pub struct Trace {
    inner: Arc<Inner>,
}

struct Inner {
    origin_ns: u64,
    spans: Mutex<Vec<Span>>,
    applies: AtomicUsize,
    threads: bool,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            origin_ns: sys::monotonic_nanos(),
            spans: Mutex::new(Vec::new()),
            applies: AtomicUsize::new(0),
            threads: false,
        }
    }
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trace")
            .field("spans", &self.spans().len())
            .field("threads", &self.inner.threads)
            .finish()
    }
}

impl Trace {
    /// An empty trace of worker processes whose clock starts now.
    pub fn new() -> Self {
        Trace::default()
    }

    /// An empty trace whose workers are threads: its drawings label a lane `thread N`, not
    /// `pid N`.
    pub fn of_threads() -> Self {
        Trace {
            inner: Arc::new(Inner {
                threads: true,
                ..Inner::default()
            }),
        }
    }

    /// Whether the workers are threads ([`Trace::of_threads`]).
    pub fn is_of_threads(&self) -> bool {
        self.inner.threads
    }

    /// The calling thread's id as Linux numbers it (`gettid`): what a span of a trace of
    /// threads gives as its `pid`.
    pub fn thread_id() -> u32 {
        // SAFETY: gettid has no preconditions and cannot fail.
        unsafe { libc::gettid() as u32 }
    }

    /// What a lane is called in drawings: `pid 4242` or `thread 4250`.
    pub(crate) fn lane_label(&self, pid: u32) -> String {
        let word = if self.inner.threads { "thread" } else { "pid" };
        format!("{word} {pid}")
    }

    /// Time since the trace was created, on the clock spans use (for recording by hand).
    pub fn now(&self) -> Duration {
        self.since_origin(sys::monotonic_nanos())
    }

    /// The index the next traced `apply` records.
    pub(crate) fn next_apply(&self) -> usize {
        self.inner.applies.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn since_origin(&self, ns: u64) -> Duration {
        Duration::from_nanos(ns.saturating_sub(self.inner.origin_ns))
    }

    /// Adds a span (the pools do this for traced calls; use it for work done another way).
    pub fn record(&self, span: Span) {
        self.inner
            .spans
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(span);
    }

    /// Records the runs of consecutive items from `first`, on worker `pid`, as the worker timed
    /// them on the monotonic clock: `(start ns, end ns, succeeded)` each.
    pub(crate) fn record_times(&self, first: usize, pid: u32, times: &[(u64, u64, bool)]) {
        for (offset, &(start, end, ok)) in times.iter().enumerate() {
            self.record(Span {
                index: first + offset,
                pid,
                start: self.since_origin(start),
                end: self.since_origin(end),
                outcome: if ok { Outcome::Ran } else { Outcome::Failed },
            });
        }
    }

    /// Records item `index`, whose worker `pid` died (or was killed) while running it. It
    /// started at `started_ns` on the monotonic clock (0 if unknown: the span then starts where
    /// that worker's previous span ended) and the death was noticed at `ended_ns`.
    pub(crate) fn record_killed(&self, index: usize, pid: u32, started_ns: u64, ended_ns: u64) {
        let end = self.since_origin(ended_ns);
        let start = if started_ns == 0 {
            self.spans()
                .iter()
                .filter(|s| s.pid == pid)
                .map(|s| s.end)
                .max()
                .unwrap_or_default()
        } else {
            self.since_origin(started_ns)
        };
        self.record(Span {
            index,
            pid,
            start: start.min(end),
            end,
            outcome: Outcome::Killed,
        });
    }

    /// Every span so far, by start time.
    pub fn spans(&self) -> Vec<Span> {
        let mut spans = self
            .inner
            .spans
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        spans.sort_by_key(|s| (s.start, s.index));
        spans
    }

    /// The workers in order of first use, each with its spans: the lanes of every drawing.
    pub(crate) fn lanes(&self) -> Vec<(u32, Vec<Span>)> {
        let mut lanes: Vec<(u32, Vec<Span>)> = Vec::new();
        for span in self.spans() {
            match lanes.iter_mut().find(|(pid, _)| *pid == span.pid) {
                Some((_, spans)) => spans.push(span),
                None => lanes.push((span.pid, vec![span])),
            }
        }
        lanes
    }

    /// A text timeline `width` columns wide: one row per worker (in order of first use), each
    /// task drawn with the last digit of its index, time running left to right.
    pub fn timeline(&self, width: usize) -> String {
        text::timeline(self, width)
    }

    /// This trace as an SVG picture under `title` (see [`Picture`] for several traces in one
    /// picture).
    pub fn svg(&self, title: &str) -> String {
        Picture::new().panel(title, self).svg()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    pub(super) fn span(index: usize, pid: u32, start: u64, end: u64) -> Span {
        Span {
            index,
            pid,
            start: ms(start),
            end: ms(end),
            outcome: Outcome::Ran,
        }
    }

    #[test]
    fn lanes_are_workers_in_order_of_first_use() {
        let trace = Trace::new();
        trace.record(span(1, 20, 10, 50));
        trace.record(span(0, 10, 0, 100));
        trace.record(span(2, 20, 50, 100));
        let lanes = trace.lanes();
        let order: Vec<(u32, usize)> = lanes.iter().map(|(pid, s)| (*pid, s.len())).collect();
        assert_eq!(order, [(10, 1), (20, 2)]);
        assert_eq!(trace.lane_label(10), "pid 10");
        assert_eq!(Trace::of_threads().lane_label(7), "thread 7");
    }

    #[test]
    fn worker_times_become_spans_with_their_outcome() {
        let trace = Trace::new();
        let origin = trace.inner.origin_ns;
        let t = |ms: u64| origin + ms * 1_000_000;
        trace.record_times(4, 99, &[(t(0), t(10), true), (t(10), t(30), false)]);
        trace.record_killed(6, 99, 0, t(45));
        trace.record_killed(7, 98, t(5), t(20));
        let spans = trace.spans();
        let summary: Vec<(usize, u64, u64, Outcome)> = spans
            .iter()
            .map(|s| {
                (
                    s.index,
                    s.start.as_millis() as u64,
                    s.end.as_millis() as u64,
                    s.outcome,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (4, 0, 10, Outcome::Ran),
                (7, 5, 20, Outcome::Killed),
                (5, 10, 30, Outcome::Failed),
                // No start known: it began when the worker's previous task ended.
                (6, 30, 45, Outcome::Killed),
            ]
        );
    }
}
