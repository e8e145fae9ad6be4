//! `beyond_one_machine` as a user runs it: the cluster's table, its faults, its errors and exit
//! codes. Every cluster here is on 127.0.0.1, on ports the kernel picked as free, so tests that
//! run at the same time never share one; every wait is bounded by the program's `--timeout` and
//! by assert_cmd's own timeout, so a hang fails instead of blocking.

use std::io::Write;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;

/// The reference output of answer sheet 000, as Python printed it (and `q5_pool` prints it).
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

/// A generous bound on any one run: far above what each takes, even on a loaded machine.
const LIMIT: Duration = Duration::from_secs(120);

fn cmd() -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("beyond_one_machine");
    cmd.timeout(LIMIT);
    cmd
}

/// A hostfile listing `n` ports that were free a moment ago on 127.0.0.1.
fn hostfile(n: usize) -> (tempfile::NamedTempFile, Vec<String>) {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let addresses: Vec<String> = listeners
        .iter()
        .map(|l| l.local_addr().unwrap().to_string())
        .collect();
    drop(listeners);
    (hostfile_of(&addresses), addresses)
}

fn hostfile_of(addresses: &[String]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    for address in addresses {
        writeln!(file, "{address}").unwrap();
    }
    file.flush().unwrap();
    file
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The pid in "… (pid N) …" on the line of `stderr` that contains `marker`.
fn pid_after(stderr: &str, marker: &str) -> u32 {
    let line = stderr
        .lines()
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no line with {marker:?} in:\n{stderr}"));
    let start = line.find("(pid ").expect("a pid") + 5;
    line[start..]
        .split(')')
        .next()
        .unwrap()
        .parse()
        .expect("a number")
}

#[test]
fn default_run_prints_the_reference_table_from_a_two_process_cluster() {
    cmd().assert().success().stdout(REFERENCE).stderr("");
}

#[test]
fn who_shows_that_both_processes_computed_values() {
    let expected = format!(
        "{REFERENCE}\nprocess 0 computed Gamma of 0.5, 2, 4, 6, 8, 10\n\
         process 1 computed Gamma of 1, 3, 5, 7, 9\n"
    );
    cmd().arg("--who").assert().success().stdout(expected);
}

#[test]
fn three_processes_print_the_same_table() {
    cmd().args(["-n", "3"]).assert().success().stdout(REFERENCE);
}

#[test]
fn failing_values_are_lines_of_the_table_and_exit_1() {
    // As `q5_pool -- 3 0 -2 172 4` prints them.
    cmd()
        .args(["3", "0", "-2", "172", "4"])
        .assert()
        .code(1)
        .stdout(
            "Gamma(3) = 2.0\nGamma(0): math domain error\nGamma(-2): math domain error\n\
             Gamma(172): math range error\nGamma(4) = 6.0\n",
        );
}

#[test]
fn a_cluster_started_by_hand_prints_the_table_on_process_0() {
    let (file, _) = hostfile(2);
    let exe = assert_cmd::cargo::cargo_bin!("beyond_one_machine");
    // Process 1 first: it waits for process 0, as on a real cluster where starts are not ordered.
    let started = Instant::now();
    let mut one = Command::new(exe)
        .args(["-n", "2", "-p", "1", "--timeout", "60", "--hostfile"])
        .arg(file.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let zero = cmd()
        .args(["-n", "2", "-p", "0", "--timeout", "60", "--hostfile"])
        .arg(file.path())
        .output()
        .unwrap();
    let status = loop {
        if let Some(status) = one.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > LIMIT {
            one.kill().unwrap();
            panic!("process 1 did not end");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let one = one.wait_with_output().unwrap();
    assert!(zero.status.success(), "process 0: {}", stderr_of(&zero));
    assert_eq!(String::from_utf8_lossy(&zero.stdout), REFERENCE);
    assert!(status.success(), "process 1: {}", stderr_of(&one));
    assert_eq!(one.stdout, b"", "only process 0 prints the table");
}

#[test]
fn a_peer_that_never_answers_is_an_error_within_the_timeout() {
    let (file, addresses) = hostfile(2);
    let assert = cmd()
        .args(["-n", "2", "-p", "1", "--timeout", "1", "--hostfile"])
        .arg(file.path())
        .assert()
        .code(1)
        .stdout("");
    let stderr = stderr_of(assert.get_output());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "beyond_one_machine: process 1: error: process 0 at {} did not answer within 1.00 s",
            addresses[0]
        )),
        "{stderr}"
    );
    assert!(stderr.contains("Connection refused"), "{stderr}");
}

#[test]
fn a_peer_that_never_connects_is_an_error_within_the_timeout() {
    let (file, _) = hostfile(2);
    cmd()
        .args(["-n", "2", "-p", "0", "--timeout", "1", "--hostfile"])
        .arg(file.path())
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            "beyond_one_machine: process 0: error: process 1 did not connect within 1.00 s; is \
             it started, with the same hostfile?\n",
        );
}

#[test]
fn a_port_in_use_is_an_error_at_once() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let file = hostfile_of(&[address.clone(), "127.0.0.1:9".into()]);
    // A long --timeout: the error must not wait for it.
    let assert = cmd()
        .args(["-n", "2", "-p", "0", "--timeout", "3600", "--hostfile"])
        .arg(file.path())
        .timeout(Duration::from_secs(60))
        .assert()
        .code(1)
        .stdout("");
    let stderr = stderr_of(assert.get_output());
    assert!(
        stderr.starts_with(&format!(
            "beyond_one_machine: process 0: error: cannot listen on {address}: "
        )),
        "{stderr}"
    );
    assert!(stderr.contains("in use"), "{stderr}");
    drop(taken);
}

#[test]
fn killing_a_process_fails_the_run_and_its_peer_reports_the_lost_connection() {
    let output = cmd()
        .args(["--work-ms", "300", "--kill", "1", "--after", "2"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    // The lines printed before the failure are the table's first lines, in order.
    assert!(stdout.lines().count() >= 2, "{stdout}");
    assert!(REFERENCE.starts_with(&*stdout), "{stdout}");
    assert!(
        stderr.contains("beyond_one_machine: killed process 1 (pid "),
        "{stderr}"
    );
    assert!(
        stderr.contains("beyond_one_machine: process 0: error: ")
            && stderr.contains("timely communication error"),
        "{stderr}"
    );
    assert!(stderr.contains("process 0 exited with code 1"), "{stderr}");
    assert!(
        stderr.contains("process 1 was killed by signal 9 (SIGKILL)"),
        "{stderr}"
    );
    let pid = pid_after(&stderr, "killed process 1");
    assert!(!support::proc::exists(pid), "process 1 was reaped");
}

#[test]
fn a_stopped_process_is_given_up_on_after_the_timeout() {
    let output = cmd()
        .args([
            "--work-ms",
            "300",
            "--stop",
            "1",
            "--after",
            "2",
            "--timeout",
            "2",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(REFERENCE.starts_with(&*stdout), "{stdout}");
    assert!(
        stderr.contains("process 0: error: no end of the run within 2.00 s (--timeout)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("process 1 was still stopped after"),
        "{stderr}"
    );
    let pid = pid_after(&stderr, "stopped process 1");
    assert!(
        !support::proc::exists(pid),
        "the stopped process was killed and reaped"
    );
}

#[test]
fn a_rerun_after_a_kill_prints_the_whole_table_and_names_what_ran_twice() {
    let output = cmd()
        .args([
            "--work-ms",
            "300",
            "--kill",
            "1",
            "--after",
            "2",
            "--rerun",
            "1",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = stderr_of(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.ends_with(REFERENCE), "{stdout}");
    let first_run = &stdout[..stdout.len() - REFERENCE.len()];
    assert!(REFERENCE.starts_with(first_run) && first_run.lines().count() >= 2);
    assert!(
        stderr.contains("run 2 of 2: starting the whole cluster again"),
        "{stderr}"
    );
    assert!(
        stderr.contains("computed in the failed run and again in the rerun: Gamma(0.5), Gamma(1)"),
        "{stderr}"
    );
}

#[test]
fn the_pool_blames_the_killed_workers_value_and_finishes_the_rest() {
    let output = cmd()
        .args(["--pool", "--work-ms", "300", "--kill", "1", "--after", "2"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 11, "{stdout}");
    let failed: Vec<&&str> = lines.iter().filter(|l| l.contains("died")).collect();
    assert_eq!(failed.len(), 1, "{stdout}");
    assert!(
        failed[0].ends_with("killed by signal 9 (SIGKILL)"),
        "{stdout}"
    );
    for line in lines.iter().filter(|l| !l.contains("died")) {
        assert!(REFERENCE.lines().any(|r| r == *line), "{line}");
    }
}

#[test]
fn the_pool_times_out_a_stopped_worker() {
    let output = cmd()
        .args([
            "--pool",
            "--work-ms",
            "300",
            "--stop",
            "1",
            "--after",
            "2",
            "--timeout",
            "2",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 11, "{stdout}");
    let failed: Vec<&&str> = lines.iter().filter(|l| l.contains("timed out")).collect();
    assert_eq!(failed.len(), 1, "{stdout}");
}

#[test]
fn cost_prints_every_way_and_readings_from_the_data() {
    let assert = cmd()
        .args(["cost", "--runs", "1", "--copies", "1", "--work-ms", "1"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    for way in [
        "sequential, one thread",
        "common::ThreadPool, 2 threads",
        "common::Pool, 2 worker processes",
        "timely, 2 processes over TCP",
    ] {
        assert!(stdout.contains(way), "{way}: {stdout}");
    }
    assert!(
        stdout.contains("Every way printed the same table, bit for bit: yes."),
        "{stdout}"
    );
    // Five on a machine of two cores or more, four on one core (see `cost::readings`).
    assert!(stdout.matches("\nReading: ").count() >= 4, "{stdout}");
    assert!(
        stdout.contains("Reading: the cluster's fixed cost is its time with one value, "),
        "{stdout}"
    );
}

#[test]
fn usage_errors_are_one_line_and_exit_2() {
    for args in [
        &["--kill", "0"][..],
        &["--kill", "2"],
        &["--stop", "5"],
        &["-n", "2", "-p", "2"],
        &["--hostfile", "hosts.txt"],
        &["-n", "0"],
        &["--timeout", "0"],
        &["abc"],
        &["--kill", "1", "--stop", "1"],
        &["--pool", "--rerun", "1"],
        &["-p", "0", "--kill", "1"],
        &["cost", "--runs", "0"],
    ] {
        let assert = cmd().args(args).assert().code(2).stdout("");
        let stderr = stderr_of(assert.get_output());
        assert!(support::cli::is_usage_error(&stderr), "{args:?}: {stderr}");
    }
}

#[test]
fn a_missing_hostfile_is_a_runtime_error() {
    cmd()
        .args(["-n", "2", "-p", "0", "--hostfile", "/nonexistent/hosts.txt"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(
            "beyond_one_machine: error: cannot read hostfile /nonexistent/hosts.txt: ",
        ));
}

#[test]
fn help_lists_the_ways_to_run_and_the_exit_codes() {
    cmd()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("--hostfile <FILE>"))
        .stdout(predicate::str::contains(support::cli::EXIT_CODES_HELP));
}

#[test]
fn the_dask_program_says_how_to_install_dask_when_it_is_missing() {
    // `-S`: no site-packages, so Dask cannot be found even where it is installed.
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let output = Command::new("python3")
        .args(["-S", "docs/src/beyond_one_machine/gamma_dask.py"])
        .current_dir(root)
        .output();
    let Ok(output) = output else {
        eprintln!("python3 is not installed: nothing to check");
        return;
    };
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr_of(&output),
        "gamma_dask.py: error: Dask is not installed: python3 -m pip install 'dask[distributed]'\n"
    );
}

#[test]
fn a_fault_after_the_last_line_never_happens_and_says_so() {
    cmd()
        .args(["--kill", "1", "--after", "50"])
        .assert()
        .success()
        .stdout(REFERENCE)
        .stderr(
            "beyond_one_machine: process 0 printed fewer than 50 lines: process 1 was left alone\n",
        );
}
