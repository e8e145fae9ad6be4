//! `q5_pool` in a hostile environment, as an ordinary user makes one: output into a pipe nobody
//! reads (`| head`), onto a full disk, few processes allowed, and odd but valid input.

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use support::hostile;

const BIN: &str = env!("CARGO_BIN_EXE_q5_pool");

fn q5(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    cmd
}

#[test]
fn output_that_cannot_be_written_follows_the_rules() {
    hostile::assert_output_rules(Path::new(BIN), "q5_pool", &[]);
    for args in [
        &["--threads"][..],
        &["square"],
        &["square", "--threads"],
        &["--trace"],
        &["help"],
        &["help", "square"],
    ] {
        hostile::assert_quiet_on_a_closed_pipe(&mut q5(args));
        hostile::assert_one_line_on_a_full_disk(&mut q5(args), "q5_pool");
    }
}

#[test]
fn few_processes_allowed_is_an_error_not_a_panic() {
    // One task: the program itself, so neither a worker nor a thread can start.
    for (args, what) in [
        (&[][..], "could not start a worker process: "),
        (&["--threads"], "could not start a thread: "),
        (&["square", "--threads"], "could not start a thread: "),
    ] {
        let mut cmd = q5(args);
        hostile::few_tasks(&mut cmd, 1);
        let (status, stderr) = hostile::run(&mut cmd).unwrap();
        assert_eq!(status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with(&format!("q5_pool: error: {what}"))
                && stderr.ends_with("Resource temporarily unavailable (os error 11)\n")
                && stderr.lines().count() == 1,
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn clap_hints_stay_on_the_one_line() {
    for (args, hint) in [
        (
            &["--wrkers", "3"][..],
            "tip: a similar argument exists: '--workers'",
        ),
        (
            &["square", "--thread"],
            "tip: a similar argument exists: '--threads'",
        ),
    ] {
        cargo_bin_cmd!("q5_pool")
            .args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(hint))
            .stderr(predicate::function(support::cli::is_usage_error));
    }
}

#[test]
fn negative_infinity_and_nan_need_the_separator_and_the_error_says_so() {
    // Clap reads `-inf` as the short flags -i -n -f: unlike `-2.5` it is no number to clap, and
    // letting values start with a hyphen would turn every option after a value into a value.
    // So the one-line error keeps clap's tip, naming the word as typed.
    cargo_bin_cmd!("q5_pool")
        .args(["3", "-inf"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "error: unexpected argument '-inf' found; tip: to pass '-inf' as a value, use '-- -inf' (see --help)\n",
        );
    cargo_bin_cmd!("q5_pool")
        .args(["--threads", "--", "-inf", "-2.5", "-nan"])
        .assert()
        .code(1)
        .stdout(
            "Gamma(-inf): math domain error\nGamma(-2.5) = -0.9453087204829417\nGamma(nan) = nan\n",
        )
        .stderr("");
    // Options still work after values, and a mistyped one is still one.
    cargo_bin_cmd!("q5_pool")
        .args(["-2.5", "--workers", "2"])
        .assert()
        .success()
        .stdout("Gamma(-2.5) = -0.9453087204829417\n");
    cargo_bin_cmd!("q5_pool")
        .args(["3", "--nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: unexpected argument '--nope' found",
        ));
}

#[test]
fn options_before_square_reach_it() {
    for args in [
        &["--threads", "square", "2"][..],
        &["--workers", "2", "square", "2"],
        &["square", "--threads", "2"],
    ] {
        cargo_bin_cmd!("q5_pool")
            .args(args)
            .assert()
            .success()
            .stdout("Original numbers: [2]\nSquared numbers: [4]\n");
    }
    // Values for the gamma table and the square program do not mix.
    cargo_bin_cmd!("q5_pool")
        .args(["2", "square", "3"])
        .assert()
        .code(2)
        .stderr(predicate::function(support::cli::is_usage_error));
}

#[test]
fn numbers_read_as_python_reads_them() {
    // Python's int() and float() take underscores between digits (PEP 515), nowhere else.
    cargo_bin_cmd!("q5_pool")
        .args(["1_0", "0.000_5", "1e0_0"])
        .assert()
        .success()
        .stdout("Gamma(10) = 362880.0\nGamma(0.0005) = 1999.4232786363486\nGamma(1.0) = 1.0\n");
    cargo_bin_cmd!("q5_pool")
        .args(["square", "1_000"])
        .assert()
        .success()
        .stdout("Original numbers: [1000]\nSquared numbers: [1000000]\n");
    for bad in ["1_000_", "_1", "1__0", "1_.5"] {
        cargo_bin_cmd!("q5_pool")
            .arg(bad)
            .assert()
            .code(2)
            .stderr(predicate::function(support::cli::is_usage_error));
    }
}

#[test]
fn the_worker_flag_given_by_hand_is_a_usage_error() {
    for args in [
        &["--common-pool-worker"][..],
        &["--common-pool-worker", "1"],
        &["--common-pool-worker", "nonsense"],
    ] {
        cargo_bin_cmd!("q5_pool")
            .args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains("--common-pool-worker"))
            .stderr(predicate::function(|s: &str| s.lines().count() == 1));
    }
}

#[test]
fn without_proc_the_error_names_proc_self_exe() {
    // Workers are `/proc/self/exe` started again; in a chroot or container without `/proc`,
    // the error says which file is missing.
    let mut cmd = q5(&[]);
    hostile::without_proc(&mut cmd);
    let (status, stderr) = match hostile::run(&mut cmd) {
        Ok(ran) => ran,
        Err(e) => {
            // Not allowed to make a mount namespace here (not root): nothing to check.
            eprintln!("skipped: cannot hide /proc from the program: {e}");
            return;
        }
    };
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "q5_pool: error: could not start a worker process: /proc/self/exe: \
         No such file or directory (os error 2) (is /proc mounted?)\n"
    );
}
