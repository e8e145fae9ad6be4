//! `q2_processes_vs_threads` as a user runs it: what each part reports, and the exit codes.
//!
//! Timings are never asserted (they belong to benchmarks), only that each timed row is there.
//! Children print nothing on stdout, so its order is fixed; the child that panics on purpose
//! reports its panic on stderr, as a Python child prints its traceback.

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;

/// The program under test.
fn q2() -> assert_cmd::Command {
    cargo_bin_cmd!("q2_processes_vs_threads")
}

/// The memory table: every value in it comes from the run, and is the same in every run.
const MEMORY_TABLE: &str = "\
worker         its counter                           worker saw  worker set  parent reads  shared
thread         Arc<AtomicU64>                                42          43            43  yes
thread         static AtomicU64                              42          43            43  yes
fork() child   its copy of the Arc<AtomicU64>                42          43            42  no
fork() child   its copy of the static                        42          43            42  no
Process child  the argument: a copy of the parent's          42          43            42  no
Process child  static AtomicU64 as it was at init             0           1            42  no
";

/// The fault table: how each crash ended, Python's exit code, and what else died.
const FAULT_TABLE: &str = "\
crash                  in                               how it ended                                         exitcode  what else died
panic!()               a child process                  exit code 1: join() returned the panic                      1  nothing
std::process::abort()  a child process                  killed by signal 6 (SIGABRT)                               -6  nothing
raise(SIGSEGV)         a child process                  killed by signal 11 (SIGSEGV)                             -11  nothing
panic!()               a thread of this process         join() returned Err(\"deliberate panic in a thread\")         -  nothing
std::process::abort()  a thread of a sacrificial child  killed by signal 6 (SIGABRT)                               -6  its whole process, every thread
raise(SIGSEGV)         a thread of a sacrificial child  killed by signal 11 (SIGSEGV)                             -11  its whole process, every thread
";

/// Rows of the cost table, each followed by its median and the rest of its timings.
const COST_ROWS: [&str; 4] = [
    "thread: std::thread::spawn + join ",
    "child process: fork() + waitpid ",
    "child process: common::Process start + join, forkserver ",
    "child process: common::Process start + join, spawn ",
];

/// Rows of the communication table.
const IPC_ROWS: [&str; 8] = [
    "pipe, threads: std::sync::mpsc channels ",
    "pipe, processes: std::io::pipe, raw bytes ",
    "pipe, processes: common::Pipe, encoded ",
    "queue, threads: crossbeam_channel::bounded ",
    "queue, processes: common::Queue ",
    "shared memory, threads: atomics, Mutex<Vec<u8>> ",
    "shared memory, processes: SharedAtomic, Array ",
    "pool, processes: Pool::apply, 1 warm worker ",
];

/// Rows of the sharing table, each followed by what the parent read (then timings).
const SHARING_ROWS: [(&str, &str); 7] = [
    ("4 threads    Mutex<u64>, locked for each +1 ", "4000"),
    ("4 threads    AtomicU64, fetch_add ", "4000"),
    ("4 threads    a sum per thread, added up at join ", "4000"),
    (
        "4 threads    a channel to the one thread that owns it ",
        "4000",
    ),
    (
        "4 processes  a static AtomicU64: each child its own copy ",
        "0",
    ),
    (
        "4 processes  SharedAtomic<AtomicU64>: shared memory ",
        "4000",
    ),
    (
        "4 processes  Value<u64>: shared memory and a robust lock ",
        "4000",
    ),
];

const HEADINGS: [&str; 5] = [
    "== memory ==",
    "== sharing ==",
    "== cost ==",
    "== faults ==",
    "== ipc ==",
];

/// Whether `stderr` holds nothing but the report the panicking child of the faults part prints
/// about itself (as Python's child prints its traceback), with or without a backtrace.
fn only_the_childs_panic(stderr: &str) -> bool {
    let panics = stderr.matches("panicked at").count();
    let reported = panics == 0
        || (panics == 1
            && stderr.contains("src/faults.rs:")
            && stderr.contains(q2_processes_vs_threads::faults::CHILD_PANIC));
    reported
        && stderr.lines().all(|line| {
            line.is_empty()
                || line.starts_with("thread '") && line.contains("panicked at")
                || line == q2_processes_vs_threads::faults::CHILD_PANIC
                || line.starts_with("note: ")
                || line.starts_with("stack backtrace:")
                || line.starts_with(' ')
        })
}

fn stdout_of(args: &[&str]) -> String {
    let output = q2()
        .args(args)
        .assert()
        .success()
        .stderr(predicate::function(only_the_childs_panic))
        .get_output()
        .stdout
        .clone();
    String::from_utf8(output).expect("the output is UTF-8")
}

fn headings_in(stdout: &str) -> Vec<&str> {
    stdout.lines().filter(|l| l.starts_with("== ")).collect()
}

/// How many "Caution:" lines the readings must carry: one per timed part when the load average
/// printed on the "Machine:" line is above the number of cores printed there, none otherwise.
/// (The decision is checked against what the run itself printed, never against a timing.)
fn check_cautions(stdout: &str, timed_parts: usize) {
    let machine = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Machine: "))
        .expect("the machine line");
    let cores: f64 = machine.split(' ').next().unwrap().parse().unwrap();
    let load: Option<f64> = machine
        .split_once("(load average ")
        .map(|(_, rest)| rest.split(')').next().unwrap().parse().unwrap());
    let cautions: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("Caution: "))
        .collect();
    match load {
        Some(load) if load > cores => {
            assert_eq!(cautions.len(), timed_parts, "{stdout}");
            let expected = format!("Caution: the load average ({load:.2}) was above the ");
            assert!(
                cautions.iter().all(|c| c.starts_with(&expected)),
                "{stdout}"
            );
        }
        _ => assert!(cautions.is_empty(), "{stdout}"),
    }
    // Each caution comes right under a reading.
    let lines: Vec<&str> = stdout.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("Caution: ") {
            assert!(lines[i - 1].starts_with("Reading: "), "{stdout}");
        }
    }
}

#[test]
fn default_run_shows_all_five_parts_and_succeeds() {
    let out = stdout_of(&[]);
    assert!(out.starts_with(
        "Question 2: what are the differences between multiprocessing and multithreading?\n\
         Machine: "
    ));
    assert_eq!(headings_in(&out), HEADINGS);
    assert!(out.contains(MEMORY_TABLE), "{out}");
    assert!(out.contains(FAULT_TABLE), "{out}");
    for row in COST_ROWS.iter().chain(&IPC_ROWS) {
        assert_eq!(out.matches(row).count(), 1, "{row} in {out}");
    }
    assert!(out.contains("; 50 runs of each,"), "{out}");
    assert!(out.contains("; 2000 round trips each,"), "{out}");
    assert!(out.contains("Then fetch a block of 64 MiB"), "{out}");
    assert!(out.contains("100000 times: 400000 in all."), "{out}");
    assert!(!out.contains("UNEXPECTED"), "{out}");
    check_cautions(&out, 3);
}

#[test]
fn memory_the_parent_sees_a_threads_change_but_not_a_childs() {
    let out = stdout_of(&["--only", "memory"]);
    assert_eq!(headings_in(&out), ["== memory =="]);
    assert!(out.contains(MEMORY_TABLE), "{out}");
    let reading = out.lines().find(|l| l.starts_with("Reading: ")).unwrap();
    assert!(
        reading.starts_with(
            "Reading: the parent sees a thread's change (43) but not a child's (42): a fork() \
             child changed its own copy at the same address, 0x"
        ),
        "{reading}"
    );
    assert!(reading.ends_with(
        "a Process child has the program as it was at init, before the 42: its counter began at 0."
    ));
}

#[test]
fn faults_report_every_exit_code_and_the_parent_survives() {
    let out = stdout_of(&["--only", "faults"]);
    assert_eq!(headings_in(&out), ["== faults =="]);
    assert!(out.contains(FAULT_TABLE), "{out}");
    assert!(
        out.contains("outlived all 5 crashed children and the panicking thread"),
        "{out}"
    );
    assert!(
        out.contains("(on linux, SIGABRT is 6 and SIGSEGV 11)"),
        "{out}"
    );
}

#[test]
fn cost_times_each_kind_of_worker() {
    let out = stdout_of(&["--only", "cost", "--runs", "3"]);
    assert_eq!(headings_in(&out), ["== cost =="]);
    assert!(
        out.contains("; 3 runs of each, back to back, after 3 warm-up runs."),
        "{out}"
    );
    for row in COST_ROWS {
        assert_eq!(out.matches(row).count(), 1, "{row} in {out}");
    }
    assert!(out.contains("Reading: on "), "{out}");
    check_cautions(&out, 1);
}

#[test]
fn ipc_times_each_channel() {
    let out = stdout_of(&["--only", "ipc", "--round-trips", "20", "--bulk-mib", "2"]);
    assert_eq!(headings_in(&out), ["== ipc =="]);
    assert!(
        out.contains("; 20 round trips each, back to back, after 50 warm-up ones."),
        "{out}"
    );
    for row in IPC_ROWS {
        assert_eq!(out.matches(row).count(), 1, "{row} in {out}");
    }
    assert!(
        out.contains("Then fetch a block of 2 MiB the other side holds, 5 times each"),
        "{out}"
    );
    let reading = out.lines().find(|l| l.starts_with("Reading: ")).unwrap();
    assert!(
        reading.starts_with("Reading: between processes, a round trip took "),
        "{reading}"
    );
    assert!(reading.contains(" 2 MiB took "), "{reading}");
    check_cautions(&out, 1);
}

#[test]
fn sharing_counts_right_with_every_fix_and_shows_what_processes_share() {
    let out = stdout_of(&["--only", "sharing", "--increments", "1000"]);
    assert_eq!(headings_in(&out), ["== sharing =="]);
    assert!(
        out.contains("4 workers each add 1 to one counter, 1000 times: 4000 in all."),
        "{out}"
    );
    for (row, parent_reads) in SHARING_ROWS {
        let line = out.lines().find(|l| l.starts_with(row));
        let line = line.unwrap_or_else(|| panic!("{row} in {out}"));
        let read = line[row.len()..].split_whitespace().next().unwrap();
        assert_eq!(read, parent_reads, "{line}");
    }
    let reading = out.lines().find(|l| l.starts_with("Reading: ")).unwrap();
    assert!(
        reading.starts_with("Reading: every fix counted all 4000; per +1 the atomic took "),
        "{reading}"
    );
    assert!(
        reading.contains(
            "Child processes each counted 1000 in their own static and the parent's stayed 0; \
             an atomic in shared memory counted all 4000 across processes at "
        ),
        "{reading}"
    );
    assert!(!out.contains("UNEXPECTED"), "{out}");
    check_cautions(&out, 1);
}

#[test]
fn only_takes_several_parts_once_each_in_order() {
    let out = stdout_of(&["--only", "faults,memory", "--only", "memory"]);
    assert_eq!(headings_in(&out), ["== memory ==", "== faults =="]);
}

#[test]
fn bad_input_is_a_one_line_usage_error() {
    for args in [
        &["--only", "nonsense"][..],
        &["--only"],
        &["--only", ""],
        &["--runs", "0"],
        &["--runs", "x"],
        &["--runs", "-1"],
        &["--round-trips", "0"],
        &["--round-trips", "1.5"],
        &["--increments", "0"],
        &["--bulk-mib", "0"],
        &["--bulk-mib", "2000"],
        &["--nope"],
        &["memory"],
    ] {
        q2().args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::function(support::cli::is_usage_error));
    }
}

#[test]
fn an_unknown_part_is_named_in_the_error() {
    q2().args(["--only", "nonsense"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: invalid value 'nonsense' for '--only <PART>'",
        ));
}

#[test]
fn help_lists_the_parts_and_the_exit_codes() {
    q2().arg("--help").assert().success().stderr("").stdout(
        predicate::str::contains("memory")
            .and(predicate::str::contains("sharing"))
            .and(predicate::str::contains("faults"))
            .and(predicate::str::contains("--increments <N>"))
            .and(predicate::str::contains("--bulk-mib <MIB>"))
            .and(predicate::str::contains("--round-trips <N>"))
            .and(predicate::str::ends_with(format!(
                "{}\n",
                support::cli::EXIT_CODES_HELP
            ))),
    );
}
