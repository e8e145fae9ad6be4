//! Question 2's costs as a chart: the medians of `q2_processes_vs_threads --only cost` and
//! `--only ipc` (their round trips).

use super::chart::{Chart, Row, parse_duration};

/// The tables of the output: each starts with a header line whose first word is `worker` or
/// `between`, and runs to the next blank line. Columns are separated by two or more spaces;
/// the first is the label, the second the median.
fn tables(text: &str) -> Vec<Vec<(String, f64)>> {
    let mut tables = Vec::new();
    let mut current: Option<Vec<(String, f64)>> = None;
    for line in text.lines() {
        if line.starts_with("worker ") || line.starts_with("between ") {
            current = Some(Vec::new());
            continue;
        }
        if line.trim().is_empty() {
            tables.extend(current.take());
            continue;
        }
        if let Some(rows) = &mut current {
            let fields: Vec<&str> = line
                .split("  ")
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .collect();
            if let [label, median, ..] = fields[..]
                && let Some(seconds) = parse_duration(median)
            {
                rows.push((label.to_owned(), seconds));
            }
        }
    }
    tables.extend(current);
    tables
}

/// The machine line the program prints first (`Machine: 2 cores …`).
fn machine(text: &str) -> &str {
    text.lines()
        .find_map(|l| l.strip_prefix("Machine: "))
        .unwrap_or("an unnamed machine")
}

pub(super) fn draw(sources: &[String]) -> Result<String, String> {
    // The tables of every source, in order: the machine is named by the first.
    let text = &sources.join("\n");
    let tables = tables(text);
    let [starting, round_trips] = &tables[..] else {
        return Err(format!(
            "expected two tables (cost, ipc) in the output, found {}",
            tables.len()
        ));
    };
    let mut rows = vec![Row::Heading("Start a worker, wait for it to end".into())];
    rows.extend(starting.iter().map(|(label, s)| Row::Bars {
        label: label.clone(),
        values: vec![Some(*s)],
    }));
    rows.push(Row::Heading("Send a number and get it back".into()));
    rows.extend(round_trips.iter().map(|(label, s)| Row::Bars {
        label: label.clone(),
        values: vec![Some(*s)],
    }));
    Chart {
        title: "What a worker and a message cost: median time, log scale".into(),
        caption: format!(
            "One real run each of q2_processes_vs_threads --only cost and --only ipc on {}",
            machine(text)
        ),
        series: vec!["median".into()],
        rows,
    }
    .svg()
}

#[cfg(test)]
mod tests {
    use super::super::chart::duration;
    use super::*;

    const OUTPUT: &str = "\
$ cargo run -p q2_processes_vs_threads -- --only cost,ipc
Machine: 2 cores (load average 1.95), linux on x86_64; this program: a debug build of 28.2 MB.

== cost ==
worker                                        median  vs thread        middle half  fastest  slowest
thread: std::thread::spawn + join            98.2 µs      1.00×   89.6 µs – 105 µs  82.8 µs   171 µs
child process: common::Process start + join  2.74 ms      27.9×  2.44 ms – 2.98 ms  2.09 ms  3.80 ms

Reading: …

== ipc ==
between                                              median  vs channel        middle half  fastest  slowest
two threads: std::sync::mpsc channels               4.83 µs       1.00×  3.74 µs – 5.02 µs  3.05 µs  93.0 µs
";

    #[test]
    fn the_medians_of_both_tables_are_drawn() {
        let tables: Vec<Vec<(String, String)>> = tables(OUTPUT)
            .into_iter()
            .map(|t| t.into_iter().map(|(l, s)| (l, duration(s))).collect())
            .collect();
        let row = |l: &str, d: &str| (l.to_owned(), d.to_owned());
        assert_eq!(
            tables,
            [
                vec![
                    row("thread: std::thread::spawn + join", "98.2 µs"),
                    row("child process: common::Process start + join", "2.74 ms")
                ],
                vec![row("two threads: std::sync::mpsc channels", "4.83 µs")],
            ]
        );
        let svg = draw(&[OUTPUT.to_owned()]).unwrap();
        assert!(svg.contains(">98.2 µs</text>") && svg.contains(">2.74 ms</text>"));
        assert!(svg.contains("on 2 cores (load average 1.95)"));
        assert!(draw(&["nothing".to_owned()]).is_err());
    }
}
