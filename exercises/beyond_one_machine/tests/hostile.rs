//! `beyond_one_machine` in a hostile environment, as an ordinary user makes one: output into a
//! pipe nobody reads (`| head`), onto a full disk, and few processes allowed. The launcher, a
//! process started by hand and `cost` each follow the output rules of every exercise.

use std::io::Write;
use std::net::TcpListener;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};

use support::hostile;

const BIN: &str = env!("CARGO_BIN_EXE_beyond_one_machine");
const PROGRAM: &str = "beyond_one_machine";

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

fn program(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    cmd
}

#[test]
fn the_launcher_follows_the_output_rules() {
    // A closed pipe or a full disk at the first forwarded line: the launcher kills the cluster
    // (which says nothing as it goes) and ends by the rules.
    hostile::assert_output_rules(Path::new(BIN), PROGRAM, &[]);
    for args in [
        &["--who"][..],
        &["-n", "3"],
        &["--work-ms", "100", "--kill", "1", "--after", "2"],
        &[
            "--work-ms",
            "100",
            "--kill",
            "1",
            "--after",
            "2",
            "--rerun",
            "1",
        ],
        &["--pool"],
        &["cost", "--help"],
        &["help", "cost"],
    ] {
        hostile::assert_quiet_on_a_closed_pipe(&mut program(args));
        hostile::assert_one_line_on_a_full_disk(&mut program(args), PROGRAM);
    }
}

#[test]
fn cost_follows_the_output_rules() {
    // Its table comes after every measurement, so this is the end of a whole (small) run.
    let args = ["cost", "--runs", "1", "--copies", "1", "--work-ms", "1"];
    hostile::assert_quiet_on_a_closed_pipe(&mut program(&args));
    hostile::assert_one_line_on_a_full_disk(&mut program(&args), PROGRAM);
}

/// A hostfile of `n` ports that were free a moment ago on 127.0.0.1.
fn hostfile(n: usize) -> tempfile::NamedTempFile {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let mut file = tempfile::NamedTempFile::new().unwrap();
    for listener in &listeners {
        writeln!(file, "{}", listener.local_addr().unwrap()).unwrap();
    }
    file.flush().unwrap();
    file
}

#[test]
fn process_0_by_hand_ends_by_the_rules_once_its_peer_has_finished_cleanly() {
    for full in [false, true] {
        let file = hostfile(2);
        let by_hand = |process: &str| {
            let mut cmd = program(&["-n", "2", "--timeout", "60", "-p", process, "--hostfile"]);
            cmd.arg(file.path());
            cmd
        };
        let one = by_hand("1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut zero = by_hand("0");
        if full {
            hostile::assert_one_line_on_a_full_disk(&mut zero, PROGRAM);
        } else {
            hostile::assert_quiet_on_a_closed_pipe(&mut zero);
        }
        // Process 0 stopped printing, not computing: its peer saw a whole run. (Bounded by its
        // own --timeout should that fail.)
        let one = one.wait_with_output().unwrap();
        assert!(
            one.status.success() && one.stderr.is_empty() && one.stdout.is_empty(),
            "process 1 ({}): {}, {}",
            if full { "/dev/full" } else { "closed pipe" },
            one.status,
            String::from_utf8_lossy(&one.stderr)
        );
    }
}

#[test]
fn few_processes_allowed_is_an_error_never_a_panic() {
    // With one task (the launcher itself) nothing else can start.
    let mut cmd = program(&[]);
    let exact = hostile::few_tasks(&mut cmd, 1);
    let (status, stderr) = hostile::run(&mut cmd).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "beyond_one_machine: error: cannot start the cluster: cannot start process 0: \
         Resource temporarily unavailable (os error 11)\n"
    );
    if !exact {
        // Not root: the limit counts every process of this user, so only this case is exact.
        return;
    }
    // Each limit stops the run at another place: a process of the cluster, the launcher's or a
    // process's own threads, timely's network or worker threads. Wherever it is, the run fails
    // with lines of the program's own (whichever process says them first), or succeeds.
    let mut failures = 0;
    for (args, up_to) in [
        (&["--timeout", "5"][..], 14),
        (&["--pool"], 6),
        (
            &["cost", "--runs", "1", "--copies", "1", "--work-ms", "1"],
            8,
        ),
    ] {
        for tasks in 1..=up_to {
            let mut cmd = program(args);
            cmd.stdout(Stdio::piped());
            hostile::few_tasks(&mut cmd, tasks);
            let output = cmd.stdin(Stdio::null()).output().unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            let case = format!(
                "{args:?} with {tasks} tasks: {}\n{stdout}{stderr}",
                output.status
            );
            if output.status.success() {
                assert!(stderr.is_empty(), "{case}");
                continue;
            }
            failures += 1;
            assert_eq!(output.status.code(), Some(1), "{case}");
            assert!(output.status.signal().is_none(), "{case}");
            assert!(!stderr.contains("panicked"), "{case}");
            assert!(
                !stderr.is_empty()
                    && stderr
                        .lines()
                        .all(|l| l.starts_with("beyond_one_machine: ")),
                "{case}"
            );
            // A process of the cluster that ended by a panic would be reported with code 101.
            assert!(!stderr.contains("code 101"), "{case}");
            if args[0] != "cost" {
                assert!(REFERENCE.starts_with(&*stdout), "{case}");
            }
        }
    }
    assert!(failures >= 10, "the limits stopped only {failures} runs");
}
