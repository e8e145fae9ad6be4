//! The whole Markdown document a run prints: the machine it ran on, the table, the targets, and
//! the notes (answers checked, outputs compared, what was skipped).

use std::fmt::Write as _;
use std::time::Duration;

use super::python::Python;
use super::results::Results;
use super::{explain, table, targets};
use crate::machine::Machine;
use crate::measure::Budget;

/// Everything one run found, and how to print it.
#[derive(Debug)]
pub(super) struct Report {
    pub(super) machine: Machine,
    pub(super) python: Result<Python, String>,
    /// The load average when the run ended.
    pub(super) end_load: String,
    pub(super) budget: Budget,
    pub(super) rust: Results,
    pub(super) py: Results,
    pub(super) notes: Vec<String>,
    pub(super) cores: usize,
    /// Whether `--only` left workloads out.
    pub(super) filtered: bool,
}

impl Report {
    pub(super) fn render(&self) -> String {
        let mut out = self.header();
        table::render(&mut out, &self.rust, &self.py, self.cores);
        targets::render(&mut out, &self.rust, &self.py, self.cores, self.filtered);
        explain::render(&mut out, &self.rust, &self.py, self.cores);
        if !self.notes.is_empty() {
            let _ = writeln!(out, "\n## Notes\n");
            for note in &self.notes {
                let _ = writeln!(out, "- {note}");
            }
        }
        out
    }

    /// The title, what the numbers were measured on and how, and how to read them.
    fn header(&self) -> String {
        let Report {
            machine,
            python,
            end_load,
            budget,
            ..
        } = self;
        let mut out = String::new();
        let python_text = match python {
            Ok(p) => format!(
                "Python {} ({}; `multiprocessing`'s default start method on Linux: fork)",
                p.version,
                p.executable.display()
            ),
            Err(why) => format!("Python: none — {why}"),
        };
        let mode = match budget.max_samples {
            1 => "smoke test (one sample each: not a measurement)",
            _ if budget.time < Duration::from_secs(1) => "--quick (0.2 s per workload)",
            _ => "full (1 s per workload, median of ≥ 7 samples)",
        };
        let _ = writeln!(
            out,
            "# Rust vs Python: processes and threads, side by side\n"
        );
        let _ = writeln!(out, "- date: {}", machine.date);
        let _ = writeln!(
            out,
            "- machine: {} × {} (cores this process may use: {})",
            machine.cpus, machine.cpu, machine.cores
        );
        let _ = writeln!(out, "- kernel: Linux {}", machine.kernel);
        let _ = writeln!(
            out,
            "- {}{}",
            machine.rustc,
            if machine.optimized {
                ", release build"
            } else {
                ", DEBUG build: Rust numbers are meaningless"
            }
        );
        let _ = writeln!(out, "- {python_text}");
        let _ = writeln!(out, "- mode: {mode}");
        let _ = writeln!(
            out,
            "- load average (1, 5, 15 min): {} at start, {end_load} at end{}",
            machine.load,
            if machine.load_1min() > 0.5 {
                " — a BUSY machine: other programs were running, numbers are noisy"
            } else {
                ""
            }
        );
        let _ = writeln!(
            out,
            "\nTimes are medians per call; ±: how far the middle half of the samples spread \
             around the median (half its width, as a share of the median). Ratio = Rust ÷ \
             Python: below 1, Rust is faster (or smaller); ≈: the two differ by less than their \
             noise (the faster quarter of one overlaps the slower quarter of the other).\n"
        );
        out
    }
}
