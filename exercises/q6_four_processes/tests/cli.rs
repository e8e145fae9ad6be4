//! `q6_four_processes` as a user runs it: its output and its exit codes.
//!
//! The lines are printed by the child processes themselves, so their order changes from run to
//! run: every test parses the lines and compares them as sets, never by position.

use std::collections::BTreeSet;
use std::io::Read;
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;

/// Long enough for 100 processes on a busy machine; short enough that a hang fails.
const LIMIT: Duration = Duration::from_secs(120);

fn q6() -> Command {
    let mut cmd = cargo_bin_cmd!("q6_four_processes");
    cmd.timeout(LIMIT);
    cmd
}

/// Runs `q6` with `args`, expects success and an empty stderr, returns stdout.
fn run_ok(args: &[&str]) -> String {
    let output = q6()
        .args(args)
        .assert()
        .success()
        .stderr("")
        .get_output()
        .clone();
    String::from_utf8(output.stdout).expect("stdout is UTF-8")
}

/// One line of the default program, taken apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct RandomLine {
    number: usize,
    pid: u32,
    random: u8,
}

/// Parses `<kind> number 0 (pid 4242), random number generated : 93`.
fn parse_random(kind: &str, line: &str) -> RandomLine {
    let parse = || -> Option<RandomLine> {
        let rest = line.strip_prefix(kind)?.strip_prefix(" number ")?;
        let (number, rest) = rest.split_once(" (pid ")?;
        let (pid, random) = rest.split_once("), random number generated : ")?;
        Some(RandomLine {
            number: number.parse().ok()?,
            pid: pid.parse().ok()?,
            random: random.parse().ok()?,
        })
    };
    parse().unwrap_or_else(|| panic!("not a {kind} line: {line:?}"))
}

/// Checks the lines of a run of `count` processes (or threads) and returns them sorted by number.
fn check_random_lines(kind: &str, lines: &[&str], count: usize) -> Vec<RandomLine> {
    let mut parsed: Vec<RandomLine> = lines.iter().map(|l| parse_random(kind, l)).collect();
    parsed.sort();
    let numbers: Vec<usize> = parsed.iter().map(|l| l.number).collect();
    assert_eq!(numbers, (0..count).collect::<Vec<_>>(), "{lines:#?}");
    let randoms: BTreeSet<u8> = parsed.iter().map(|l| l.random).collect();
    assert_eq!(randoms.len(), count, "a number printed twice: {lines:#?}");
    assert!(randoms.iter().all(|r| (1..=100).contains(r)), "{lines:#?}");
    parsed
}

fn distinct_pids(lines: &[RandomLine]) -> usize {
    lines.iter().map(|l| l.pid).collect::<BTreeSet<_>>().len()
}

#[test]
fn default_run_is_four_processes_with_four_different_numbers() {
    let stdout = run_ok(&[]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    let parsed = check_random_lines("Process", &lines, 4);
    assert_eq!(
        distinct_pids(&parsed),
        4,
        "four processes, four pids: {stdout}"
    );
}

#[test]
fn the_lines_come_from_the_children_not_the_parent() {
    // Started by hand to learn the parent's pid, with the same bound on the wait as the others.
    let mut parent = StdCommand::new(env!("CARGO_BIN_EXE_q6_four_processes"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let parent_pid = parent.id();
    let start = Instant::now();
    while parent.try_wait().expect("waitpid").is_none() {
        if start.elapsed() > LIMIT {
            let _ = parent.kill();
            panic!("q6_four_processes did not finish within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut stdout = String::new();
    parent
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(parent.wait().unwrap().success());
    let lines: Vec<&str> = stdout.lines().collect();
    let parsed = check_random_lines("Process", &lines, 4);
    assert!(
        parsed.iter().all(|l| l.pid != parent_pid),
        "parent {parent_pid} printed a line itself: {stdout}"
    );
}

#[test]
fn a_seed_repeats_the_numbers() {
    // Pids differ between runs; the numbers each process gets do not.
    let draw = |seed: &str| -> Vec<(usize, u8)> {
        let stdout = run_ok(&["--seed", seed]);
        let lines: Vec<&str> = stdout.lines().collect();
        check_random_lines("Process", &lines, 4)
            .iter()
            .map(|l| (l.number, l.random))
            .collect()
    };
    let first = draw("42");
    assert_eq!(draw("42"), first);
    assert_ne!(draw("43"), first);
}

#[test]
fn processes_sets_how_many() {
    let stdout = run_ok(&["--processes", "1", "--seed", "1"]);
    let lines: Vec<&str> = stdout.lines().collect();
    check_random_lines("Process", &lines, 1);

    // All 100 numbers of 1..=100, one per process: the most the option allows.
    let stdout = run_ok(&["--processes", "100"]);
    let lines: Vec<&str> = stdout.lines().collect();
    let parsed = check_random_lines("Process", &lines, 100);
    assert_eq!(distinct_pids(&parsed), 100);
}

#[test]
fn numbers_reproduces_the_second_answer_sheet() {
    let stdout = run_ok(&["--numbers"]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    // The parent's line comes last: it is printed after every child has been joined.
    assert_eq!(lines[4], "All processes have finished.");
    let mut numbers = BTreeSet::new();
    let mut pids = BTreeSet::new();
    for line in &lines[..4] {
        let (pid, number) = line
            .strip_prefix("Process ID: ")
            .and_then(|rest| rest.split_once(", Number: "))
            .unwrap_or_else(|| panic!("not a child's line: {line:?}"));
        pids.insert(pid.parse::<u32>().unwrap());
        numbers.insert(number.parse::<u32>().unwrap());
    }
    assert_eq!(numbers, (1..=4).collect());
    assert_eq!(pids.len(), 4, "{stdout}");
}

#[test]
fn numbers_follows_processes() {
    let stdout = run_ok(&["--numbers", "--processes", "6"]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 7, "{stdout}");
    assert_eq!(lines[6], "All processes have finished.");
    let numbers: BTreeSet<u32> = lines[..6]
        .iter()
        .map(|line| line.rsplit_once(", Number: ").unwrap().1.parse().unwrap())
        .collect();
    assert_eq!(numbers, (1..=6).collect());
}

#[test]
fn threads_share_one_pid() {
    let stdout = run_ok(&["--threads", "--seed", "42"]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    let parsed = check_random_lines("Thread", &lines[..4], 4);
    let pid = parsed[0].pid;
    assert_eq!(distinct_pids(&parsed), 1, "{stdout}");
    assert_eq!(
        lines[4],
        format!("All 4 threads ran inside this one process (pid {pid}).")
    );

    // Same seed, same numbers, whether processes or threads print them.
    let processes = run_ok(&["--seed", "42"]);
    let processes: Vec<&str> = processes.lines().collect();
    let by_process: Vec<(usize, u8)> = check_random_lines("Process", &processes, 4)
        .iter()
        .map(|l| (l.number, l.random))
        .collect();
    let by_thread: Vec<(usize, u8)> = parsed.iter().map(|l| (l.number, l.random)).collect();
    assert_eq!(by_thread, by_process);
}

#[test]
fn threads_with_numbers() {
    let stdout = run_ok(&["--threads", "--numbers"]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert_eq!(lines[4], "All threads have finished.");
    let pids: BTreeSet<&str> = lines[..4]
        .iter()
        .map(|line| {
            assert!(line.ends_with(" (from a thread)"), "{line}");
            line.split(',').next().unwrap()
        })
        .collect();
    assert_eq!(pids.len(), 1, "{stdout}");
}

#[test]
fn bad_options_are_one_line_usage_errors() {
    for args in [
        &["--processes", "0"][..],
        &["--processes", "101"],
        &["--processes", "-1"],
        &["--processes", "four"],
        &["--seed", "-1"],
        &["--seed", "x"],
        &["--numbers", "--seed", "1"],
        &["--nope"],
        &["extra"],
    ] {
        q6().args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::function(support::cli::is_usage_error));
    }
}

#[test]
fn help_documents_the_options_and_exit_codes() {
    q6().arg("--help").assert().success().stdout(
        predicate::str::contains("--processes <N>")
            .and(predicate::str::contains("--seed <SEED>"))
            .and(predicate::str::contains("--numbers"))
            .and(predicate::str::contains("--threads"))
            .and(predicate::str::ends_with(format!(
                "{}\n",
                support::cli::EXIT_CODES_HELP
            ))),
    );
}
