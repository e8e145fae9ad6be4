//! `q6_four_processes` in a hostile environment, as an ordinary user makes one: output into a
//! pipe nobody reads (`| head`), onto a full disk, few processes allowed.
//!
//! In the default program only the children print, so these runs also check that a child's
//! broken pipe or full disk reaches the parent as what it is, not as a failed task.

use std::path::Path;
use std::process::Command;

use support::hostile;

const BIN: &str = env!("CARGO_BIN_EXE_q6_four_processes");

fn q6(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    cmd
}

#[test]
fn output_that_cannot_be_written_follows_the_rules() {
    hostile::assert_output_rules(Path::new(BIN), "q6_four_processes", &[]);
    for args in [
        &["--numbers"][..],
        &["--threads"],
        &["--threads", "--numbers"],
        &["--processes", "20"],
    ] {
        hostile::assert_quiet_on_a_closed_pipe(&mut q6(args));
        hostile::assert_one_line_on_a_full_disk(&mut q6(args), "q6_four_processes");
    }
}

#[test]
fn few_processes_allowed_is_an_error_not_a_panic() {
    for (args, what) in [
        (&[][..], "could not start a worker process: "),
        (&["--threads"], "could not start a thread: "),
        (&["--threads", "--numbers"], "could not start a thread: "),
    ] {
        // Two tasks: the program and one child (or thread); the second one cannot start.
        let mut cmd = q6(args);
        let exact = hostile::few_tasks(&mut cmd, 2);
        let (status, stderr) = hostile::run(&mut cmd).unwrap();
        assert_eq!(status.code(), Some(1), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with(&format!("q6_four_processes: error: {what}"))
                && stderr.ends_with("Resource temporarily unavailable (os error 11)\n"),
            "{args:?} (exact count: {exact}): {stderr}"
        );
    }
}
