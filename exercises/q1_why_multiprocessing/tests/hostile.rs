//! `q1_why_multiprocessing` in a hostile environment, as an ordinary user makes one: output
//! into a pipe nobody reads (`| head`), onto a full disk, few processes allowed, odd sizes.

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use support::hostile;

const BIN: &str = env!("CARGO_BIN_EXE_q1_why_multiprocessing");

#[test]
fn output_that_cannot_be_written_follows_the_rules() {
    hostile::assert_output_rules(
        Path::new(BIN),
        "q1_why_multiprocessing",
        &["--size", "10k", "--workers", "2"],
    );
}

#[test]
fn few_processes_allowed_is_an_error_not_a_panic() {
    let mut cmd = Command::new(BIN);
    cmd.args(["--size", "10k", "--workers", "2"]);
    hostile::few_tasks(&mut cmd, 1);
    let (status, stderr) = hostile::run(&mut cmd).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "q1_why_multiprocessing: error: could not start a worker process: \
         Resource temporarily unavailable (os error 11)\n"
    );
}

#[test]
fn underscores_go_between_digits_only() {
    // Python's rule (PEP 515), which `5_000_000` in the help follows.
    for bad in ["1_000_", "1__000", "_1000", "1_k"] {
        cargo_bin_cmd!("q1_why_multiprocessing")
            .args(["--size", bad])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::starts_with(format!(
                "error: invalid value '{bad}' for '--size <POINTS>'"
            )))
            .stderr(predicate::function(support::cli::is_usage_error));
    }
}
