//! The chapter's programs in a hostile environment, as an ordinary user makes one: output into
//! a pipe nobody reads (`| head`), onto a full disk, few processes allowed. `panics` keeps the
//! two panics it makes on purpose; the environment adds none.

use std::path::Path;
use std::process::{Command, Stdio};

use support::hostile;

const PANICS: &str = env!("CARGO_BIN_EXE_panics");
const WORKLOADS: &str = env!("CARGO_BIN_EXE_workloads");
const DEBUG_VS_RELEASE: &str = env!("CARGO_BIN_EXE_debug_vs_release");

/// The panic `panics` makes first, as the default panic handler prints it.
const FIRST_PANIC: &str = "no such file: data.csv";

#[test]
fn workloads_follow_the_output_rules() {
    hostile::assert_output_rules(Path::new(WORKLOADS), "workloads", &["--size", "1000"]);
}

#[test]
fn debug_vs_release_follows_the_output_rules() {
    // Its own output comes after both builds have run (their output is read through pipes of
    // its own), so this builds the package in release mode, as its test in cli.rs does.
    hostile::assert_output_rules(
        Path::new(DEBUG_VS_RELEASE),
        "debug_vs_release",
        &["--size", "1000", "--runs", "1"],
    );
}

#[test]
fn panics_follows_the_output_rules_after_its_first_panic() {
    // Its first line comes after its first panic, whose message the default handler prints on
    // standard error: that message, then the end the rules give.
    let (status, stderr) =
        hostile::run(Command::new(PANICS).stdout(hostile::closed_pipe().unwrap())).unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGPIPE), "{stderr}");
    assert!(stderr.contains(FIRST_PANIC), "{stderr}");
    assert_eq!(stderr.matches("panicked").count(), 1, "{stderr}");

    let (status, stderr) =
        hostile::run(Command::new(PANICS).stdout(hostile::full_disk().unwrap())).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(FIRST_PANIC), "{stderr}");
    assert_eq!(stderr.matches("panicked").count(), 1, "{stderr}");
    assert!(
        stderr.ends_with(
            "\npanics: error: cannot write to standard output: No space left on device (os error 28)\n"
        ),
        "{stderr}"
    );
    for args in [&["--help"][..], &["--version"]] {
        hostile::assert_quiet_on_a_closed_pipe(Command::new(PANICS).args(args));
        hostile::assert_one_line_on_a_full_disk(Command::new(PANICS).args(args), "panics");
    }
    let status = Command::new(PANICS)
        .arg("--no-such-option")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(hostile::full_disk().unwrap())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));
}

#[test]
fn a_thread_that_cannot_start_is_an_error_not_a_panic() {
    // One task, the program itself: the first thread cannot start, and no panic is made.
    let mut cmd = Command::new(PANICS);
    hostile::few_tasks(&mut cmd, 1);
    let (status, stderr) = hostile::run(cmd.stdout(Stdio::null())).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "panics: error: could not start a thread: Resource temporarily unavailable (os error 11)\n"
    );
    // Two tasks: the first function's thread runs (and panics, on purpose); then `save_all`
    // meets the limit with some of its threads, unless each ended before the next started
    // (this is a race). Either way it ends as one of the two ways it may: no third panic.
    let mut cmd = Command::new(PANICS);
    if hostile::few_tasks(&mut cmd, 2) {
        let (status, stderr) = hostile::run(cmd.stdout(Stdio::null())).unwrap();
        let last = stderr.lines().last().unwrap_or_default();
        match status.code() {
            Some(0) => assert!(stderr.contains("the name has a space"), "{stderr}"),
            Some(1) => assert_eq!(
                last,
                "panics: error: could not start a thread: Resource temporarily unavailable \
                 (os error 11)",
                "{stderr}"
            ),
            _ => panic!("{status}: {stderr}"),
        }
    }
}
