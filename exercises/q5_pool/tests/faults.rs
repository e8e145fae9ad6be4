//! `q5_pool` under real faults: a worker killed from outside, Ctrl-C, a killed parent.
//! Each test bounds its own waits, so a regression fails instead of hanging.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::proc::{
    become_subreaper, cpu_time, eventually, is_running, signal, try_reap, workers_of,
};

const Q5: &str = env!("CARGO_BIN_EXE_q5_pool");

/// Starts `q5_pool` with `args` in a process group of its own and waits until its `workers`
/// worker processes exist.
fn start(args: &[&str], workers: usize) -> (Child, Vec<u32>) {
    let child = Command::new(Q5)
        .args(args)
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pids = Vec::new();
    assert!(
        eventually(Duration::from_secs(20), || {
            pids = workers_of(child.id());
            pids.len() == workers
        }),
        "q5_pool never had {workers} workers: {pids:?}"
    );
    (child, pids)
}

/// Waits (bounded) for `child` to exit; returns its exit code and stdout.
fn finish(mut child: Child) -> (Option<i32>, String) {
    let mut status = None;
    assert!(
        eventually(Duration::from_secs(30), || {
            status = child.try_wait().unwrap();
            status.is_some()
        }),
        "q5_pool did not exit"
    );
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    (status.unwrap().code(), stdout)
}

/// Every one of `pids` is gone within a second (reaped by us: we are their subreaper).
fn assert_all_gone(mut pids: Vec<u32>) {
    let gone = eventually(Duration::from_secs(1), || {
        pids.retain(|&pid| !try_reap(pid) && is_running(pid));
        pids.is_empty()
    });
    assert!(gone, "workers left behind: {pids:?}");
}

#[test]
fn a_killed_worker_fails_its_value_and_the_others_still_print() {
    let (child, workers) = start(&["--work-ms", "3000", "1", "2", "3", "4"], 4);
    // Each of the four workers gets one value; kill one once it is busy with it: its task
    // spins, so it soon uses more CPU than starting up takes (a few ms at most).
    let victim = workers[1];
    let busy = || cpu_time(victim).is_some_and(|t| t >= Duration::from_millis(50));
    assert!(
        eventually(Duration::from_secs(20), busy),
        "worker never got busy"
    );
    signal(victim, libc::SIGKILL);
    let (code, stdout) = finish(child);
    assert_eq!(code, Some(1), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    let expected = [
        "Gamma(1) = 1.0",
        "Gamma(2) = 1.0",
        "Gamma(3) = 2.0",
        "Gamma(4) = 6.0",
    ];
    let failed: Vec<_> = lines
        .iter()
        .zip(expected)
        .filter(|(line, want)| *line != want)
        .collect();
    assert_eq!(failed.len(), 1, "exactly one value fails: {stdout}");
    let (line, want) = failed[0];
    let value = want.split(" = ").next().unwrap();
    assert!(
        line.starts_with(&format!("{value}: task "))
            && line.ends_with(&format!(
                "worker process {victim} died, killed by signal 9 (SIGKILL)"
            )),
        "{line}"
    );
}

#[test]
fn ctrl_c_leaves_no_process_behind() {
    become_subreaper();
    let (child, workers) = start(&["--work-ms", "5000"], 4);
    // Ctrl-C in a terminal sends SIGINT to the whole foreground process group.
    let group = child.id();
    // SAFETY: kill takes plain integers; a negative pid addresses the process group we made.
    let sent = unsafe { libc::kill(-(group as libc::pid_t), libc::SIGINT) };
    assert_eq!(sent, 0);
    let (code, _) = finish(child);
    assert_eq!(code, None, "killed by SIGINT, not exited");
    assert_all_gone(workers);
}

#[test]
fn killing_the_parent_alone_ends_its_workers() {
    become_subreaper();
    let (child, workers) = start(&["--work-ms", "5000"], 4);
    // Only the parent: the workers must notice on their own (parent-death signal).
    signal(child.id(), libc::SIGKILL);
    let (code, _) = finish(child);
    assert_eq!(code, None);
    assert_all_gone(workers);
}
