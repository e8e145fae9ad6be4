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
        &["--workers", "257"],
        &["--workers", "60000"],
        &["square", "--workers", "257"],
        &["--threads", "--workers", "1000"],
        &["--work-ms", "-1"],
        &["--nope"],
        &["square", "1.5"],
    ] {
        cargo_bin_cmd!("q5_pool")
            .args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::function(support::cli::is_usage_error));
    }
}

#[test]
fn too_many_workers_is_refused_before_any_starts() {
    // A mistyped count must not start tens of thousands of processes: clap stops it at 256.
    cargo_bin_cmd!("q5_pool")
        .args(["--workers", "60000"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "error: invalid value '60000' for '--workers <N>': 60000 is not in 1..=256 \
             (see --help)\n",
        );
    // The cap itself is allowed (on threads: 256 processes would only slow the test down).
    cargo_bin_cmd!("q5_pool")
        .args(["--threads", "--workers", "256", "1"])
        .assert()
        .success()
        .stdout("Gamma(1) = 1.0\n");
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
        .stdout(predicate::str::contains(support::cli::EXIT_CODES_HELP));
}

/// Checks the `--trace` block that follows the results in `stdout`: a blank line, the heading,
/// one row per worker pid (distinct, at most `workers`), the time axis, and, if some workers
/// ran nothing, the two-line hint. Returns the number of rows. Which worker ran which value is
/// timing, so only the structure is checked.
fn trace_rows(stdout: &str, results: &str, workers: usize) -> usize {
    let rest = stdout
        .strip_prefix(results)
        .unwrap_or_else(|| panic!("the results come first:\n{stdout}"));
    let mut lines = rest.lines();
    assert_eq!(lines.next(), Some(""));
    assert_eq!(
        lines.next(),
        Some(
            "Which worker process ran each value, and when (a value is the last digit of its position):"
        )
    );
    let lines: Vec<&str> = lines.collect();
    let rows: Vec<&str> = lines
        .iter()
        .copied()
        .take_while(|l| l.starts_with("pid "))
        .collect();
    assert!((1..=workers).contains(&rows.len()), "{rest}");
    let mut pids = Vec::new();
    for row in &rows {
        let (label, cells) = row.split_once(" |").expect("`pid N |cells|`");
        let cells = cells.strip_suffix('|').expect("a row ends with |");
        assert_eq!(cells.len(), 60, "{row}");
        assert!(
            cells.chars().all(|c| c.is_ascii_digit() || c == ' '),
            "{row}"
        );
        pids.push(label["pid ".len()..].trim().parse::<u32>().expect("a pid"));
    }
    pids.sort_unstable();
    pids.dedup();
    assert_eq!(pids.len(), rows.len(), "one row per worker: {rest}");
    let axis = lines[rows.len()];
    // Milliseconds, or microseconds for a run shorter than 10 ms.
    let unit_axis = |unit: &str| {
        axis.trim_start().starts_with(&format!("0 {unit} ")) && axis.ends_with(&format!(" {unit}"))
    };
    assert!(unit_axis("ms") || unit_axis("µs"), "the axis: {axis:?}");
    let hint = &lines[rows.len() + 1..];
    if rows.len() < workers {
        assert_eq!(hint.len(), 2, "{rest}");
        assert!(hint[0].starts_with(&format!("Only {} of the {workers} workers", rows.len())));
        assert!(hint[1].ends_with("Try --work-ms 50."));
    } else {
        assert!(hint.is_empty(), "{rest}");
    }
    rows.len()
}

#[test]
fn trace_draws_a_row_per_worker_after_the_table() {
    let stdout = cargo_bin_cmd!("q5_pool")
        .arg("--trace")
        .assert()
        .success()
        .stderr("")
        .get_output()
        .stdout
        .clone();
    trace_rows(&String::from_utf8(stdout).unwrap(), REFERENCE, 4);
}

#[test]
fn trace_follows_the_worker_count() {
    for (workers, extra) in [(1, &[][..]), (2, &["--work-ms", "20"][..])] {
        let stdout = cargo_bin_cmd!("q5_pool")
            .args(["--trace", "--workers", &workers.to_string()])
            .args(extra)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let rows = trace_rows(&String::from_utf8(stdout).unwrap(), REFERENCE, workers);
        if workers == 1 {
            assert_eq!(rows, 1);
        }
    }
}

#[test]
fn trace_still_draws_when_values_fail() {
    let expected = "Gamma(3) = 2.0\nGamma(0): math domain error\nGamma(4) = 6.0\n";
    let stdout = cargo_bin_cmd!("q5_pool")
        .args(["--trace", "--", "3", "0", "4"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    trace_rows(&String::from_utf8(stdout).unwrap(), expected, 4);
}

#[test]
fn trace_with_threads_says_it_covers_processes_only() {
    cargo_bin_cmd!("q5_pool")
        .args(["--trace", "--threads"])
        .assert()
        .success()
        .stderr("")
        .stdout(
            predicate::str::starts_with(format!(
                "{REFERENCE}\nNo timeline: --trace covers worker processes only, and with \
                 --threads every\nvalue ran in this process (pid "
            ))
            .and(predicate::str::ends_with("), on 4 threads.\n")),
        );
}

#[test]
fn square_takes_trace_too() {
    let expected = "Original numbers: [1, 2, 3, 4, 5]\nSquared numbers: [1, 4, 9, 16, 25]\n";
    let stdout = cargo_bin_cmd!("q5_pool")
        .args(["square", "--trace"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    trace_rows(&String::from_utf8(stdout).unwrap(), expected, 3);
}

#[test]
fn trace_is_a_documented_flag() {
    cargo_bin_cmd!("q5_pool")
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("--trace"));
    cargo_bin_cmd!("q5_pool")
        .arg("--trace=yes")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::function(support::cli::is_usage_error));
}
