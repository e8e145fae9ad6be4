//! The text timeline: a row of digits per worker, for terminals.

use std::fmt::Write as _;
use std::time::Duration;

use super::Trace;

/// See [`Trace::timeline`].
pub(super) fn timeline(trace: &Trace, width: usize) -> String {
    let lanes = trace.lanes();
    let width = width.max(10);
    let Some(end) = lanes.iter().flat_map(|(_, s)| s).map(|s| s.end).max() else {
        return "(no tasks recorded)\n".to_owned();
    };
    let scale =
        |t: Duration| ((t.as_secs_f64() / end.as_secs_f64().max(1e-9)) * width as f64) as usize;
    let labels: Vec<String> = lanes
        .iter()
        .map(|(pid, _)| trace.lane_label(*pid))
        .collect();
    let label_width = labels.iter().map(String::len).max().unwrap_or(0);
    let mut out = String::new();
    for ((_, spans), label) in lanes.iter().zip(&labels) {
        let mut cells = vec![' '; width];
        for span in spans {
            let (from, to) = (scale(span.start).min(width - 1), scale(span.end).min(width));
            let mark = char::from_digit((span.index % 10) as u32, 10).expect("a digit");
            // Every task gets at least one column, even when shorter than a column.
            for cell in &mut cells[from..to.max(from + 1)] {
                *cell = mark;
            }
        }
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

#[cfg(test)]
mod tests {
    use super::super::tests::span;
    use super::*;

    #[test]
    fn timeline_has_a_row_per_worker_in_order_of_first_use() {
        let trace = Trace::new();
        trace.record(span(1, 20, 0, 50));
        trace.record(span(0, 10, 0, 100));
        trace.record(span(2, 20, 50, 100));
        assert_eq!(
            trace.timeline(10),
            "pid 10 |0000000000|\npid 20 |1111122222|\n        0 ms 100 ms\n"
        );
        assert_eq!(trace.spans().len(), 3);
        assert_eq!(Trace::new().timeline(10), "(no tasks recorded)\n");
    }
}
