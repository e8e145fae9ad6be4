//! `q5_pool` as a user runs it: its output, line by line, and its exit codes.

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;

/// The reference output of answer sheet 000, as Python printed it.
const REFERENCE: &str = "\
Gamma(0.5) = 1.7724538509055159
Gamma(1) = 1.0
Gamma(2) = 1.0
Gamma(3) = 2.0
Gamma(4) = 6.0
Gamma(5) = 24.0
Gamma(6) = 120.0
Gamma(7) = 720.0
Gamma(8) = 5040.0
Gamma(9) = 40320.0
Gamma(10) = 362880.0
";

#[test]
fn default_run_prints_the_reference_table() {
    cargo_bin_cmd!("q5_pool")
        .assert()
        .success()
        .stdout(REFERENCE)
        .stderr("");
}

#[test]
fn threads_print_the_same_table() {
    cargo_bin_cmd!("q5_pool")
        .arg("--threads")
        .assert()
        .success()
        .stdout(REFERENCE);
}

#[test]
fn any_worker_count_prints_the_same_table() {
    for workers in ["1", "2", "7"] {
        cargo_bin_cmd!("q5_pool")
            .args(["--workers", workers])
            .assert()
            .success()
            .stdout(REFERENCE);
    }
}

#[test]
fn own_values_replace_the_default_list() {
    // Expected lines from CPython 3.11: print(f"Gamma({x}) = {math.gamma(x)}").
    let expected = "\
Gamma(2.5) = 1.3293403881791372
Gamma(7) = 720.0
Gamma(170.5) = 5.56209241456e+305
Gamma(171) = 7.257415615307998e+306
Gamma(-0.5) = -3.544907701811032
Gamma(1.0) = 1.0
Gamma(0.001) = 999.4237724845954
";
    let args = ["2.5", "7", "170.5", "171", "-0.5", "1.0", "0.001"];
    cargo_bin_cmd!("q5_pool")
        .args(args)
        .assert()
        .success()
        .stdout(expected);
    cargo_bin_cmd!("q5_pool")
        .arg("--threads")
        .args(args)
        .assert()
        .success()
        .stdout(expected);
}

#[test]
fn poles_and_overflows_are_reported_and_the_rest_still_prints() {
    let expected = "\
Gamma(3) = 2.0
Gamma(0): math domain error
Gamma(-2): math domain error
Gamma(172): math range error
Gamma(-inf): math domain error
Gamma(4) = 6.0
";
    for mode in [None, Some("--threads")] {
        let mut cmd = cargo_bin_cmd!("q5_pool");
        cmd.args(mode)
            .args(["--", "3", "0", "-2", "172", "-inf", "4"]);
        cmd.assert().code(1).stdout(expected);
    }
}

#[test]
fn a_value_that_is_not_a_number_is_a_usage_error() {
    cargo_bin_cmd!("q5_pool")
        .args(["1", "abc"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::starts_with("error: invalid value 'abc'")
                .and(predicate::str::ends_with("(see --help)\n")),
        )
        .stderr(predicate::function(|s: &str| s.lines().count() == 1));
}

#[test]
fn bad_options_are_usage_errors() {
    for args in [
        &["--workers", "0"][..],
        &["--workers", "x"],
        &["--work-ms", "-1"],
        &["--nope"],
        &["square", "1.5"],
    ] {
        cargo_bin_cmd!("q5_pool")
            .args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::function(|s: &str| {
                s.lines().count() == 1 && s.starts_with("error: ")
            }));
    }
}

#[test]
fn square_reproduces_the_second_answer_sheet() {
    let expected = "Original numbers: [1, 2, 3, 4, 5]\nSquared numbers: [1, 4, 9, 16, 25]\n";
    cargo_bin_cmd!("q5_pool")
        .arg("square")
        .assert()
        .success()
        .stdout(expected);
    cargo_bin_cmd!("q5_pool")
        .args(["square", "--threads"])
        .assert()
        .success()
        .stdout(expected);
}

#[test]
fn square_takes_numbers_and_never_overflows() {
    cargo_bin_cmd!("q5_pool")
        .args(["square", "-3", "12", "9223372036854775807"])
        .assert()
        .success()
        .stdout("Original numbers: [-3, 12, 9223372036854775807]\nSquared numbers: [9, 144, 85070591730234615847396907784232501249]\n");
}

#[test]
fn work_ms_slows_tasks_but_not_the_answer() {
    cargo_bin_cmd!("q5_pool")
        .args(["--work-ms", "20", "--workers", "2"])
        .assert()
        .success()
        .stdout(REFERENCE);
}

#[test]
fn help_documents_the_exit_codes() {
    cargo_bin_cmd!("q5_pool")
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Exit codes: 0 success, 1 some task or value failed, 2 usage error.",
        ));
}
