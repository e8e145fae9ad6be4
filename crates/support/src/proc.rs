//! Looking at processes through `/proc` (Linux), and signalling them: what tests of
//! multi-process programs need to check that no child is left behind.

use std::thread;
use std::time::{Duration, Instant};

/// Polls `condition` every few milliseconds until it holds or `limit` passes.
pub fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// Direct children of process `pid`, read from /proc (every thread's `children` file).
pub fn children_of(pid: u32) -> Vec<u32> {
    let mut children = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return children;
    };
    for task in tasks.flatten() {
        if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
            children.extend(
                list.split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
    }
    children.sort_unstable();
    children.dedup();
    children
}

/// The one-letter state of `pid` from `/proc/<pid>/stat`: `R` running or runnable, `S`
/// sleeping, `Z` zombie, …; `None` if there is no such process.
pub fn state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The state follows the parenthesised command name, which may itself contain spaces.
    stat.rsplit_once(") ")?.1.chars().next()
}

/// CPU time `pid` has used so far (user + system), from `/proc/<pid>/stat`.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name: state is field 3, utime 14 and stime 15 (in clock ticks).
    let fields: Vec<&str> = stat.rsplit_once(") ")?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf takes an integer name and has no other preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Some(Duration::from_millis(ticks * 1000 / per_second))
}

/// Whether `pid` exists and is not a zombie.
pub fn is_running(pid: u32) -> bool {
    state(pid).is_some_and(|s| s != 'Z' && s != 'X')
}

/// Whether `pid` exists at all (a zombie counts: it has not been reaped).
pub fn exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Number of open file descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Makes this process the reaper of its orphaned descendants, so a test can wait for workers
/// whose parent it killed (instead of leaving them to init, where they could not be checked).
pub fn become_subreaper() {
    // SAFETY: PR_SET_CHILD_SUBREAPER takes an integer flag and no pointers.
    let ret = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    assert_eq!(ret, 0, "prctl(PR_SET_CHILD_SUBREAPER)");
}

/// Reaps `pid` if it has ended; true if it was reaped (or is not our child any more).
pub fn try_reap(pid: u32) -> bool {
    let mut status = 0;
    // __WALL: a "clone child", with no exit signal, as the pool's fork server makes them, is
    // reaped too.
    let flags = libc::WNOHANG | libc::__WALL;
    // SAFETY: `status` is valid for writes; WNOHANG never blocks.
    let ret = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, flags) };
    ret == pid as libc::pid_t || (ret == -1 && !exists(pid))
}

/// Whether `pid` is the fork server of a program using `common` (it names itself so): a child
/// of the program for as long as it runs, but not a worker.
pub fn is_fork_server(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .is_ok_and(|c| c.trim_end() == "fork server")
}

/// The worker processes of `pid`: its children, its fork server aside.
pub fn workers_of(pid: u32) -> Vec<u32> {
    children_of(pid)
        .into_iter()
        .filter(|&c| !is_fork_server(c))
        .collect()
}

/// Sends `signal` to `pid`.
pub fn signal(pid: u32, signal: libc::c_int) {
    // SAFETY: kill takes plain integers.
    let ret = unsafe { libc::kill(pid as libc::pid_t, signal) };
    assert_eq!(ret, 0, "kill({pid}, {signal})");
}
