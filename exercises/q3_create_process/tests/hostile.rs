//! `q3_create_process` in a hostile environment, as an ordinary user makes one: output into a
//! pipe nobody reads (`| head`), onto a full disk, few processes, descriptors or memory
//! allowed, a terminal without cursor movement, a hang-up, and URLs and paths that are odd but
//! possible.
//!
//! Every server is on 127.0.0.1. Lines printed by worker processes come in any order, so tests
//! look for each line, never for an order among them.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use q3_create_process::server::{Fault, SAMPLE_FILES, Server};
use support::hostile::{self, Limit};
use support::proc::{eventually, is_running, workers_of};

const BIN: &str = env!("CARGO_BIN_EXE_q3_create_process");
const PROGRAM: &str = "q3_create_process";
const LIMIT: Duration = Duration::from_secs(60);

fn q3(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    cmd
}

/// `download URLS... -o DIR` (with `extra` options).
fn download(urls: &[String], dir: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("download")
        .args(urls)
        .arg("-o")
        .arg(dir)
        .args(extra);
    cmd
}

/// The names in `dir`, sorted: a leftover temporary directory (`.downloading.*`) shows here.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn files(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("file{i}.txt")).collect()
}

#[test]
fn output_that_cannot_be_written_follows_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let dir_arg = dir.path().to_str().unwrap();
    hostile::assert_output_rules(Path::new(BIN), PROGRAM, &["-o", dir_arg]);
    for args in [
        &["download", "--threads", "-o", dir_arg][..],
        &["pid"],
        &["pid", "--threads"],
        &["command"],
        &["fork"],
        &["help"],
        &["help", "download"],
        &["download", "--help"],
    ] {
        hostile::assert_quiet_on_a_closed_pipe(&mut q3(args));
        hostile::assert_one_line_on_a_full_disk(&mut q3(args), PROGRAM);
    }
    // The first line failed, so nothing was downloaded, and nothing is left over.
    assert_eq!(names_in(dir.path()), Vec::<String>::new());
}

#[test]
fn workers_that_cannot_print_still_save_their_files() {
    // Given URLs, the parent prints nothing before the workers' `Downloaded …` lines: those are
    // the first writes to fail. The files are complete by then, so they stay; the program then
    // ends as its output says (quietly for a closed pipe, one line for a full disk).
    let server = Server::start(SAMPLE_FILES, Duration::ZERO).unwrap();
    for mode in [&[][..], &["--threads"]] {
        let dir = tempfile::tempdir().unwrap();
        hostile::assert_quiet_on_a_closed_pipe(&mut download(&server.urls(), dir.path(), mode));
        assert_eq!(names_in(dir.path()), files(3), "{mode:?}");
        let dir = tempfile::tempdir().unwrap();
        hostile::assert_one_line_on_a_full_disk(
            &mut download(&server.urls(), dir.path(), mode),
            PROGRAM,
        );
        assert_eq!(names_in(dir.path()), files(3), "{mode:?}");
    }
}

/// Checks one run under a resource limit: no panic, no abort, a documented exit code, every
/// error line one of `allowed` (each a part of the line), and nothing left in `dir` but
/// downloaded files.
fn check_limited_run(cmd: &mut Command, dir: &Path, allowed: &[&str], what: &str) {
    let (status, stderr) = hostile::run(cmd).unwrap();
    if stderr.contains("error while loading shared libraries") {
        // So little memory that the system's loader could not even map the C library: the
        // program never started.
        return;
    }
    if hostile::std_thread_start_abort(&stderr) {
        // The standard library's own abort, outside any code of ours (see the function).
        return;
    }
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "{what}: {status}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    for line in stderr.lines() {
        assert!(
            line.starts_with("q3_create_process: error: ")
                && allowed.iter().any(|a| line.contains(a)),
            "{what}: {line}\n{stderr}"
        );
    }
    // Out of memory the program exits at once, running no clean-up (nothing may allocate), so
    // its hidden directory stays, as after SIGKILL, for the next run to remove. So does one it
    // could not remove (said in its own line).
    let left_for_next_run =
        stderr.contains("error: out of memory: ") || stderr.contains("error: cannot remove ");
    for name in names_in(dir) {
        let allowed =
            name.starts_with("file") || (left_for_next_run && name.starts_with(".downloading."));
        assert!(allowed, "{what}: {name} left over");
    }
}

#[test]
fn few_processes_allowed_is_an_error_not_a_panic() {
    // From nothing at all to enough for part of the work: wherever starting a thread or a
    // process fails, the download (or the program) says so in one line, never panics.
    let server = Server::start(SAMPLE_FILES, Duration::ZERO).unwrap();
    let allowed = [
        "could not start a ",
        "Resource temporarily unavailable (os error 11)",
    ];
    for tasks in 1..=14 {
        for mode in [&[][..], &["--threads"]] {
            let dir = tempfile::tempdir().unwrap();
            hostile::writable_by_anyone(dir.path()).unwrap();
            let mut cmd = download(&server.urls(), dir.path(), mode);
            hostile::few_tasks(&mut cmd, tasks);
            check_limited_run(
                &mut cmd,
                dir.path(),
                &allowed,
                &format!("{tasks} tasks {mode:?}"),
            );
        }
        for args in [&["pid"][..], &["pid", "--threads"], &["command"], &["fork"]] {
            let mut cmd = q3(args);
            hostile::few_tasks(&mut cmd, tasks);
            let (status, stderr) = hostile::run(&mut cmd).unwrap();
            assert!(matches!(status.code(), Some(0 | 1)), "{args:?}: {stderr}");
            assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
            if status.code() == Some(1) {
                assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
            }
        }
    }
}

#[test]
fn little_memory_is_an_error_not_an_abort() {
    // `ulimit -v`: threads share one address space, so the threaded downloads run out first.
    let server = Server::start(SAMPLE_FILES, Duration::ZERO).unwrap();
    let allowed = [
        "could not start a ",
        "error: out of memory: ",
        "Cannot allocate memory",
        "Resource temporarily unavailable",
    ];
    // Fine steps: the band where the threaded downloads run out is a few MiB wide.
    for mib in (16..=96).step_by(2) {
        for mode in [&["--threads"][..], &[]] {
            let dir = tempfile::tempdir().unwrap();
            let mut cmd = download(&server.urls(), dir.path(), mode);
            hostile::limit(&mut cmd, Limit::AddressSpace, mib << 20);
            check_limited_run(
                &mut cmd,
                dir.path(),
                &allowed,
                &format!("{mib} MiB {mode:?}"),
            );
        }
    }
}

#[test]
fn out_of_descriptors_the_built_in_server_says_so() {
    // Whichever part runs out first (the parent starting a worker, a download connecting, the
    // built-in server accepting or answering), the reason given is the descriptor limit, never
    // a network fault it caused.
    let allowed = ["Too many open files", "out of file descriptors"];
    // From 12: below that the run cannot even remove its hidden directory at the end (the fork
    // server's socket and pidfd take two descriptors of the program's from the start).
    for files in 12..=28 {
        for mode in [&[][..], &["--threads"]] {
            let dir = tempfile::tempdir().unwrap();
            let mut cmd = q3(&["download", "--latency-ms", "0", "--timeout", "20"]);
            cmd.arg("-o").arg(dir.path()).args(mode);
            hostile::limit(&mut cmd, Limit::OpenFiles, files);
            check_limited_run(
                &mut cmd,
                dir.path(),
                &allowed,
                &format!("{files} files {mode:?}"),
            );
        }
    }
}

#[test]
fn a_dumb_or_unknown_terminal_still_shows_every_line() {
    // Spinners need a terminal that moves its cursor; without one (TERM=dumb, or no TERM) the
    // workers print their own lines, as in a pipe.
    for term in [Some("dumb"), None, Some("xterm-256color")] {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = q3(&["download", "--latency-ms", "0", "-o"]);
        cmd.arg(dir.path());
        match term {
            Some(term) => cmd.env("TERM", term),
            None => cmd.env_remove("TERM"),
        };
        let shown = hostile::on_terminal(cmd, LIMIT).unwrap();
        assert_eq!(shown.status.code(), Some(0), "{term:?}: {}", shown.text);
        for n in 1..=3 {
            let line = format!(
                "/data{n}.txt to {}",
                dir.path().join(format!("file{n}.txt")).display()
            );
            assert!(shown.text.contains(&line), "{term:?}: {:?}", shown.text);
        }
        assert!(shown.text.contains("All downloads completed\n"), "{term:?}");
    }
}

/// A run stalled on the built-in server's `/fault/stall`, under way in `dir`: returns the
/// child and the server.
fn stalled_run(dir: &Path) -> (std::process::Child, Server) {
    let server = Server::start(SAMPLE_FILES, Duration::ZERO).unwrap();
    let mut cmd = download(&[server.fault_url(Fault::Stall)], dir, &[]);
    hostile::default_signals(&mut cmd);
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        eventually(LIMIT, || server.connections() == 1),
        "the download never reached the server"
    );
    (child, server)
}

#[test]
fn a_hang_up_or_quit_cleans_up_as_ctrl_c_does() {
    for (signal, name) in [
        (libc::SIGHUP, "SIGHUP"),
        (libc::SIGQUIT, "SIGQUIT"),
        (libc::SIGUSR1, "SIGUSR1"),
        (libc::SIGUSR2, "SIGUSR2"),
        (libc::SIGALRM, "SIGALRM"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (mut child, _server) = stalled_run(dir.path());
        let workers = workers_of(child.id());
        support::proc::signal(child.id(), signal);
        let ended = eventually(LIMIT, || child.try_wait().unwrap().is_some());
        if !ended {
            let _ = child.kill();
        }
        let output = child.wait_with_output().unwrap();
        assert!(ended, "still running after {name}");
        assert_eq!(
            output.status.signal(),
            Some(signal),
            "{name}: {:?}",
            output.status
        );
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            format!("q3_create_process: interrupted by {name}; unfinished downloads removed\n")
        );
        assert_eq!(names_in(dir.path()), Vec::<String>::new(), "after {name}");
        for worker in workers {
            assert!(eventually(LIMIT, || !is_running(worker)), "worker {worker}");
        }
    }
}

#[test]
fn a_later_run_removes_what_a_killed_run_left() {
    let dir = tempfile::tempdir().unwrap();
    // What an older or killed run leaves: a hidden directory with a half-written file.
    let stale = dir.path().join(".downloading.AbC123");
    fs::create_dir(&stale).unwrap();
    fs::write(stale.join("file1.txt.part"), "half").unwrap();
    // The next run takes it away as it starts; a run still under way keeps its own.
    let (mut running, _stalled_server) = stalled_run(dir.path());
    assert!(!stale.exists());
    assert_eq!(names_in(dir.path()).len(), 1);
    let server = Server::start(SAMPLE_FILES, Duration::ZERO).unwrap();
    let urls = &server.urls()[..1];
    cargo_bin_cmd!("q3_create_process")
        .arg("download")
        .args(urls)
        .arg("-o")
        .arg(dir.path())
        .timeout(LIMIT)
        .assert()
        .success();
    let names = names_in(dir.path());
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(names[1], "file1.txt");
    assert!(names[0].starts_with(".downloading."), "{names:?}");
    // Killed, the running one leaves its directory; the next run takes it away.
    running.kill().unwrap();
    running.wait().unwrap();
    cargo_bin_cmd!("q3_create_process")
        .arg("download")
        .args(urls)
        .arg("-o")
        .arg(dir.path())
        .timeout(LIMIT)
        .assert()
        .success();
    assert_eq!(names_in(dir.path()), ["file1.txt"]);
}

#[test]
fn a_file_as_the_output_directory_is_a_usage_error_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("afile");
    fs::write(&plain, "").unwrap();
    for out in [plain.clone(), plain.join("sub")] {
        cargo_bin_cmd!("q3_create_process")
            .args(["download", "-o"])
            .arg(&out)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains("not a directory"))
            .stderr(predicate::function(support::cli::is_usage_error));
    }
    assert_eq!(names_in(dir.path()), ["afile"]);
}

#[test]
fn an_output_directory_that_is_not_utf8_works_in_both_modes() {
    let server = Server::start(SAMPLE_FILES, Duration::ZERO).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (mode, name) in [(&[][..], &b"proc\xff"[..]), (&["--threads"], b"thr\xfe")] {
        let out: PathBuf = dir.path().join(OsStr::from_bytes(name));
        let mut cmd = download(&server.urls(), &out, mode);
        let (status, stderr) = hostile::run(&mut cmd).unwrap();
        assert_eq!(status.code(), Some(0), "{mode:?}: {stderr}");
        assert_eq!(names_in(&out), files(3), "{mode:?}");
    }
}

#[test]
fn urls_that_cannot_be_downloaded_are_usage_errors_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    for (url, why) in [
        (
            "ftp://127.0.0.1/file",
            "the scheme is `ftp`; only http and https are supported",
        ),
        ("notaurl", "relative URL without a base"),
        ("", "relative URL without a base"),
        ("http://", "empty host"),
    ] {
        cargo_bin_cmd!("q3_create_process")
            .args(["download", "http://127.0.0.1:1/fine", url, "-o"])
            .arg(dir.path())
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(why))
            .stderr(predicate::function(support::cli::is_usage_error));
    }
    assert_eq!(names_in(dir.path()), Vec::<String>::new());
}

#[test]
fn a_password_in_a_url_is_never_printed() {
    let server = Server::start(SAMPLE_FILES, Duration::ZERO).unwrap();
    let with_password = |path: &str| format!("http://me:s3cret@{}{path}", server.addr());
    let dir = tempfile::tempdir().unwrap();
    let urls = [
        with_password("/data1.txt"),
        with_password(Fault::NotFound.path()),
    ];
    for mode in [&[][..], &["--threads"]] {
        let output = download(&urls, dir.path(), mode).output().unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            !stdout.contains("s3cret") && !stderr.contains("s3cret"),
            "{stdout}{stderr}"
        );
        assert!(stdout.contains(&format!(
            "Downloaded http://me:***@{}/data1.txt",
            server.addr()
        )));
        assert!(stderr.contains(&format!(
            "http://me:***@{}/fault/404: the server answered 404",
            server.addr()
        )));
    }
    // Not even in a usage error.
    cargo_bin_cmd!("q3_create_process")
        .args(["download", "ftp://me:s3cret@example.com/x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("s3cret").not())
        .stderr(predicate::str::contains("ftp://me:***@example.com/x"));
}

/// Runs `download URL` against a given server and returns the reason printed for it.
fn reason_for(url: &str, extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let output = download(&[url.to_owned()], dir.path(), extra)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(names_in(dir.path()), Vec::<String>::new());
    let stderr = String::from_utf8(output.stderr).unwrap();
    stderr
        .strip_prefix(&format!(
            "q3_create_process: error: cannot download {url}: "
        ))
        .and_then(|s| s.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("{stderr}"))
        .to_owned()
}

#[test]
fn errors_say_what_happened_in_plain_words() {
    let server = Server::start(SAMPLE_FILES, Duration::ZERO).unwrap();
    let tls = format!("https://{}/data1.txt", server.addr());
    assert_eq!(
        reason_for(&tls, &[]),
        "could not connect: the server does not speak TLS (https); is it an http:// URL?"
    );
    assert_eq!(
        reason_for(&server.fault_url(Fault::RedirectToFile), &[]),
        "the server redirected to file:///etc/passwd, which is not an http or https URL"
    );
}

#[test]
fn a_server_that_trickles_meets_the_overall_deadline() {
    // One byte every 50 ms never trips the stall limit (--timeout), but the whole download is
    // limited too (--max-time).
    let server = Server::start(SAMPLE_FILES, Duration::ZERO).unwrap();
    let reason = reason_for(
        &server.fault_url(Fault::Trickle),
        &["--timeout", "5", "--max-time", "0.5"],
    );
    assert!(
        reason.starts_with("gave up after 500 ms: the download was still going (")
            && reason.ends_with(" bytes so far)"),
        "{reason}"
    );
    cargo_bin_cmd!("q3_create_process")
        .args(["download", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--max-time <SECONDS>"));
}

#[test]
fn seconds_below_a_millisecond_are_refused() {
    for bad in ["1e-10", "0.0001"] {
        for option in ["--timeout", "--max-time"] {
            cargo_bin_cmd!("q3_create_process")
                .args(["download", option, bad])
                .assert()
                .code(2)
                .stderr(predicate::str::contains("at least 1 ms"))
                .stderr(predicate::function(support::cli::is_usage_error));
        }
    }
}

#[test]
fn download_options_work_without_the_command() {
    let dir = tempfile::tempdir().unwrap();
    cargo_bin_cmd!("q3_create_process")
        .args(["--threads", "--latency-ms", "0", "-o"])
        .arg(dir.path())
        .timeout(LIMIT)
        .assert()
        .success()
        .stdout(predicate::str::contains("one per thread"));
    assert_eq!(names_in(dir.path()), files(3));
}
