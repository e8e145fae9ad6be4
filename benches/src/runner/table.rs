//! The main table: every row that either side measured, as Markdown (workload, Python, Rust,
//! ratio), under its section's title.

use std::fmt::Write as _;

use super::results::{Measured, Results, ratio};
use super::rows::{Kind, sections};
use super::units::{human_rate, human_time};

/// Appends the table to `out`. Rows neither side measured (left out with `--only`) are left
/// out, and so is the title of a section left empty.
pub(super) fn render(out: &mut String, rust: &Results, py: &Results, cores: usize) {
    let _ = writeln!(out, "| workload | Python | Rust | ratio |");
    let _ = writeln!(out, "|---|---:|---:|---:|");
    for section in sections(cores) {
        let mut title = Some(section.title);
        for row in section.rows {
            let (p, pv) = cell(py, row.python.as_deref(), &row.kind);
            let (r, rv) = cell(rust, row.rust.as_deref(), &row.kind);
            let stats = |results: &Results, key: &Option<String>| {
                key.as_deref()
                    .and_then(|k| results.get(k))
                    .and_then(Measured::stats)
            };
            // `≈`: neither side was slower beyond the noise of both.
            let same = match (stats(rust, &row.rust), stats(py, &row.python), &row.kind) {
                (Some(r), Some(p), Kind::Time | Kind::Bytes(_)) => {
                    !r.clearly_slower_than(&p) && !p.clearly_slower_than(&r)
                }
                _ => false,
            };
            let ratio = ratio(rv, pv).map_or(String::new(), |x| {
                format!("{}{x:.2}", if same { "≈ " } else { "" })
            });
            if p == "—" && r == "—" {
                continue; // not measured in this run (--only)
            }
            if let Some(title) = title.take() {
                let _ = writeln!(out, "| **{title}** | | | |");
            }
            let _ = writeln!(out, "| {} | {p} | {r} | {ratio} |", row.label);
        }
    }
}

/// A cell's text and the number the ratio is taken on.
fn cell(results: &Results, key: Option<&str>, kind: &Kind) -> (String, Option<f64>) {
    let Some(m) = key.and_then(|k| results.get(k)) else {
        return ("—".into(), None);
    };
    let spread = || {
        m.stats()
            .filter(|s| s.samples > 1)
            .map_or(String::new(), |s| format!(" ±{:.0}%", s.spread() * 100.0))
    };
    match kind {
        Kind::Time => match m.seconds() {
            Some(s) => (format!("{}{}", human_time(s), spread()), Some(s)),
            None => ("?".into(), None),
        },
        Kind::Bytes(n) => match m.seconds() {
            Some(s) => (
                format!(
                    "{}{} ({})",
                    human_time(s),
                    spread(),
                    human_rate(*n as f64 / s)
                ),
                Some(s),
            ),
            None => ("?".into(), None),
        },
        Kind::Memory => match m.kib() {
            Some(k) => (format!("{:.1} MiB", k as f64 / 1024.0), Some(k as f64)),
            None => ("?".into(), None),
        },
        Kind::Speedup { sequential } => {
            match (
                results.get(sequential).and_then(Measured::seconds),
                m.seconds(),
            ) {
                (Some(seq), Some(par)) => (format!("{:.2}×", seq / par), None),
                _ => ("—".into(), None),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::measure::Stats;

    fn time(ms: u64) -> Measured {
        let d = Duration::from_millis(ms);
        Measured::Time(Stats::exact(d))
    }

    #[test]
    fn cells_by_kind() {
        let results = Results::from([
            ("seq".to_owned(), time(40)),
            ("par".to_owned(), time(20)),
            ("rss".to_owned(), Measured::Kib(2048)),
        ]);
        let speedup = Kind::Speedup {
            sequential: "seq".into(),
        };
        assert_eq!(
            cell(&results, Some("par"), &speedup),
            ("2.00×".into(), None)
        );
        assert_eq!(
            cell(&results, Some("par"), &Kind::Bytes(1 << 20)).0,
            "20.00 ms (52 MB/s)"
        );
        assert_eq!(
            cell(&results, Some("rss"), &Kind::Memory),
            ("2.0 MiB".into(), Some(2048.0))
        );
        assert_eq!(cell(&results, Some("rss"), &Kind::Time).0, "?");
        assert_eq!(cell(&results, None, &Kind::Time), ("—".into(), None));
    }

    #[test]
    fn spread_is_shown_and_a_difference_within_it_is_marked() {
        let noisy = |median: u64, half: u64| {
            let us = Duration::from_micros;
            Measured::Time(Stats {
                median: us(median),
                min: us(median - half),
                q1: us(median - half),
                q3: us(median + half),
                samples: 9,
            })
        };
        let rust = Results::from([
            ("spawn.thread".to_owned(), noisy(100, 10)),
            ("spawn.reexec".to_owned(), noisy(100, 1)),
        ]);
        let py = Results::from([
            ("spawn.thread".to_owned(), noisy(95, 10)),
            ("spawn.reexec".to_owned(), noisy(50, 1)),
        ]);
        let mut out = String::new();
        render(&mut out, &rust, &py, 2);
        assert!(
            out.contains("| thread start + join | 95.0 µs ±11% | 100.0 µs ±10% | ≈ 1.05 |"),
            "{out}"
        );
        assert!(
            out.contains("| 50.0 µs ±2% | 100.0 µs ±1% | 2.00 |"),
            "{out}"
        );
    }

    #[test]
    fn only_measured_rows_and_their_sections_are_shown() {
        let rust = Results::from([("spawn.thread".to_owned(), time(1))]);
        let py = Results::from([("spawn.thread".to_owned(), time(4))]);
        let mut out = String::new();
        render(&mut out, &rust, &py, 2);
        let lines: Vec<&str> = out.lines().skip(2).collect();
        assert_eq!(
            lines,
            [
                "| **Starting things** | | | |",
                "| thread start + join | 4.00 ms | 1.00 ms | 0.25 |"
            ]
        );
    }
}
