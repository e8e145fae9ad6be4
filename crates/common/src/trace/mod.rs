//! [`Trace`]: which worker ran which task, and when, drawn as a text timeline.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::sys;

/// One task's run: its input index, the worker process that ran it, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Position of the item in the call's input. For `apply` and `apply_async`, which have a
    /// single item, the number of applies traced before this one, so a loop of applies reads
    /// 0, 1, 2, ….
    pub index: usize,
    /// Process id of the worker that ran it.
    pub pid: u32,
    /// When it started, since the trace was created.
    pub start: Duration,
    /// When it ended, since the trace was created.
    pub end: Duration,
}

/// A record of task runs, filled by the pool when a call is traced:
/// `pool.trace(&trace).map(&TASK, items)`.
///
/// Times are taken inside the workers, on the machine-wide monotonic clock, so they measure the
/// task itself, not the trip to the worker. [`Trace::timeline`] draws them, one row per worker:
///
/// ```text
/// pid 4242 |0000000000333333333366666|
/// pid 4243 |111111111144444444447777 |
/// pid 4244 |22222222225555555555888  |
///          0 ms                 300 ms
/// ```
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
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            origin_ns: sys::monotonic_nanos(),
            spans: Mutex::new(Vec::new()),
            applies: AtomicUsize::new(0),
        }
    }
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trace")
            .field("spans", &self.spans().len())
            .finish()
    }
}

impl Trace {
    /// An empty trace whose clock starts now.
    pub fn new() -> Self {
        Trace::default()
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

    /// Adds a span (the pool does this for traced calls; use it for work done another way).
    pub fn record(&self, span: Span) {
        self.inner
            .spans
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(span);
    }

    /// Records the runs of consecutive items from `first`, on worker `pid`, timed by the
    /// worker on the monotonic clock.
    pub(crate) fn record_times(&self, first: usize, pid: u32, times: &[(u64, u64)]) {
        for (offset, &(start, end)) in times.iter().enumerate() {
            let (start, end) = (self.since_origin(start), self.since_origin(end));
            self.record(Span {
                index: first + offset,
                pid,
                start,
                end,
            });
        }
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

    /// A text timeline `width` columns wide: one row per worker (in order of first use), each
    /// task drawn with the last digit of its index, time running left to right.
    pub fn timeline(&self, width: usize) -> String {
        let spans = self.spans();
        let width = width.max(10);
        let Some(end) = spans.iter().map(|s| s.end).max() else {
            return "(no tasks recorded)\n".to_owned();
        };
        let scale =
            |t: Duration| ((t.as_secs_f64() / end.as_secs_f64().max(1e-9)) * width as f64) as usize;
        let mut rows: BTreeMap<(Duration, u32), Vec<char>> = BTreeMap::new();
        let mut first_use: BTreeMap<u32, Duration> = BTreeMap::new();
        for span in &spans {
            first_use.entry(span.pid).or_insert(span.start);
        }
        for span in &spans {
            let row = rows
                .entry((first_use[&span.pid], span.pid))
                .or_insert_with(|| vec![' '; width]);
            let (from, to) = (scale(span.start).min(width - 1), scale(span.end).min(width));
            let mark = char::from_digit((span.index % 10) as u32, 10).expect("a digit");
            // Every task gets at least one column, even when shorter than a column.
            for cell in &mut row[from..to.max(from + 1)] {
                *cell = mark;
            }
        }
        let label_width = rows
            .keys()
            .map(|(_, pid)| format!("pid {pid}").len())
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        for ((_, pid), cells) in &rows {
            let label = format!("pid {pid}");
            let _ = writeln!(
                out,
                "{label:<label_width$} |{}|",
                cells.iter().collect::<String>()
            );
        }
        // Whole milliseconds, or microseconds when the whole run is shorter than 10 ms.
        let (left, right) = if end < Duration::from_millis(10) {
            ("0 µs", format!("{} µs", end.as_micros()))
        } else {
            ("0 ms", format!("{} ms", end.as_millis()))
        };
        // The axis runs under the cells: "0 ms" at the first, the total ending at the last.
        let gap = width
            .saturating_sub(left.chars().count() + right.chars().count())
            .max(1);
        let _ = writeln!(out, "{:label_width$}  {left}{:gap$}{right}", "", "");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn timeline_has_a_row_per_worker_in_order_of_first_use() {
        let trace = Trace::new();
        trace.record(Span {
            index: 1,
            pid: 20,
            start: ms(0),
            end: ms(50),
        });
        trace.record(Span {
            index: 0,
            pid: 10,
            start: ms(0),
            end: ms(100),
        });
        trace.record(Span {
            index: 2,
            pid: 20,
            start: ms(50),
            end: ms(100),
        });
        let timeline = trace.timeline(10);
        assert_eq!(
            timeline,
            "pid 10 |0000000000|\npid 20 |1111122222|\n        0 ms 100 ms\n"
        );
        assert_eq!(trace.spans().len(), 3);
        assert_eq!(Trace::new().timeline(10), "(no tasks recorded)\n");
    }
}
