//! The measured results as a chart: Python against Rust per workload, from the side-by-side
//! runner's Markdown table (the file the regenerate tool writes).
//!
//! The table is read, not the runner's internals: its first table has the columns
//! `| workload | Python | Rust | ratio |`, rows of `| **group** |` start a group, and a cell is a
//! duration (`133.2 µs`, optionally followed by a throughput) or `—`. Rows that are not
//! durations on both sides (memory, goals) are left out of the chart.

use super::chart::{Chart, Row, parse_duration};

fn cells(line: &str) -> Option<Vec<&str>> {
    let inner = line.trim().strip_prefix('|')?.strip_suffix('|')?;
    Some(inner.split('|').map(str::trim).collect())
}

pub(super) fn draw(sources: &[String]) -> Result<String, String> {
    let text = &sources[0];
    let mut lines = text.lines().skip_while(|l| {
        cells(l).is_none_or(|c| c.first() != Some(&"workload") || !c.contains(&"Python"))
    });
    let header = cells(
        lines
            .next()
            .ok_or("no `| workload | Python | Rust |` table")?,
    )
    .expect("the header is a table row");
    let column = |name: &str| {
        header
            .iter()
            .position(|c| *c == name)
            .ok_or(format!("the table has no `{name}` column"))
    };
    let (python, rust) = (column("Python")?, column("Rust")?);
    let mut rows = Vec::new();
    let mut pending_heading = None;
    for line in lines {
        let Some(cells) = cells(line) else { break };
        if cells
            .iter()
            .all(|c| c.chars().all(|ch| ch == '-' || ch == ':'))
        {
            continue; // the separator row
        }
        let label = cells[0];
        if let Some(heading) = label.strip_prefix("**").and_then(|l| l.strip_suffix("**")) {
            pending_heading = Some(heading.to_owned());
            continue;
        }
        let value = |i: usize| cells.get(i).and_then(|c| parse_duration(c));
        let (py, rs) = (value(python), value(rust));
        if py.is_none() || rs.is_none() {
            continue;
        }
        if let Some(heading) = pending_heading.take() {
            rows.push(Row::Heading(heading));
        }
        rows.push(Row::Bars {
            label: label.replace('`', ""),
            values: vec![py, rs],
        });
    }
    let meta = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("- {key}: ")))
            .unwrap_or("not recorded")
            .to_owned()
    };
    Chart {
        title: "Python against Rust, the same workloads: median time per call, log scale".into(),
        caption: format!(
            "One real run of the side-by-side runner, {}; machine: {}",
            meta("date"),
            meta("machine")
        ),
        series: vec!["Python".into(), "Rust".into()],
        rows,
    }
    .svg()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workloads_timed_on_both_sides_are_drawn_under_their_groups() {
        let table = "\
# Rust vs Python
- date: 2026-11-22 01:25 UTC
- machine: 2 × Xeon

| workload | Python | Rust | ratio |
|---|---:|---:|---:|
| **Starting things** | | | |
| thread start + join | 133.2 µs | 24.2 µs | 0.18 |
| `/bin/true` | — | 1.57 ms |  |
| **Memory** | | | |
| resident | 12.7 MiB | 0.4 MiB | 0.03 |
| **Bytes** | | | |
| 1 MB there and back | 2.75 ms (381 MB/s) | 1.81 ms (578 MB/s) | 0.66 |

| measured | goal |
|---|---|
| 6.4 µs | ≤ 10 µs |
";
        let svg = draw(&[table.to_owned()]).unwrap();
        assert!(svg.contains(">Starting things</text>") && svg.contains(">Bytes</text>"));
        assert!(
            !svg.contains(">Memory</text>"),
            "a group with nothing drawn is left out"
        );
        assert!(svg.contains(">thread start + join</text>"));
        assert!(!svg.contains("/bin/true") && !svg.contains("resident"));
        assert!(svg.contains(">2.75 ms</text>") && svg.contains(">1.81 ms</text>"));
        assert!(svg.contains("2026-11-22 01:25 UTC; machine: 2 × Xeon"));
        assert!(!svg.contains("6.4 µs"), "only the first table");
        assert!(draw(&["no table".to_owned()]).is_err());
    }
}
