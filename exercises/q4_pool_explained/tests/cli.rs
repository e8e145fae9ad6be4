//! `q4_pool_explained` as a user runs it: the structure of its output, and its exit codes.
//!
//! Which worker runs which task, and when, depends on timing, so these tests check structure:
//! every task is reported exactly once, by one of the pool's pids, and the timelines have a row
//! per worker. They never assert an order among worker results, a time or a speed.

use std::collections::BTreeSet;

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;

const EXIT_CODES: &str = support::cli::EXIT_CODES_HELP;

/// Runs the program with `args`, checks the exit code and an empty stderr, returns stdout.
fn run(args: &[&str], code: i32) -> String {
    let output = cargo_bin_cmd!("q4_pool_explained")
        .args(args)
        .assert()
        .code(code)
        .stderr("")
        .get_output()
        .stdout
        .clone();
    String::from_utf8(output).expect("stdout is UTF-8")
}

/// The sections of the output: heading (without `==`) and the lines under it.
fn sections(stdout: &str) -> Vec<(String, Vec<&str>)> {
    let mut sections = Vec::new();
    for line in stdout.lines() {
        if let Some(title) = line.strip_prefix("== ").and_then(|l| l.strip_suffix(" ==")) {
            sections.push((title.to_owned(), Vec::new()));
        } else if let Some((_, lines)) = sections.last_mut() {
            lines.push(line);
        }
    }
    sections
}

/// The lines of the section whose heading is `name: ...`.
fn section<'a>(stdout: &'a str, name: &str) -> Vec<&'a str> {
    let found: Vec<_> = sections(stdout)
        .into_iter()
        .filter(|(title, _)| title.split(':').next() == Some(name))
        .collect();
    assert_eq!(found.len(), 1, "one section {name:?} in:\n{stdout}");
    found.into_iter().next().unwrap().1
}

fn titles(stdout: &str) -> Vec<String> {
    sections(stdout)
        .into_iter()
        .map(|(title, _)| title.split(':').next().unwrap().to_owned())
        .collect()
}

/// `(task, pid)` of every "task N (M ms) ran on pid P" line.
fn ran(lines: &[&str]) -> Vec<(usize, u32)> {
    lines
        .iter()
        .filter_map(|line| {
            let (task, pid) = line.split_once(" ran on pid ")?;
            let task = task.split("task ").nth(1)?.split_whitespace().next()?;
            Some((task.parse().ok()?, pid.parse().ok()?))
        })
        .collect()
}

/// The pids of a timeline's rows, after checking each row's shape and the axis under them.
fn timeline(lines: &[&str]) -> Vec<u32> {
    let rows: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("pid ") && l.ends_with('|'))
        .collect();
    let pids: Vec<u32> = rows
        .iter()
        .map(|row| {
            let (label, cells) = row.split_once(" |").expect("a row is `pid N |cells|`");
            let cells = cells.strip_suffix('|').unwrap();
            assert_eq!(cells.chars().count(), 60, "{row}");
            assert!(
                cells.chars().all(|c| c.is_ascii_digit() || c == ' '),
                "{row}"
            );
            label
                .trim_start_matches("pid ")
                .trim()
                .parse()
                .expect("a pid")
        })
        .collect();
    let distinct: BTreeSet<_> = pids.iter().collect();
    assert_eq!(distinct.len(), pids.len(), "one row per pid: {rows:?}");
    let last_row = lines.iter().position(|l| *l == *rows.last().unwrap());
    let axis = lines[last_row.unwrap() + 1].trim();
    // Milliseconds, or microseconds for a run shorter than 10 ms.
    assert!(
        ["ms", "µs"]
            .iter()
            .any(|unit| axis.starts_with(&format!("0 {unit} "))
                && axis.ends_with(&format!(" {unit}"))),
        "axis: {axis:?}"
    );
    pids
}

/// `(task digit, pid)` for every cell drawn in a timeline: which row shows which task.
fn drawn(lines: &[&str]) -> BTreeSet<(usize, u32)> {
    let mut drawn = BTreeSet::new();
    for row in lines
        .iter()
        .filter(|l| l.starts_with("pid ") && l.ends_with('|'))
    {
        let (label, cells) = row.split_once(" |").unwrap();
        let pid: u32 = label.trim_start_matches("pid ").trim().parse().unwrap();
        for digit in cells.chars().filter_map(|c| c.to_digit(10)) {
            drawn.insert((digit as usize, pid));
        }
    }
    drawn
}

/// The pool's pids, from "A pool of N worker processes (pids a, b, c), ...".
fn pool_pids(stdout: &str) -> BTreeSet<u32> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("A pool of "))
        .expect("the pool line");
    let pids = line
        .split("(pids ")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    pids.split(", ").map(|p| p.parse().unwrap()).collect()
}

/// Each task exactly once, whatever the order the results came in.
fn every_task_once(ran: &[(usize, u32)], tasks: usize) {
    let mut seen: Vec<usize> = ran.iter().map(|(task, _)| *task).collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..tasks).collect::<Vec<_>>());
}

/// `processes started` for the comparison row starting with `label`.
fn processes_started(stdout: &str, label: &str) -> String {
    let row = stdout
        .lines()
        .find(|l| l.trim_start().starts_with(label) && !l.contains(':'))
        .unwrap_or_else(|| panic!("a table row {label:?} in:\n{stdout}"));
    row.trim_start()[label.len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn default_run_shows_every_section_on_the_same_workers() {
    let stdout = run(&[], 0);
    assert!(stdout.starts_with("Question 4: what is a multiprocessing pool? Why is it used?\n"));
    assert!(stdout.contains(
        "Each task sleeps for its length, in ms: 60 160 40 20 100 40 140 20 80 40 (700 ms in all)."
    ));
    assert_eq!(
        titles(&stdout),
        [
            "pool.apply",
            "pool.apply_async",
            "pool.map",
            "pool.imap",
            "compare"
        ]
    );
    let pids = pool_pids(&stdout);
    assert_eq!(pids.len(), 3);
    for name in ["pool.apply", "pool.apply_async", "pool.map", "pool.imap"] {
        let lines = section(&stdout, name);
        let ran = ran(&lines);
        every_task_once(&ran, 10);
        // Reuse: ten tasks, and never a process other than the pool's three.
        assert!(ran.iter().all(|(_, pid)| pids.contains(pid)), "{name}");
        let rows = timeline(&lines);
        assert!(!rows.is_empty() && rows.iter().all(|pid| pids.contains(pid)));
        // The timeline numbers each task as the lines do: a digit is drawn only in the row of
        // the process that ran that task (ten tasks, so a digit is a task number).
        for (task, pid) in drawn(&lines) {
            assert!(
                ran.contains(&(task, pid)),
                "{name}: task {task} drawn on pid {pid}"
            );
        }
        assert!(
            lines.iter().any(|l| l.starts_with("10 tasks on ")),
            "{name}"
        );
    }
    assert!(
        section(&stdout, "pool.apply")
            .contains(&"apply waits for its result, so only one worker is busy at a time.")
    );
    assert!(
        section(&stdout, "pool.imap")
            .iter()
            .any(|l| l.contains("--unordered"))
    );

    let compare = section(&stdout, "compare");
    assert_eq!(
        processes_started(&stdout, "pool of 3 worker processes"),
        "3"
    );
    assert_eq!(processes_started(&stdout, "one new process per task"), "10");
    assert_eq!(processes_started(&stdout, "pool of 3 threads"), "0");
    // Two timelines: the new pool's (three rows) and one row per one-task process.
    let per_task_at = compare
        .iter()
        .position(|l| l.starts_with("one new process per task, 3 at a time: "))
        .expect("the one-process-per-task run");
    assert!(timeline(&compare[..per_task_at]).len() <= 3);
    let per_task = timeline(&compare[per_task_at..]);
    assert!((4..=10).contains(&per_task.len()), "{per_task:?}");
    assert!(
        compare
            .iter()
            .any(|l| l.starts_with("A process started for one task cost "))
    );
}

#[test]
fn only_runs_the_sections_named_in_their_usual_order() {
    let stdout = run(
        &["--only", "imap,apply", "--tasks", "3", "--unit-ms", "1"],
        0,
    );
    assert_eq!(titles(&stdout), ["pool.apply", "pool.imap"]);
    let stdout = run(
        &["--only", "apply_async", "--tasks", "3", "--unit-ms", "1"],
        0,
    );
    assert_eq!(titles(&stdout), ["pool.apply_async"]);
    every_task_once(&ran(&section(&stdout, "pool.apply_async")), 3);
}

#[test]
fn compare_alone_starts_no_shared_pool() {
    let stdout = run(
        &[
            "--only",
            "compare",
            "--tasks",
            "4",
            "--workers",
            "2",
            "--unit-ms",
            "0",
        ],
        0,
    );
    assert_eq!(titles(&stdout), ["compare"]);
    assert!(!stdout.contains("A pool of "));
    assert!(stdout.contains("Each task sleeps for its length, in ms: 0 0 0 0 (0 ms in all)."));
    assert_eq!(
        processes_started(&stdout, "pool of 2 worker processes"),
        "2"
    );
    assert_eq!(processes_started(&stdout, "one new process per task"), "4");
    assert_eq!(processes_started(&stdout, "pool of 2 threads"), "0");
}

#[test]
fn tasks_and_workers_set_the_plan() {
    let stdout = run(
        &[
            "--tasks",
            "12",
            "--workers",
            "2",
            "--unit-ms",
            "1",
            "--only",
            "map",
        ],
        0,
    );
    assert!(stdout.contains("A pool of 2 worker processes (pids "));
    // The pattern of ten lengths starts again at task 10.
    assert!(stdout.contains("in ms: 3 8 2 1 5 2 7 1 4 2 3 8 (46 ms in all)."));
    let lines = section(&stdout, "pool.map");
    every_task_once(&ran(&lines), 12);
    assert!(timeline(&lines).len() <= 2);
}

#[test]
fn one_worker_runs_every_task() {
    let stdout = run(
        &[
            "--workers",
            "1",
            "--tasks",
            "5",
            "--unit-ms",
            "1",
            "--only",
            "apply,map",
        ],
        0,
    );
    let pids = pool_pids(&stdout);
    assert_eq!(pids.len(), 1);
    for name in ["pool.apply", "pool.map"] {
        let lines = section(&stdout, name);
        let ran = ran(&lines);
        every_task_once(&ran, 5);
        assert!(ran.iter().all(|(_, pid)| pids.contains(pid)));
        assert_eq!(timeline(&lines).len(), 1);
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("5 tasks on 1 worker process"))
        );
    }
}

#[test]
fn unordered_reports_every_task_once() {
    let stdout = run(&["--only", "imap", "--unordered", "--unit-ms", "1"], 0);
    assert_eq!(titles(&stdout), ["pool.imap_unordered"]);
    let lines = section(&stdout, "pool.imap_unordered");
    every_task_once(&ran(&lines), 10);
    assert!(!lines.iter().any(|l| l.contains("--unordered")));
}

#[test]
fn chunksize_applies_to_map_and_imap() {
    let stdout = run(
        &["--only", "map,imap", "--chunksize", "4", "--unit-ms", "1"],
        0,
    );
    for name in ["pool.map", "pool.imap"] {
        let lines = section(&stdout, name);
        let ran = ran(&lines);
        every_task_once(&ran, 10);
        // A chunk is one message to one worker, so its tasks all ran in one process. (Which
        // worker took which chunk depends on timing, and is not checked.)
        for chunk in [0..4, 4..8, 8..10] {
            let pids: BTreeSet<u32> = ran
                .iter()
                .filter(|(task, _)| chunk.contains(task))
                .map(|(_, pid)| *pid)
                .collect();
            assert_eq!(
                pids.len(),
                1,
                "{name}: tasks {chunk:?} ran on pids {pids:?}"
            );
        }
        timeline(&lines);
    }
}

#[test]
fn spin_busy_waits_instead_of_sleeping() {
    let stdout = run(
        &[
            "--spin",
            "--unit-ms",
            "1",
            "--tasks",
            "4",
            "--only",
            "async",
        ],
        0,
    );
    assert!(stdout.contains("Each task busy-waits for its length, in ms: 3 8 2 1 (14 ms in all)."));
    every_task_once(&ran(&section(&stdout, "pool.apply_async")), 4);
}

#[test]
fn a_crashing_task_fails_alone_and_the_pool_goes_on() {
    let stdout = run(&["--crash", "2", "--tasks", "5", "--unit-ms", "2"], 1);
    assert!(stdout.contains("Task 2 kills its own worker process halfway through (--crash)."));
    let died = |line: &str| {
        line.contains("task 2 ( 4 ms) failed: worker process ")
            && line.ends_with(" died: killed by signal 9 (SIGKILL)")
    };
    for name in ["pool.apply", "pool.apply_async", "pool.imap"] {
        let lines = section(&stdout, name);
        let ran = ran(&lines);
        let mut tasks: Vec<usize> = ran.iter().map(|(task, _)| *task).collect();
        tasks.sort_unstable();
        assert_eq!(tasks, [0, 1, 3, 4], "{name}: the other tasks still ran");
        assert_eq!(lines.iter().filter(|l| died(l)).count(), 1, "{name}");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("4 tasks on ") && l.contains("(1 failed)"))
        );
    }
    // map, as in Python, returns every result or the first error.
    let map = section(&stdout, "pool.map");
    assert!(ran(&map).is_empty());
    assert!(map.iter().any(|l| l.starts_with("map failed after ")
        && l.contains(" ms, on task 2: worker process ")
        && l.ends_with(" died: killed by signal 9 (SIGKILL)")));

    let compare = section(&stdout, "compare");
    assert_eq!(compare.iter().filter(|l| died(l)).count(), 2);
    assert_eq!(processes_started(&stdout, "one new process per task"), "5");
    let row = compare
        .iter()
        .find(|l| l.trim_start().starts_with("pool of 3 threads") && !l.contains(':'))
        .unwrap();
    assert!(row.ends_with("-   skipped"), "{row}");
    assert!(
        compare
            .iter()
            .any(|l| l.starts_with("pool of 3 threads: skipped"))
    );
}

#[test]
fn help_lists_the_options_and_the_exit_codes() {
    cargo_bin_cmd!("q4_pool_explained")
        .arg("--help")
        .assert()
        .success()
        .stderr("")
        .stdout(
            predicate::str::contains("Question 4")
                .and(predicate::str::contains("--workers <N>"))
                .and(predicate::str::contains("--tasks <M>"))
                .and(predicate::str::contains("--unit-ms <MS>"))
                .and(predicate::str::contains("--spin"))
                .and(predicate::str::contains("--only <SECTION>"))
                .and(predicate::str::contains("--chunksize <N>"))
                .and(predicate::str::contains("--unordered"))
                .and(predicate::str::contains("--crash <TASK>"))
                .and(predicate::str::ends_with(format!("{EXIT_CODES}\n"))),
        );
    cargo_bin_cmd!("q4_pool_explained")
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("q4_pool_explained "));
}

#[test]
fn bad_input_is_a_one_line_usage_error() {
    for args in [
        &["--workers", "0"][..],
        &["--workers", "x"],
        &["--workers", "-2"],
        &["--tasks", "0"],
        &["--tasks", "70000"],
        &["--unit-ms", "-1"],
        &["--unit-ms", "10001"],
        &["--unit-ms", "1.5"],
        &["--only", "bogus"],
        &["--only", "map,"],
        &["--only"],
        &["--chunksize", "0"],
        &["--chunksize", "1000001"],
        &["--chunksize", "3000000000"],
        &["--workers", "257"],
        &["--workers", "60000"],
        &["--crash", "x"],
        &["--crash", "10"],
        &["--tasks", "3", "--crash", "3"],
        &["--spin=yes"],
        &["extra"],
        &["--nope"],
    ] {
        cargo_bin_cmd!("q4_pool_explained")
            .args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::function(support::cli::is_usage_error));
    }
    // Values the pool would refuse at run time, or that would start a process per unit, are
    // refused by the command line, before any worker starts.
    cargo_bin_cmd!("q4_pool_explained")
        .args(["--chunksize", "3000000000"])
        .assert()
        .code(2)
        .stderr(
            "error: invalid value '3000000000' for '--chunksize <N>': 3000000000 is not in \
             1..=1000000 (see --help)\n",
        );
    cargo_bin_cmd!("q4_pool_explained")
        .args(["--workers", "60000"])
        .assert()
        .code(2)
        .stderr(
            "error: invalid value '60000' for '--workers <N>': 60000 is not in 1..=256 \
             (see --help)\n",
        );
    cargo_bin_cmd!("q4_pool_explained")
        .args(["--tasks", "3", "--crash", "3"])
        .assert()
        .code(2)
        .stderr(
            "error: invalid value '3' for '--crash <TASK>': the 3 tasks are numbered 0 to 2 \
             (see --help)\n",
        );
}
