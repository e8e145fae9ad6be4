//! `q3_create_process` as a user runs it: its output, its files and its exit codes.
//!
//! Every server here is on 127.0.0.1: the built-in one, or one these tests start from the
//! library (`q3_create_process::server`). Lines printed by worker processes (`Downloaded …`)
//! arrive in whatever order the downloads finish, so tests look for each line, never for an
//! order among them. The parent's own lines come before the workers start or after they all
//! ended, so their places are fixed.

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use q3_create_process::server::{Fault, SAMPLE_FILES, Server};
use support::proc::{eventually, is_running, workers_of};

/// A hung download fails the test instead of blocking CI.
const LIMIT: Duration = Duration::from_secs(60);

fn q3() -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("q3_create_process");
    cmd.timeout(LIMIT);
    cmd
}

/// The names in `dir`, sorted: a leftover temporary directory (`.downloading.XXXXXX`) shows here.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Checks the parent's closing lines and returns the lines before them (the workers' lines,
/// in any order, sorted).
fn split_summary(stdout: &str, last_but_one: &str, downloads_done: usize) -> Vec<String> {
    let lines: Vec<&str> = stdout.lines().collect();
    let n = lines.len();
    let (body, summary) = match downloads_done {
        0 => (&lines[..n - 1], &lines[n - 1..]),
        _ => (&lines[..n - 2], &lines[n - 2..]),
    };
    assert_eq!(summary[0], last_but_one, "{stdout}");
    match downloads_done {
        0 => {}
        1 => assert!(summary[1].starts_with("Wall time: "), "{stdout}"),
        _ => assert!(
            summary[1].starts_with("Wall time: ")
                && summary[1].contains(&format!("the {downloads_done} downloads, one per "))
                && summary[1].ends_with("x the wall time)"),
            "{stdout}"
        ),
    }
    let mut body: Vec<String> = body.iter().map(|l| l.to_string()).collect();
    body.sort();
    body
}

/// A port on 127.0.0.1 where nothing listens: bound, then let go.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn default_run_serves_and_downloads_three_files() {
    let dir = tempfile::tempdir().unwrap();
    let output = q3().current_dir(dir.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stderr_of(&output), "");
    let stdout = stdout_of(&output);
    let first = stdout.lines().next().unwrap();
    let addr = first
        .strip_prefix("Serving data1.txt, data2.txt, data3.txt on http://")
        .and_then(|rest| rest.strip_suffix(" with 300 ms latency"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    let workers = split_summary(
        stdout.split_once('\n').unwrap().1,
        "All downloads completed",
        3,
    );
    assert_eq!(
        workers,
        (1..=3)
            .map(|n| format!("Downloaded http://{addr}/data{n}.txt to file{n}.txt"))
            .collect::<Vec<_>>()
    );
    assert!(stdout.contains("one per process"));
    assert_eq!(
        names_in(dir.path()),
        ["file1.txt", "file2.txt", "file3.txt"]
    );
    for (n, (_, body)) in SAMPLE_FILES.iter().enumerate() {
        let file = dir.path().join(format!("file{}.txt", n + 1));
        assert_eq!(fs::read_to_string(file).unwrap(), *body);
    }
}

#[test]
fn threads_download_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = q3()
        .args(["download", "--threads", "--latency-ms", "0", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let stdout = stdout_of(&output);
    assert!(stdout.starts_with("Serving data1.txt, data2.txt, data3.txt on http://127.0.0.1:"));
    assert!(stdout.contains(" with 0 ms latency\n"));
    assert!(stdout.contains("one per thread"));
    for n in 1..=3 {
        let line = format!(".txt to {}\n", out.join(format!("file{n}.txt")).display());
        assert_eq!(stdout.matches(&line).count(), 1, "{stdout}");
    }
    assert_eq!(names_in(&out), ["file1.txt", "file2.txt", "file3.txt"]);
}

#[test]
fn given_urls_are_saved_in_order_as_file1_file2() {
    let server = Server::start(
        [("b.txt", "second\n"), ("a.txt", "first\n")],
        Duration::ZERO,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("new").join("dir");
    let urls = server.urls();
    let output = q3()
        .arg("download")
        .args(&urls)
        .arg("--out-dir")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let workers = split_summary(&stdout_of(&output), "All downloads completed", 2);
    let file = |n: usize| out.join(format!("file{n}.txt"));
    let mut expected = vec![
        format!("Downloaded {} to {}", urls[0], file(1).display()),
        format!("Downloaded {} to {}", urls[1], file(2).display()),
    ];
    expected.sort();
    assert_eq!(workers, expected);
    assert_eq!(fs::read_to_string(file(1)).unwrap(), "second\n");
    assert_eq!(fs::read_to_string(file(2)).unwrap(), "first\n");
}

/// Runs `download GOOD BAD -o DIR` and checks the common shape of a failure: the good file
/// still arrives, the bad one is reported on one line naming its URL, exit code 1, and nothing
/// but `file1.txt` is left in the directory. Returns the reason printed for the bad URL.
fn one_good_one_bad(bad: &str, extra: &[&str]) -> String {
    let server = Server::start(SAMPLE_FILES, Duration::ZERO).unwrap();
    let good = &server.urls()[0];
    let dir = tempfile::tempdir().unwrap();
    let output = q3()
        .args(["download", good, bad, "-o"])
        .arg(dir.path())
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let workers = split_summary(
        &stdout_of(&output),
        "1 of 2 downloads completed, 1 failed",
        1,
    );
    assert_eq!(
        workers,
        [format!(
            "Downloaded {good} to {}",
            dir.path().join("file1.txt").display()
        )]
    );
    assert_eq!(names_in(dir.path()), ["file1.txt"]);
    let stderr = stderr_of(&output);
    let prefix = format!("q3_create_process: error: cannot download {bad}: ");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr
        .strip_prefix(&prefix)
        .and_then(|s| s.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("{stderr}"))
        .to_owned()
}

#[test]
fn a_malformed_url_is_a_usage_error() {
    // Checked before anything starts (tests/hostile.rs has more).
    for (bad, why) in [
        ("not a url", "relative URL without a base"),
        ("http://", "empty host"),
        (
            "ftp://127.0.0.1/file",
            "the scheme is `ftp`; only http and https are supported",
        ),
    ] {
        q3().args(["download", bad])
            .assert()
            .code(2)
            .stdout("")
            .stderr(format!(
                "error: invalid value '{bad}' for '[URL]...': {why} (see --help)\n"
            ));
    }
}

#[test]
fn a_refused_connection_is_reported() {
    let url = format!("http://127.0.0.1:{}/file", closed_port());
    let reason = one_good_one_bad(&url, &[]);
    assert!(
        reason.starts_with("could not connect: Connection refused"),
        "{reason}"
    );
}

#[test]
fn a_name_that_does_not_resolve_is_reported() {
    // A real resolution failure, produced without asking a DNS server: a DNS label is at most
    // 63 bytes (RFC 1035), so for a 64-byte label the system resolver (glibc's getaddrinfo, or
    // systemd-resolved) refuses to build the query and fails at once. The URL parser accepts
    // the name (WHATWG URLs do not check DNS lengths), so the failure comes from resolution,
    // through the same code path as any unknown host. Checked with strace: no packet leaves.
    let host = format!("{}.test", "a".repeat(64));
    let reason = one_good_one_bad(&format!("http://{host}/file"), &[]);
    assert!(
        reason.starts_with(&format!("could not resolve host `{host}`: ")),
        "{reason}"
    );
}

#[test]
fn http_error_statuses_are_reported() {
    let server = Server::start(SAMPLE_FILES, Duration::ZERO).unwrap();
    assert_eq!(
        one_good_one_bad(&server.fault_url(Fault::NotFound), &[]),
        "the server answered 404 Not Found"
    );
    assert_eq!(
        one_good_one_bad(&server.fault_url(Fault::ServerError), &[]),
        "the server answered 500 Internal Server Error"
    );
    assert_eq!(
        one_good_one_bad(&server.url("/no-such-file.txt"), &[]),
        "the server answered 404 Not Found"
    );
}

#[test]
fn a_body_cut_short_is_reported_and_not_kept() {
    let server = Server::start(SAMPLE_FILES, Duration::ZERO).unwrap();
    let reason = one_good_one_bad(&server.fault_url(Fault::CutBody), &[]);
    assert!(
        reason.starts_with("the body was cut short after 32 of 64 bytes: "),
        "{reason}"
    );
}

#[test]
fn a_stalled_server_times_out() {
    // Silent before answering, and silent halfway through the body: both are stalls.
    let server = Server::start(SAMPLE_FILES, Duration::ZERO).unwrap();
    for fault in [Fault::Stall, Fault::StallBody] {
        let start = Instant::now();
        let reason = one_good_one_bad(&server.fault_url(fault), &["--timeout", "0.3"]);
        assert_eq!(reason, "timed out: the server sent nothing for 300 ms");
        // Far below the 10 s default: the option took effect (a bound, not a timing claim).
        assert!(start.elapsed() < Duration::from_secs(8));
    }
}

#[test]
fn an_output_directory_that_cannot_be_created_is_a_usage_error() {
    let server = Server::start(SAMPLE_FILES, Duration::ZERO).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("plain-file");
    fs::write(&not_a_dir, "").unwrap();
    let output = q3()
        .arg("download")
        .args(&server.urls()[..2])
        .arg("-o")
        .arg(&not_a_dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout_of(&output), "");
    assert_eq!(
        stderr_of(&output),
        format!(
            "error: invalid value '{0}' for '--out-dir <DIR>': {0} is not a directory (see --help)\n",
            not_a_dir.display()
        )
    );
    assert_eq!(names_in(dir.path()), ["plain-file"]);
    assert_eq!(server.connections(), 0, "nothing started");
}

#[test]
fn a_target_file_that_cannot_be_written_fails_that_download_only() {
    // Running as root, a read-only directory would not stop us; a directory where the file
    // should go stops anyone. The download completes, then the rename into place fails.
    let server = Server::start(SAMPLE_FILES, Duration::ZERO).unwrap();
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("file2.txt")).unwrap();
    let urls = server.urls();
    let output = q3()
        .arg("download")
        .args(&urls)
        .arg("-o")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let workers = split_summary(
        &stdout_of(&output),
        "2 of 3 downloads completed, 1 failed",
        2,
    );
    assert_eq!(workers.len(), 2);
    assert!(workers.iter().all(|l| !l.contains("file2.txt")));
    assert_eq!(
        stderr_of(&output),
        format!(
            "q3_create_process: error: cannot download {}: cannot write {}: Is a directory (os error 21)\n",
            urls[1],
            dir.path().join("file2.txt").display()
        )
    );
    assert_eq!(
        names_in(dir.path()),
        ["file1.txt", "file2.txt", "file3.txt"]
    );
    assert!(dir.path().join("file2.txt").is_dir());
}

#[test]
fn a_killed_download_process_is_reported_and_leaves_no_file() {
    // Isolation, the reason to use processes: kill one worker and only its download fails.
    let server = Server::start(SAMPLE_FILES, Duration::ZERO).unwrap();
    let good = server.urls()[0].clone();
    let stalled = server.fault_url(Fault::Stall);
    let dir = tempfile::tempdir().unwrap();
    let mut parent = Command::new(env!("CARGO_BIN_EXE_q3_create_process"))
        .args(["download", &good, &stalled, "-o"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once the good download is announced, the only worker left is the stalled one.
    let mut stdout = BufReader::new(parent.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("Downloaded "), "{first}");
    let deadline = Instant::now() + LIMIT;
    let worker = loop {
        let children = workers_of(parent.id());
        if let [only] = children[..] {
            break only;
        }
        assert!(Instant::now() < deadline, "workers: {children:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    let killed = Command::new("kill")
        .args(["-KILL", &worker.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = parent.wait_with_output().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        rest.starts_with("1 of 2 downloads completed, 1 failed\n"),
        "{rest}"
    );
    assert_eq!(
        stderr_of(&output),
        format!(
            "q3_create_process: error: cannot download {stalled}: the download process {worker} died (killed by signal 9 (SIGKILL))\n"
        )
    );
    assert_eq!(names_in(dir.path()), ["file1.txt"]);
}

#[test]
fn an_interrupted_download_leaves_no_file_and_ends_by_the_signal() {
    for (signal, name) in [(libc::SIGINT, "SIGINT"), (libc::SIGTERM, "SIGTERM")] {
        let server = Server::start(SAMPLE_FILES, Duration::ZERO).unwrap();
        let stalled = server.fault_url(Fault::Stall);
        let dir = tempfile::tempdir().unwrap();
        let mut parent = Command::new(env!("CARGO_BIN_EXE_q3_create_process"))
            .args(["download", &stalled, "-o"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Under way: the worker reached the server (so it is running its task, past its own
        // start-up), and the hidden directory for its temporary file is there.
        assert!(
            eventually(LIMIT, || server.connections() == 1),
            "the download never reached the server"
        );
        let workers = workers_of(parent.id());
        let [worker] = workers[..] else {
            panic!("one download process: {workers:?}")
        };
        let names = names_in(dir.path());
        assert!(
            names.len() == 1 && names[0].starts_with(".downloading."),
            "{names:?}"
        );
        support::proc::signal(parent.id(), signal);

        let ended = eventually(LIMIT, || parent.try_wait().unwrap().is_some());
        if !ended {
            let _ = parent.kill();
        }
        let output = parent.wait_with_output().unwrap();
        assert!(ended, "still running after {name}");
        // Ended by the signal itself, which a shell reports as 128 + its number: 130, 143.
        assert_eq!(output.status.signal(), Some(signal), "{:?}", output.status);
        assert_eq!(
            stderr_of(&output),
            format!("q3_create_process: interrupted by {name}; unfinished downloads removed\n")
        );
        // No `.part` file, no hidden directory: nothing at all.
        assert_eq!(names_in(dir.path()), Vec::<String>::new(), "after {name}");
        // The worker died with its parent (its parent-death signal).
        assert!(eventually(LIMIT, || !is_running(worker)), "worker {worker}");
    }
}

#[test]
fn pid_prints_the_main_and_worker_ids_and_the_exit_code() {
    // One worker: its line necessarily comes between the parent's two (the parent prints the
    // first before starting it, and the second after it exited).
    let output = q3().arg("pid").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stderr_of(&output), "");
    let stdout = stdout_of(&output);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    let main: u32 = lines[0]
        .strip_prefix("Main process ID: ")
        .unwrap()
        .parse()
        .unwrap();
    let (worker, number) = lines[1]
        .strip_prefix("Worker process ID: ")
        .and_then(|rest| rest.split_once(", Number: "))
        .unwrap();
    assert_eq!(number, "5");
    let worker: u32 = worker.parse().unwrap();
    assert_ne!(main, worker);
    assert_eq!(
        lines[2],
        format!("Process {worker} finished with exit code 0")
    );
}

/// The three lines of `command` and `fork`: the parent's id, the child's line (printed by
/// `sh`), and how the child ended. Returns the two process ids.
fn check_parent_and_child_lines(stdout: &str, number: &str, ended: &str) -> (u32, u32) {
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    let main: u32 = lines[0]
        .strip_prefix("Main process ID: ")
        .unwrap()
        .parse()
        .unwrap();
    let (child, printed) = lines[1]
        .strip_prefix("Worker process ID: ")
        .and_then(|rest| rest.split_once(", Number: "))
        .unwrap();
    assert_eq!(printed, number);
    let child: u32 = child.parse().unwrap();
    assert_ne!(main, child, "the child is a process of its own");
    assert_eq!(lines[2], format!("Process {child} finished with {ended}"));
    (main, child)
}

#[test]
fn command_starts_another_program_and_waits_for_it() {
    // `sh` prints its line before it exits, and the parent prints its last one after: the
    // order is fixed.
    let output = q3().arg("command").output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert_eq!(stderr_of(&output), "");
    check_parent_and_child_lines(&stdout_of(&output), "5", "exit status: 0");
}

#[test]
fn fork_and_exec_by_hand_do_the_same() {
    let output = q3().args(["fork", "-3"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert_eq!(stderr_of(&output), "");
    check_parent_and_child_lines(&stdout_of(&output), "-3", "exit code 0");
}

#[test]
fn pid_takes_the_number_to_print() {
    q3().args(["pid", "-42"])
        .assert()
        .success()
        .stdout(predicate::str::contains(", Number: -42\n"));
}

#[test]
fn pid_on_a_thread_reports_the_main_process_id() {
    let output = q3().args(["pid", "--threads", "7"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = stdout_of(&output);
    let main = stdout
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("Main process ID: "))
        .unwrap();
    assert_eq!(
        stdout,
        format!(
            "Main process ID: {main}\nWorker process ID: {main}, Number: 7\n\
             Thread finished: it ran inside process {main}, the main process\n"
        )
    );
}

#[test]
fn latency_applies_only_to_the_built_in_server() {
    q3().args(["download", "http://127.0.0.1:1/", "--latency-ms", "5"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::starts_with(
            "error: the argument '[URL]...' cannot be used with '--latency-ms <MS>'",
        ));
}

#[test]
fn bad_options_are_usage_errors() {
    for args in [
        &["download", "--timeout", "0"][..],
        &["download", "--timeout", "-1"],
        &["download", "--timeout", "soon"],
        &["download", "--latency-ms", "-5"],
        &["download", "--out-dir"],
        &["pid", "five"],
        &["pid", "--nope"],
        &["command", "five"],
        &["fork", "1", "2"],
        &["upload"],
    ] {
        q3().args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::function(support::cli::is_usage_error));
    }
}

#[test]
fn help_documents_the_commands_and_exit_codes() {
    q3().arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("download").and(predicate::str::contains("pid")))
        .stdout(predicate::str::contains(
            "std::process::Command starts another program",
        ))
        .stdout(predicate::str::contains("fork() copies this process"))
        .stdout(predicate::str::contains(
            "a shell reports exit code 128 + its number, such as 130 (SIGINT) or 143 (SIGTERM).",
        ))
        .stdout(predicate::str::ends_with(format!(
            "{}\n",
            support::cli::EXIT_CODES_HELP
        )));
    q3().args(["download", "--help"]).assert().success().stdout(
        predicate::str::contains("--out-dir <DIR>")
            .and(predicate::str::contains("--timeout <SECONDS>"))
            .and(predicate::str::contains("--latency-ms <MS>"))
            .and(predicate::str::contains("--threads"))
            .and(predicate::str::contains(
                "Ctrl-C (SIGINT), SIGTERM, a hang-up (SIGHUP)",
            ))
            .and(predicate::str::contains(
                "such as 130 (SIGINT) or 143 (SIGTERM)",
            ))
            .and(predicate::str::ends_with(format!(
                "{}\n",
                support::cli::EXIT_CODES_HELP
            ))),
    );
}
