//! The mistakes' programs in a hostile environment, as an ordinary user makes one: output into
//! a pipe nobody reads (`| head`), onto a full disk, few processes allowed. Each mistake keeps
//! the panic or the exit it shows; the environment adds none.

use std::path::Path;
use std::process::{Command, Stdio};

use support::hostile;

/// Every program, by name and path.
const PROGRAMS: [(&str, &str); 7] = [
    ("forgot_init", env!("CARGO_BIN_EXE_forgot_init")),
    ("code_before_init", env!("CARGO_BIN_EXE_code_before_init")),
    (
        "short_lived_thread",
        env!("CARGO_BIN_EXE_short_lived_thread"),
    ),
    ("static_not_shared", env!("CARGO_BIN_EXE_static_not_shared")),
    ("panic_abort", env!("CARGO_BIN_EXE_panic_abort")),
    ("exit_in_task", env!("CARGO_BIN_EXE_exit_in_task")),
    ("shared_seed", env!("CARGO_BIN_EXE_shared_seed")),
];

#[test]
fn output_that_cannot_be_written_follows_the_rules() {
    for (name, bin) in PROGRAMS {
        match name {
            // Prints nothing on standard output: its one line of error is on standard error.
            "forgot_init" => {
                for stdout in [
                    Stdio::from(hostile::closed_pipe().unwrap()),
                    Stdio::from(hostile::full_disk().unwrap()),
                ] {
                    let (status, stderr) = hostile::run(Command::new(bin).stdout(stdout)).unwrap();
                    assert_eq!(status.code(), Some(1), "{stderr}");
                    assert!(stderr.starts_with("forgot_init: error: common::init was not called"));
                    assert_eq!(stderr.lines().count(), 1, "{stderr}");
                }
                for args in [&["--help"][..], &["--version"]] {
                    hostile::assert_quiet_on_a_closed_pipe(Command::new(bin).args(args));
                    hostile::assert_one_line_on_a_full_disk(Command::new(bin).args(args), name);
                }
                assert_usage_errors(bin);
            }
            // Its first line comes before its usage error: see below.
            "code_before_init" => {
                for args in [&[][..], &["--help"], &["--version"]] {
                    hostile::assert_quiet_on_a_closed_pipe(Command::new(bin).args(args));
                    hostile::assert_one_line_on_a_full_disk(Command::new(bin).args(args), name);
                }
                assert_usage_errors(bin);
            }
            _ => hostile::assert_output_rules(Path::new(bin), name, &[]),
        }
    }
}

/// A usage error is one line and exit code 2, whatever standard output is (code_before_init
/// prints its line before it parses its arguments: that is its mistake), and still 2 when
/// standard error is a full disk.
fn assert_usage_errors(bin: &str) {
    let (status, stderr) = hostile::run(
        Command::new(bin)
            .arg("--no-such-option")
            .stdout(Stdio::null()),
    )
    .unwrap();
    assert_eq!(status.code(), Some(2), "{bin}: {stderr}");
    assert!(support::cli::is_usage_error(&stderr), "{bin}: {stderr}");
    let status = Command::new(bin)
        .arg("--no-such-option")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(hostile::full_disk().unwrap())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2), "{bin} with stderr on /dev/full");
}

#[test]
fn few_processes_allowed_is_an_error_never_a_panic() {
    // With one task (the program itself), no thread, process or fork can start: each program
    // fails at its first, in one line.
    for (name, bin, first) in [
        (
            "code_before_init",
            PROGRAMS[1].1,
            "could not start a worker process: ",
        ),
        (
            "short_lived_thread",
            PROGRAMS[2].1,
            "could not start a thread: ",
        ),
        (
            "static_not_shared",
            PROGRAMS[3].1,
            "could not start a worker process: ",
        ),
        (
            "panic_abort",
            PROGRAMS[4].1,
            "could not start a worker process: ",
        ),
        (
            "exit_in_task",
            PROGRAMS[5].1,
            "could not start a worker process: ",
        ),
        ("shared_seed", PROGRAMS[6].1, "cannot fork the children: "),
    ] {
        let mut cmd = Command::new(bin);
        hostile::few_tasks(&mut cmd, 1);
        let (status, stderr) = hostile::run(cmd.stdout(Stdio::null())).unwrap();
        assert_eq!(status.code(), Some(1), "{name}: {stderr}");
        assert_eq!(
            stderr,
            format!("{name}: error: {first}Resource temporarily unavailable (os error 11)\n"),
            "{name}"
        );
    }
}

#[test]
fn at_every_limit_a_run_succeeds_or_fails_in_one_line() {
    // Each limit stops a program at another place (a worker, a supervisor thread, the thread
    // of the mistake, `sleep`, a `Process`). Only as root is the limit this program's own.
    let mut probe = Command::new("true");
    if !hostile::few_tasks(&mut probe, 1) {
        eprintln!("skipped: not root, so the limit counts every process of this user");
        return;
    }
    let mut thread_failed = Vec::new();
    for (name, bin) in &PROGRAMS[1..] {
        for tasks in 1..=8 {
            let mut cmd = Command::new(bin);
            hostile::few_tasks(&mut cmd, tasks);
            let output = cmd.stdin(Stdio::null()).output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            let case = format!("{name} with {tasks} tasks: {}: {stderr}", output.status);
            // panic_abort's thread panics on purpose (the default hook prints it), and
            // exit_in_task fails one task on purpose (exit code 1): the runs as they are
            // without a limit.
            let as_shown = match *name {
                "panic_abort" => {
                    output.status.success() && stderr.contains("panicked at crates/mistakes")
                }
                "exit_in_task" => output.status.code() == Some(1) && stderr.is_empty(),
                _ => output.status.success() && stderr.is_empty(),
            };
            if as_shown {
                continue;
            }
            assert_eq!(output.status.code(), Some(1), "{case}");
            assert!(!stderr.contains("panicked"), "{case}");
            assert!(
                stderr.lines().count() == 1 && stderr.starts_with(&format!("{name}: error: ")),
                "{case}"
            );
            // The thread of the mistake itself, after the pool's work is done.
            let stdout = String::from_utf8_lossy(&output.stdout);
            if stderr.contains("could not start a thread")
                && (*name != "panic_abort" || stdout.ends_with("fail_on_3(4) = 4\n"))
            {
                thread_failed.push(*name);
            }
        }
    }
    // The threads the mistakes start by hand meet the limit too, and say so.
    for name in ["short_lived_thread", "panic_abort"] {
        assert!(thread_failed.contains(&name), "{name}: {thread_failed:?}");
    }
}
