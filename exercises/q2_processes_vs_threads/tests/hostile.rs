//! `q2_processes_vs_threads` in a hostile environment, as an ordinary user makes one: output
//! into a pipe nobody reads (`| head`), onto a full disk, few processes allowed.

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use support::hostile;

const BIN: &str = env!("CARGO_BIN_EXE_q2_processes_vs_threads");

#[test]
fn output_that_cannot_be_written_follows_the_rules() {
    hostile::assert_output_rules(
        Path::new(BIN),
        "q2_processes_vs_threads",
        &["--only", "memory"],
    );
    for part in ["sharing", "cost", "faults", "ipc"] {
        let mut cmd = Command::new(BIN);
        cmd.args(["--only", part, "--runs", "1", "--round-trips", "1"]);
        cmd.args(["--increments", "10", "--bulk-mib", "1"]);
        hostile::assert_one_line_on_a_full_disk(&mut cmd, "q2_processes_vs_threads");
    }
}

#[test]
fn few_processes_allowed_is_an_error_not_a_panic() {
    // One task, the program itself: no thread, fork() or worker process can start.
    for part in ["memory", "sharing", "cost", "faults", "ipc"] {
        let mut cmd = Command::new(BIN);
        cmd.args(["--only", part, "--runs", "1", "--round-trips", "1"]);
        cmd.args(["--increments", "10", "--bulk-mib", "1"]);
        hostile::few_tasks(&mut cmd, 1);
        let (status, stderr) = hostile::run(&mut cmd).unwrap();
        assert_eq!(status.code(), Some(1), "{part}: {stderr}");
        assert!(
            stderr.starts_with(&format!("q2_processes_vs_threads: error: {part}: "))
                && stderr.ends_with("Resource temporarily unavailable (os error 11)\n")
                && stderr.lines().count() == 1,
            "{part}: {stderr}"
        );
    }
}

#[test]
fn one_run_is_one_run() {
    cargo_bin_cmd!("q2_processes_vs_threads")
        .args(["--only", "cost", "--runs", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("; 1 run of each, back to back,"));
    cargo_bin_cmd!("q2_processes_vs_threads")
        .args(["--only", "ipc", "--round-trips", "1", "--bulk-mib", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "; 1 round trip each, back to back,",
        ));
}

#[test]
fn an_unknown_part_lists_the_parts() {
    cargo_bin_cmd!("q2_processes_vs_threads")
        .args(["--only", "speed"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "[possible values: memory, sharing, cost, faults, ipc]",
        ))
        .stderr(predicate::function(support::cli::is_usage_error));
}
