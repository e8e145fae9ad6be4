//! `Process` as a caller sees it: start, result, exit codes, waiting, output.
//!
//! Own `main` (harness = false): the child is this test binary started again, so `main` calls
//! `common::init` first. Faults (kill, terminate, abort, exit) are in `faults.rs`.

mod support;

use std::process::Command;
use std::time::Duration;

use common::{Error, Exit, Process, StartMethod, Task, task};
use libtest_mimic::Trial;
use support::{both, pool, start, test};

fn describe((name, n): (String, u32)) -> String {
    println!("child {} says hello to {name}", std::process::id());
    format!("{name}:{n}:{}", std::process::id())
}
fn sleep_ms(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}
fn panics(message: String) -> u8 {
    panic!("{message}")
}
fn byte_count(bytes: Vec<u8>) -> usize {
    bytes.len()
}
fn read_stdin(_: ()) -> usize {
    let mut buf = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut buf).unwrap()
}

const DESCRIBE: Task<(String, u32), String> = task!(describe);
const SLEEP_MS: Task<u64, u64> = task!(sleep_ms);
const PANICS: Task<String, u8> = task!(panics);
const BYTE_COUNT: Task<Vec<u8>, usize> = task!(byte_count);
const READ_STDIN: Task<(), usize> = task!(read_stdin);

fn main() {
    common::init(&[&DESCRIBE, &SLEEP_MS, &PANICS, &BYTE_COUNT, &READ_STDIN]);
    if std::env::var("PROCESS_TEST_MODE").as_deref() == Ok("print") {
        let child = Process::start(&DESCRIBE, ("parent".to_owned(), 1)).unwrap();
        let pid = child.pid();
        let result = child.join().unwrap();
        println!("joined {pid}: {}", result == format!("parent:1:{pid}"));
        return;
    }
    if std::env::var("PROCESS_TEST_MODE").as_deref() == Ok("panic-then-wait") {
        // A parent that only waits for its child: the child itself must say why it failed.
        let child = Process::start(&PANICS, "the child's own words".to_owned()).unwrap();
        println!("waited: {}", child.wait());
        return;
    }
    let args = libtest_mimic::Arguments::from_args();
    let tests: Vec<Trial> = [
        both("join_returns_the_result", join_returns_the_result),
        both("exit_status_follows_python", exit_status_follows_python),
        both(
            "join_timeout_waits_at_most_the_timeout",
            join_timeout_waits_at_most_the_timeout,
        ),
        both(
            "a_panic_is_reported_with_exit_code_1",
            a_panic_is_reported_with_exit_code_1,
        ),
        both(
            "a_large_argument_does_not_block_start",
            a_large_argument_does_not_block_start,
        ),
        vec![test(
            "children_print_to_the_same_stdout",
            children_print_to_the_same_stdout,
        )],
        both(
            "a_child_reads_end_of_file_on_stdin",
            a_child_reads_end_of_file_on_stdin,
        ),
        both("many_processes_run_at_once", many_processes_run_at_once),
        vec![test(
            "a_panicking_child_prints_its_panic",
            a_panicking_child_prints_its_panic,
        )],
        both("waits_accept_any_duration", waits_accept_any_duration),
        both(
            "terminate_right_after_start_reports_the_signal",
            terminate_right_after_start_reports_the_signal,
        ),
        vec![test(
            "a_worker_whose_parent_is_gone_stops_without_a_word",
            a_worker_whose_parent_is_gone_stops_without_a_word,
        )],
    ]
    .into_iter()
    .flatten()
    .collect();
    libtest_mimic::run(&args, tests).exit();
}

fn a_worker_whose_parent_is_gone_stops_without_a_word() {
    // What a spawned worker sees when its parent died between starting it and its first line:
    // a channel on stdin, but another parent (here: a parent id that was never ours). Nobody
    // is left to tell, so it must not print a usage error meant for a person typing the flag.
    let (_ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--common-pool-worker", "1"])
        .stdin(std::os::fd::OwnedFd::from(theirs))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
}

fn join_returns_the_result(m: StartMethod) {
    let child = start(m, &DESCRIBE, ("x".to_owned(), 7)).unwrap();
    let pid = child.pid();
    assert_ne!(pid, std::process::id());
    assert_eq!(child.join().unwrap(), format!("x:7:{pid}"));
}

fn exit_status_follows_python(m: StartMethod) {
    let child = start(m, &SLEEP_MS, 100).unwrap();
    assert!(child.is_alive());
    assert_eq!(child.exitcode(), None, "None while running, as in Python");
    assert_eq!(child.wait(), Exit::Code(0));
    assert_eq!(child.exitcode(), Some(0));
    assert!(!child.is_alive());
    assert_eq!(child.join().unwrap(), 100);
}

fn join_timeout_waits_at_most_the_timeout(m: StartMethod) {
    let child = start(m, &SLEEP_MS, 400).unwrap();
    assert_eq!(child.join_timeout(Duration::from_millis(20)), None);
    assert_eq!(
        child.join_timeout(Duration::from_secs(30)),
        Some(Exit::Code(0))
    );
    assert_eq!(child.join().unwrap(), 400);
}

fn a_panic_is_reported_with_exit_code_1(m: StartMethod) {
    let child = start(m, &PANICS, "no way".to_owned()).unwrap();
    assert_eq!(child.wait(), Exit::Code(1));
    let err = child.join().unwrap_err();
    let Error::TaskPanicked {
        index: None,
        message,
        location: Some(location),
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(message, "no way");
    assert!(
        location.starts_with("crates/common/tests/process.rs:"),
        "{location}"
    );
}

fn a_large_argument_does_not_block_start(m: StartMethod) {
    // 8 MiB cannot sit in a socket buffer; start returns anyway, a helper thread sends it.
    let child = start(m, &BYTE_COUNT, vec![7u8; 8 << 20]).unwrap();
    assert_eq!(child.join().unwrap(), 8 << 20);
}

fn children_print_to_the_same_stdout() {
    let out = Command::new(std::env::current_exe().unwrap())
        .env("PROCESS_TEST_MODE", "print")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with("child ") && lines[0].ends_with(" says hello to parent"),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("joined ") && lines[1].ends_with(": true"),
        "{stdout}"
    );
}

fn a_child_reads_end_of_file_on_stdin(m: StartMethod) {
    // As in Python, a child's stdin is /dev/null: it cannot steal the parent's input (nor
    // read the pool's private channel).
    assert_eq!(start(m, &READ_STDIN, ()).unwrap().join().unwrap(), 0);
}

fn many_processes_run_at_once(m: StartMethod) {
    let children: Vec<_> = (0..16)
        .map(|i| start(m, &SLEEP_MS, 50 + i).unwrap())
        .collect();
    let pids: std::collections::BTreeSet<u32> = children.iter().map(Process::pid).collect();
    assert_eq!(pids.len(), 16);
    for (i, child) in children.into_iter().enumerate() {
        assert_eq!(child.join().unwrap(), 50 + i as u64);
    }
}

fn a_panicking_child_prints_its_panic() {
    // As Python prints the traceback in the child, the child prints its panic on stderr (and
    // `join` still returns it).
    let out = Command::new(std::env::current_exe().unwrap())
        .env("PROCESS_TEST_MODE", "panic-then-wait")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "waited: exit code 1\n"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("panicked at crates/common/tests/process.rs:")
            && stderr.contains("the child's own words"),
        "{stderr}"
    );
}

fn waits_accept_any_duration(m: StartMethod) {
    let child = start(m, &SLEEP_MS, 10).unwrap();
    assert_eq!(child.join_timeout(Duration::MAX), Some(Exit::Code(0)));
    assert_eq!(child.join().unwrap(), 10);
    let pool = pool(m, 1);
    let mut handle = pool.apply_async(&SLEEP_MS, 10).unwrap();
    assert!(handle.wait_timeout(Duration::MAX));
    assert_eq!(handle.get_timeout(Duration::MAX).unwrap(), 10);
}

fn terminate_right_after_start_reports_the_signal(m: StartMethod) {
    // Before the child has even said hello: the signal still ends it, and `join` says so.
    for round in 0..20 {
        let child = start(m, &SLEEP_MS, 30_000).unwrap();
        child.terminate().unwrap();
        let err = child.join().unwrap_err();
        assert!(
            matches!(
                err,
                Error::WorkerDied {
                    exit: Exit::Signal(15),
                    ..
                }
            ),
            "round {round}: {err:?}"
        );
    }
}
