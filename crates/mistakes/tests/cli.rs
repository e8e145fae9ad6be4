//! Each mistake, made for real and run as a reader runs it.

use std::collections::HashSet;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::time::Duration;

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;

/// Standard output of a successful run, as text.
fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn without_init_the_pool_refuses_to_start() {
    cargo_bin_cmd!("forgot_init")
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            "forgot_init: error: common::init was not called at the top of main; worker \
             processes cannot start\n",
        );
}

#[test]
fn code_before_init_runs_in_the_parent_and_in_every_spawned_worker() {
    let out = cargo_bin_cmd!("code_before_init").assert().success();
    let text = stdout_of(out.get_output());
    let (spawned, forked) = text
        .split_once("a pool of two workers by forkserver:\n")
        .expect("both pools");
    // The spawned workers print their line in any order: count them and their process ids.
    let pids: HashSet<&str> = spawned
        .lines()
        .filter_map(|l| l.strip_prefix("reading the settings, in process "))
        .collect();
    assert_eq!(pids.len(), 3, "the parent and 2 workers:\n{text}");
    assert!(spawned.ends_with("squares: [1, 4, 9, 16]\n"), "{text}");
    // Forked workers run none of it: no line after the second heading but the squares.
    assert_eq!(forked, "squares: [1, 4, 9, 16]\n", "{text}");
}

#[test]
fn a_child_tied_to_an_ended_thread_dies_and_a_common_process_does_not() {
    cargo_bin_cmd!("short_lived_thread")
        .timeout(Duration::from_secs(60))
        .assert()
        .success()
        .stdout(
            "`sleep 30`, started from a thread that has ended: killed by signal 9 (SIGKILL) at \
             once, while its parent process runs on\n\
             a common::Process, started from a thread that has ended: finished, returned 49\n",
        );
}

#[test]
fn workers_change_their_own_static_and_threads_change_the_parents() {
    cargo_bin_cmd!("static_not_shared")
        .assert()
        .success()
        .stdout(
            "8 tasks on 2 worker processes: CALLS in the parent is 0; the workers' own copies add \
         up to 8\n\
         8 tasks on 2 threads: CALLS in the parent is 8\n",
        );
}

#[test]
fn exit_in_a_task_fails_that_task_alone() {
    cargo_bin_cmd!("exit_in_task")
        .timeout(Duration::from_secs(60))
        .assert()
        .code(1)
        .stdout(
            predicate::str::starts_with("exit_on_3(1) = 10\nexit_on_3(2) = 20\nexit_on_3(3): ")
                .and(predicate::str::contains("died, exit code 3\n"))
                .and(predicate::str::ends_with("exit_on_3(4) = 40\n")),
        );
}

#[test]
fn children_with_the_same_state_draw_the_same_numbers() {
    let out = cargo_bin_cmd!("shared_seed").assert().success();
    let text = stdout_of(out.get_output());
    let numbers = |label: &str| -> Vec<u32> {
        let line = text
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no {label:?} in {text}"));
        let list = line.split_once('[').unwrap().1.trim_end_matches(']');
        list.split(", ").map(|n| n.parse().unwrap()).collect()
    };
    let forked = numbers("forked after seeding:");
    assert_eq!(forked.len(), 3, "{text}");
    assert!(forked.iter().all(|&n| n == forked[0]), "{text}");
    let fixed = numbers("each child seeds with 42:");
    assert!(
        fixed.iter().all(|&n| n == fixed[0]) && fixed.len() == 3,
        "{text}"
    );
    // Seeded from the OS, three numbers from 1 to 100 may still repeat: only check the range.
    let fresh = numbers("each child seeds from the OS:");
    assert!(
        fresh.len() == 3 && fresh.iter().all(|n| (1..=100).contains(n)),
        "{text}"
    );
}

#[test]
fn with_unwinding_a_panic_is_an_error_in_a_worker_and_in_a_thread() {
    cargo_bin_cmd!("panic_abort")
        .timeout(Duration::from_secs(60))
        .assert()
        .success()
        .stdout(
            "built with panic = \"unwind\"\n\
             on a worker process, fail_on_3(1) = 1\n\
             on a worker process, fail_on_3(2) = 2\n\
             on a worker process, fail_on_3(3): task 2 panicked at \
             crates/mistakes/src/panic_abort.rs:19:9: 3 is not allowed\n\
             on a worker process, fail_on_3(4) = 4\n\
             on a thread, fail_on_3(3): join returned Err(\"a panic\")\n\
             main goes on\n",
        );
}

#[test]
fn with_panic_abort_a_worker_dies_alone_and_a_thread_takes_the_process_down() {
    // The same program built with `panic = "abort"` (the workspace's `abort` profile), through
    // cargo as the reader runs it. The first build of that profile takes a minute.
    let out = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--profile", "abort", "-p", "mistakes"])
        .args(["--bin", "panic_abort"])
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    let text = stdout_of(&out);
    assert_eq!(out.status.signal(), Some(libc::SIGABRT), "{text}");
    assert!(text.starts_with("built with panic = \"abort\"\n"), "{text}");
    assert!(
        text.contains("fail_on_3(3): task 2 failed: worker process ")
            && text.contains("died, killed by signal 6 (SIGABRT)\n"),
        "{text}"
    );
    assert!(
        text.contains("fail_on_3(4) = 4\n"),
        "the pool goes on: {text}"
    );
    assert!(
        !text.contains("join returned"),
        "the thread's panic ended the process: {text}"
    );
    assert!(!text.contains("main goes on"), "{text}");
}
