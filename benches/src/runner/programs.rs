//! Whole programs: `q5_pool` and `q6_four_processes` against the assignment's Python programs
//! in `benches/python/`, each run start to exit, timed, and its output compared. `q5_pool`'s
//! idle worker is measured here too, since only here is the program built.

use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use super::cargo;
use super::cli::Cli;
use super::python::{self, Python};
use super::results::{Measured, Results};
use crate::measure::{Budget, Stats, measure, time_n};
use crate::work;

/// A whole program: how to run each side and how to compare their outputs.
#[derive(Debug)]
pub(super) struct Program {
    pub(super) name: &'static str,
    /// What is compared: the output cut into records, in a canonical form.
    records: fn(&str) -> Vec<String>,
    /// How the records were made canonical, for the note under the table.
    how: &'static str,
}

pub(super) const PROGRAMS: [Program; 2] = [
    Program {
        name: "q5_pool",
        records: lines,
        how: "",
    },
    Program {
        name: "q6_four_processes",
        records: q6_records,
        how: " (pids and random numbers masked, order ignored: the children print in any order)",
    },
];

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

/// Every `Process number K … random number generated : M` in the output, as
/// `Process number K, random number generated : N`, sorted. Found in the whole text, not line
/// by line: the Python program's lines can tear (see [`torn_lines`]).
fn q6_records(text: &str) -> Vec<String> {
    let mut records: Vec<String> = text
        .split("Process number ")
        .skip(1)
        .map(|rest| {
            let k: String = rest.chars().take_while(char::is_ascii_digit).collect();
            format!("Process number {k}, random number generated : N")
        })
        .collect();
    records.sort();
    records
}

/// Lines of a q6 output that are not one whole record: Python's `print` writes the text and the
/// newline with two `write` calls, so lines from processes printing at once can interleave.
fn torn_lines(text: &str) -> usize {
    text.lines()
        .filter(|l| l.is_empty() || l.matches("Process number ").count() != 1)
        .count()
}

/// Builds the exercise binaries and times each against its Python reference (without Python,
/// the Rust side alone); what it finds goes to `rust`, `py` and `notes`.
pub(super) fn compare(
    cli: &Cli,
    python: Option<&Python>,
    budget: Budget,
    rust: &mut Results,
    py: &mut Results,
    notes: &mut Vec<String>,
) {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benches/ is inside the workspace");
    for program in &PROGRAMS {
        let key = format!("program.{}", program.name);
        if !cli.wants(&key) {
            continue;
        }
        if !workspace
            .join("exercises")
            .join(program.name)
            .join("Cargo.toml")
            .exists()
        {
            notes.push(format!(
                "{}: not in this workspace yet, skipped.",
                program.name
            ));
            continue;
        }
        support::errln!("  {key} (building it first)");
        let exe = match cargo::build(workspace, program.name) {
            Ok(exe) => exe,
            Err(e) => {
                notes.push(format!(
                    "{}: could not build it ({e}), skipped.",
                    program.name
                ));
                continue;
            }
        };
        if program.name == "q5_pool" {
            match idle_worker_of(&exe) {
                Ok((vmrss, anon)) => {
                    rust.insert("rss.q5_idle_worker".into(), Measured::Kib(vmrss));
                    rust.insert("rss.q5_idle_worker.anon".into(), Measured::Kib(anon));
                }
                Err(e) => notes.push(format!("q5_pool's idle worker not measured: {e}")),
            }
        }
        let (stats, rust_runs) = time_runs(budget, || Command::new(&exe));
        rust.insert(key.clone(), Measured::Time(stats));
        let Some(python) = python else {
            continue;
        };
        let script = python::script(&format!("{}.py", program.name));
        let python_command = |unbuffered: bool| {
            let mut command = Command::new(&python.executable);
            // Python's buffering is set here, not inherited: PYTHONUNBUFFERED in the
            // environment would change both the timing and the tearing.
            command.env_remove("PYTHONUNBUFFERED");
            if unbuffered {
                command.arg("-u");
            }
            command.arg(&script);
            command
        };
        let (stats, py_runs) = time_runs(budget, || python_command(false));
        py.insert(key, Measured::Time(stats));
        // Untimed: how often the children's lines tear when Python writes unbuffered (`-u`).
        let unbuffered: Vec<Vec<u8>> = if program.name == "q6_four_processes" {
            (0..UNBUFFERED_RUNS.min(budget.max_samples.max(1)))
                .map(|_| run_program(python_command(true)))
                .collect()
        } else {
            Vec::new()
        };
        notes.extend(compare_outputs(program, &rust_runs, &py_runs, &unbuffered));
    }
}

/// Times whole runs of the program `command` makes; returns the time per run and every run's
/// standard output.
fn time_runs(budget: Budget, command: impl Fn() -> Command) -> (Stats, Vec<Vec<u8>>) {
    let mut outputs = Vec::new();
    let stats = measure(budget, |n| {
        time_n(n, || outputs.push(run_program(command())))
    });
    (stats, outputs)
}

/// Runs a program to the end; returns its standard output.
fn run_program(mut command: Command) -> Vec<u8> {
    match command.stdin(Stdio::null()).stderr(Stdio::null()).output() {
        Ok(out) => out.stdout,
        Err(e) => format!("cannot run: {e}").into_bytes(),
    }
}

/// Runs of the Python q6 program with `python3 -u`, to count torn lines.
const UNBUFFERED_RUNS: usize = 20;

/// The notes on one program's outputs: whether the last runs agree, and for q6 how many runs
/// of each side tore lines (`unbuffered`: Python's runs with `-u`).
fn compare_outputs(
    program: &Program,
    rust_runs: &[Vec<u8>],
    py_runs: &[Vec<u8>],
    unbuffered: &[Vec<u8>],
) -> Vec<String> {
    let last = |runs: &[Vec<u8>]| {
        let out = runs.last().map(Vec::as_slice).unwrap_or_default();
        (program.records)(&String::from_utf8_lossy(out))
    };
    let (ours, theirs) = (last(rust_runs), last(py_runs));
    let how = program.how;
    let mut notes = vec![if ours == theirs {
        format!("{}: same output as the Python program{how}.", program.name)
    } else {
        format!(
            "{}: OUTPUT DIFFERS from the Python program{how}:\n  Rust:   {ours:?}\n  Python: {theirs:?}",
            program.name
        )
    }];
    if program.name == "q6_four_processes" {
        let torn = |runs: &[Vec<u8>]| {
            runs.iter()
                .filter(|out| torn_lines(&String::from_utf8_lossy(out)) > 0)
                .count()
        };
        notes.push(format!(
            "q6_four_processes: runs with torn lines: Rust {} of {}; Python {} of {} with its \
             output buffered (to a pipe, as here, each child writes its buffer once, at exit), \
             {} of {} unbuffered (`python3 -u`: print writes the text and the newline with two \
             writes, and children writing at once interleave). Rust's println! writes each line \
             with one write.",
            torn(rust_runs),
            rust_runs.len(),
            torn(py_runs),
            py_runs.len(),
            torn(unbuffered),
            unbuffered.len()
        ));
    }
    notes
}

/// VmRSS and RssAnon (KiB) of an idle worker of `q5_pool`: the program runs with two workers
/// and one value that keeps one of them busy for a second, so the other has started, said
/// hello and waits for work.
fn idle_worker_of(q5_pool: &Path) -> Result<(u64, u64), String> {
    let mut program = Command::new(q5_pool)
        .args(["--workers", "2", "--work-ms", "1000", "0.5"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run it: {e}"))?;
    let pid = program.id();
    let mut idle = None;
    support::proc::eventually(Duration::from_secs(5), || {
        let workers = support::proc::workers_of(pid);
        let sleeping: Vec<u32> = workers
            .iter()
            .copied()
            .filter(|&w| support::proc::state(w) == Some('S'))
            .collect();
        // Both started; one runs the busy task, the other sleeps waiting for work.
        if workers.len() == 2 && sleeping.len() == 1 {
            idle = Some(sleeping[0]);
        }
        idle.is_some()
    });
    // A moment's rest, as for the other idle workers, then /proc.
    thread::sleep(Duration::from_millis(100));
    let measured = idle
        .ok_or_else(|| "no idle worker seen".to_owned())
        .and_then(|w| {
            let kib = |field| work::status_kib(w, field).map_err(|e| e.to_string());
            Ok((kib("VmRSS")?, kib("RssAnon")?))
        });
    let _ = program.wait();
    measured
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q6_records_mask_numbers_and_ignore_order_and_tearing() {
        let rust = "Process number 2, random number generated : 17\n\
                    Process number 1, random number generated : 4\n";
        // Two lines torn into each other, as Python's two-write print can leave them.
        let python = "Process number 1, random number generated : 9Process number 2, \
                      random number generated : 3\n\n";
        assert_eq!(q6_records(rust), q6_records(python));
        assert_eq!((torn_lines(rust), torn_lines(python)), (0, 2));
    }

    #[test]
    fn outputs_are_compared_on_the_last_run() {
        let [q5, q6] = &PROGRAMS;
        let run = |s: &str| vec![s.as_bytes().to_vec()];
        assert_eq!(
            compare_outputs(q5, &run("1.0\n2.0\n"), &run("1.0\n2.0\n"), &[]),
            ["q5_pool: same output as the Python program."]
        );
        assert!(
            compare_outputs(q5, &run("1.0\n"), &run("2.0\n"), &[])[0].contains("OUTPUT DIFFERS")
        );
        let torn = run("Process number 1, xProcess number 2, y\n\n");
        let notes = compare_outputs(q6, &run("Process number 1 : 5\n"), &run(""), &torn);
        assert!(notes[0].contains("OUTPUT DIFFERS"), "{notes:?}");
        assert!(
            notes[1].contains("torn lines: Rust 0 of 1; Python 0 of 1 with its output buffered"),
            "{notes:?}"
        );
        assert!(notes[1].contains("1 of 1 unbuffered"), "{notes:?}");
    }
}
