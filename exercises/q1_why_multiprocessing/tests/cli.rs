//! `q1_why_multiprocessing` as a user runs it: its output and its exit codes. Times and
//! speedups depend on the machine and its load, so no test looks at them, only at the answers.

use std::time::Duration;

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;

/// The binary, with a bound on its run so a hang fails the test instead of blocking CI.
fn q1() -> Command {
    let mut cmd = cargo_bin_cmd!("q1_why_multiprocessing");
    cmd.timeout(Duration::from_secs(120));
    cmd
}

/// Runs `q1` with `args`, expects success and an empty stderr, returns stdout.
fn run_ok(args: &[&str]) -> String {
    let output = q1()
        .args(args)
        .assert()
        .success()
        .stderr("")
        .get_output()
        .clone();
    String::from_utf8(output.stdout).expect("stdout is UTF-8")
}

/// The "points inside" column of the row for `mode`.
fn inside(stdout: &str, mode: &str) -> String {
    let row = stdout
        .lines()
        .find(|line| line.split_whitespace().next() == Some(mode))
        .unwrap_or_else(|| panic!("no {mode} row in:\n{stdout}"));
    row.split_whitespace().last().unwrap().to_owned()
}

/// The line that starts with `prefix`.
fn line<'a>(stdout: &'a str, prefix: &str) -> &'a str {
    stdout
        .lines()
        .find(|line| line.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in:\n{stdout}"))
}

#[test]
fn default_run_times_three_modes_that_agree() {
    let stdout = run_ok(&[]);
    let job = line(&stdout, "Job: ");
    assert!(
        job.starts_with(
            "Job: estimate pi from 20,000,000 random points, cut into 64 pieces (seed "
        ),
        "{job}"
    );
    let cores = line(&stdout, "Cores found: ");
    let n: usize = cores["Cores found: ".len()..]
        .split('.')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{cores}"));
    // By default there is one worker per core.
    assert!(cores.ends_with(&format!(" Workers: {n} processes, then {n} threads.")));
    line(
        &stdout,
        "mode         workers   start-up      total  speedup   points inside",
    );
    let answer = inside(&stdout, "sequential");
    assert_eq!(inside(&stdout, "processes"), answer);
    assert_eq!(inside(&stdout, "threads"), answer);
    let agree = line(&stdout, "All three agree: ");
    assert!(
        agree.starts_with(&format!(
            "All three agree: {answer} of 20,000,000 points fell inside the quarter circle, so pi ~ 3.1"
        )),
        "{agree}"
    );
    assert!(line(&stdout, "Reading: ").len() > "Reading: ".len());
}

#[test]
fn a_seed_fixes_the_answer() {
    let stdout = run_ok(&["--size", "100000", "--seed", "1"]);
    line(
        &stdout,
        "Job: estimate pi from 100,000 random points, cut into 64 pieces (seed 1).",
    );
    // Pinned: the pieces' generators are named algorithms, so this holds across releases.
    line(
        &stdout,
        "All three agree: 78,718 of 100,000 points fell inside the quarter circle, \
         so pi ~ 3.148720 (off by 0.007127).",
    );
    for mode in ["sequential", "processes", "threads"] {
        assert_eq!(inside(&stdout, mode), "78,718");
    }
}

#[test]
fn the_number_of_workers_never_changes_the_answer() {
    let args = ["--size", "300k", "--seed", "9"];
    let one = run_ok(&[&args[..], &["--workers", "1"]].concat());
    let three = run_ok(&[&args[..], &["--workers", "3"]].concat());
    assert!(line(&one, "Cores found: ").ends_with(" Workers: 1 process, then 1 thread."));
    assert!(line(&three, "Cores found: ").ends_with(" Workers: 3 processes, then 3 threads."));
    assert_eq!(
        line(&one, "All three agree: "),
        line(&three, "All three agree: ")
    );
    // With one worker the reading does not depend on the timings.
    assert!(line(&one, "Reading: ").contains("nothing runs in parallel"));
}

#[test]
fn sizes_take_separators_and_suffixes() {
    let plain = run_ok(&["--size", "2000", "--seed", "5"]);
    for size in ["2_000", "2k", "2K"] {
        let other = run_ok(&["--size", size, "--seed", "5"]);
        assert_eq!(
            line(&plain, "All three agree: "),
            line(&other, "All three agree: ")
        );
    }
    // Fewer points than pieces: one piece per point.
    let tiny = run_ok(&["--size", "10", "--seed", "5"]);
    line(
        &tiny,
        "Job: estimate pi from 10 random points, cut into 10 pieces (seed 5).",
    );
    let one = run_ok(&["--size", "1", "--seed", "5"]);
    line(
        &one,
        "Job: estimate pi from 1 random point, cut into 1 piece (seed 5).",
    );
}

#[test]
fn bad_options_are_one_line_usage_errors() {
    for args in [
        &["--workers", "0"][..],
        &["--workers", "257"],
        &["--workers", "x"],
        &["--size", "0"],
        &["--size", "1.5M"],
        &["--size", "-3"],
        &["--size", ""],
        &["--size", "99999999999G"],
        &["--seed", "-1"],
        &["--seed", "x"],
        &["--seed", "18446744073709551616"],
        &["--nope"],
        &["extra"],
    ] {
        q1().args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::function(support::cli::is_usage_error));
    }
}

#[test]
fn a_bad_size_says_what_is_expected() {
    q1().args(["--size", "lots"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "expected a whole number of points, like 5000000, 5_000_000 or 5M",
        ));
    q1().args(["--size", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the job needs at least 1 point"));
}

#[test]
fn help_documents_the_options_and_exit_codes() {
    q1().arg("--help").assert().success().stdout(
        predicate::str::contains("--workers <N>")
            .and(predicate::str::contains("--size <POINTS>"))
            .and(predicate::str::contains("--seed <SEED>"))
            .and(predicate::str::ends_with(format!(
                "{}\n",
                support::cli::EXIT_CODES_HELP
            ))),
    );
}
