//! `q4_pool_explained` in a hostile environment, as an ordinary user makes one: output into a
//! pipe nobody reads (`| head`), onto a full disk, few processes allowed, typos.

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use support::hostile;

const BIN: &str = env!("CARGO_BIN_EXE_q4_pool_explained");

#[test]
fn output_that_cannot_be_written_follows_the_rules() {
    hostile::assert_output_rules(Path::new(BIN), "q4_pool_explained", &["--unit-ms", "0"]);
    let mut compare = Command::new(BIN);
    compare.args(["--only", "compare", "--unit-ms", "0"]);
    hostile::assert_one_line_on_a_full_disk(&mut compare, "q4_pool_explained");
}

#[test]
fn few_processes_allowed_is_an_error_not_a_panic() {
    // From nothing at all to enough for part of the work: wherever starting a thread or a
    // process fails, the program says so in one line (or reports the task), never panics.
    for tasks in 1..=12 {
        let mut cmd = Command::new(BIN);
        cmd.args([
            "--only",
            "compare",
            "--workers",
            "3",
            "--tasks",
            "4",
            "--unit-ms",
            "0",
        ]);
        hostile::few_tasks(&mut cmd, tasks);
        let (status, stderr) = hostile::run(&mut cmd).unwrap();
        assert!(!stderr.contains("panicked"), "{tasks} tasks: {stderr}");
        assert!(
            matches!(status.code(), Some(0 | 1)),
            "{tasks} tasks: {status}: {stderr}"
        );
        for line in stderr.lines() {
            assert!(
                line.starts_with("q4_pool_explained: error: could not start a ")
                    && line.ends_with("Resource temporarily unavailable (os error 11)"),
                "{tasks} tasks: {stderr}"
            );
        }
    }
}

#[test]
fn usage_errors_keep_clap_s_hints() {
    cargo_bin_cmd!("q4_pool_explained")
        .args(["--only", "foo"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "[possible values: apply, async, map, imap, compare]",
        ))
        .stderr(predicate::function(support::cli::is_usage_error));
    cargo_bin_cmd!("q4_pool_explained")
        .args(["--wrkers", "2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "tip: a similar argument exists: '--workers'",
        ))
        .stderr(predicate::function(support::cli::is_usage_error));
}
