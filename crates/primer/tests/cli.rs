//! The chapter's programs, run as a reader runs them.

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;

#[test]
fn join_reports_one_panic_and_let_underscore_hides_the_other() {
    cargo_bin_cmd!("panics")
        .assert()
        .success() // exit code 0, although two threads panicked
        .stdout(
            "join returned: Err(\"no such file: data.csv\")\n\
             saved 2 of 3 files, and main goes on\n",
        )
        .stderr(
            predicate::str::contains("no such file: data.csv").and(predicate::str::contains(
                "cannot save \"my notes.txt\": the name has a space",
            )),
        );
}

#[test]
fn workloads_print_one_line_each_in_this_build() {
    let out = cargo_bin_cmd!("workloads")
        .args(["--size", "1000", "--runs", "1"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| primer::timing::millis_of(l).map(|(name, _)| name))
        .collect();
    assert_eq!(names, ["collatz", "sort"], "{text}");
    assert!(
        text.contains("debug build: "),
        "tests run a debug build: {text}"
    );
}

#[test]
fn bad_arguments_are_usage_errors() {
    for args in [&["--size", "0"][..], &["--runs"], &["--fast"]] {
        for mut cmd in [
            cargo_bin_cmd!("workloads"),
            cargo_bin_cmd!("debug_vs_release"),
        ] {
            cmd.args(args)
                .assert()
                .code(2)
                .stdout("")
                .stderr(predicate::function(support::cli::is_usage_error));
        }
    }
    cargo_bin_cmd!("panics")
        .arg("--fast")
        .assert()
        .code(2)
        .stderr(predicate::function(support::cli::is_usage_error));
}

#[test]
fn debug_vs_release_runs_both_builds_and_compares_each_workload() {
    // Builds this package in release mode through cargo, as the reader's run does.
    let out = cargo_bin_cmd!("debug_vs_release")
        .args(["--size", "2000", "--runs", "1"])
        .timeout(std::time::Duration::from_secs(600))
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    for want in [
        "cargo run -p primer --bin workloads",
        "cargo run --release -p primer --bin workloads",
        "collatz  debug build: ",
        "sort     release build: ",
    ] {
        assert!(text.contains(want), "no {want:?} in:\n{text}");
    }
    let sentences: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("collatz: the ") || l.starts_with("sort: the "))
        .collect();
    assert_eq!(sentences.len(), 2, "{text}");
}
