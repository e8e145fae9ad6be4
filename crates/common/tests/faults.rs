//! Faults injected for real — signals, exits, aborts, stuck tasks, huge payloads, a killed
//! parent — and what the pool guarantees under each. Processes and descriptors are checked
//! through /proc. Tests run one at a time: some count the whole process's children and fds.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::{Error, Exit, Pool, Process, StartMethod, Task, task};
use libtest_mimic::Trial;
use serde_bytes::ByteBuf;
use support::{both, bounded_both, children_of, eventually, exists, open_fds, pool, start, test};

fn square(x: u64) -> u64 {
    x * x
}
fn worker_pid(_: ()) -> u32 {
    std::process::id()
}
fn sleep_ms(ms: u64) -> u32 {
    std::thread::sleep(Duration::from_millis(ms));
    std::process::id()
}
/// With a `dir`, writes a file named after this worker's pid into it, then sleeps: lets a
/// test find and kill the worker that is running this very task.
fn announce_then_sleep((dir, ms, value): (Option<PathBuf>, u64, u32)) -> u32 {
    if let Some(dir) = dir {
        std::fs::write(dir.join(std::process::id().to_string()), b"").unwrap();
    }
    std::thread::sleep(Duration::from_millis(ms));
    value
}
/// Returns `x`, except that the worker kills itself with SIGKILL on `x == die_on`.
fn die_on((x, die_on): (u32, u32)) -> u32 {
    if x == die_on {
        // SAFETY: kill takes plain integers; we signal our own process.
        unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
    }
    x
}
fn exit_with(code: i32) {
    std::process::exit(code)
}
fn abort_now(_: ()) {
    std::process::abort()
}
fn spin_forever(_: ()) {
    loop {
        std::hint::spin_loop();
    }
}
fn checksum(bytes: ByteBuf) -> (usize, u64) {
    (bytes.len(), bytes.iter().map(|&b| u64::from(b)).sum())
}
/// Encodes like a u32, except that 13 refuses to be encoded.
#[derive(Debug, serde::Deserialize)]
struct Picky(u32);
impl serde::Serialize for Picky {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            13 => Err(serde::ser::Error::custom("13 is unlucky")),
            n => s.serialize_u32(n),
        }
    }
}
fn picky_pred(x: Picky) -> Picky {
    Picky(x.0 - 1)
}
/// Decodes like a u32, except that 13 makes the decoder panic (in the parent).
#[derive(Debug, serde::Serialize)]
struct Fragile(u32);
impl<'de> serde::Deserialize<'de> for Fragile {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u32::deserialize(d)?;
        assert_ne!(n, 13, "cannot bear 13");
        Ok(Fragile(n))
    }
}
fn fragile(x: u32) -> Fragile {
    Fragile(x)
}
fn make_bytes(len: usize) -> ByteBuf {
    ByteBuf::from((0..len).map(|i| (i % 251) as u8).collect::<Vec<u8>>())
}
/// This worker's pid and `len` bytes: a result big enough to take a while to send.
fn pid_and_bytes(len: usize) -> (u32, ByteBuf) {
    (std::process::id(), make_bytes(len))
}
/// Starts a grandchild that shares every descriptor of this worker (a raw `clone`, so no
/// `atfork` handler runs), writes its pid into `dir`, then kills this worker. The grandchild
/// waits for a signal (and ends after two minutes, in case nobody sends one).
fn hide_death_behind_a_grandchild(dir: PathBuf) -> u32 {
    // SAFETY: a raw clone without CLONE_VM is a fork; the child only calls async-signal-safe
    // functions (alarm, pause) and never returns from this function.
    let pid = unsafe { libc::syscall(libc::SYS_clone, libc::SIGCHLD as libc::c_ulong, 0, 0, 0, 0) };
    if pid == 0 {
        // SAFETY: alarm and pause are async-signal-safe and take plain integers.
        unsafe {
            libc::alarm(120);
            loop {
                libc::pause();
            }
        }
    }
    std::fs::write(dir.join(pid.to_string()), b"").unwrap();
    // SAFETY: kill takes plain integers; we signal our own process.
    unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
    0
}
/// Forks; the copy writes the socket descriptors it holds (above 2) into `dir` and exits. The
/// worker waits for it and returns its exit code.
fn fork_and_list_sockets(dir: PathBuf) -> i32 {
    // SAFETY: the worker is single-threaded, so the child may run ordinary code before it exits
    // with `_exit` (which runs no handler of the parent's).
    match unsafe { libc::fork() } {
        0 => {
            let sockets: Vec<String> = std::fs::read_dir("/proc/self/fd")
                .unwrap()
                .flatten()
                .filter(|e| e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) > Some(2))
                .filter_map(|e| std::fs::read_link(e.path()).ok())
                .map(|target| target.to_string_lossy().into_owned())
                .filter(|target| target.starts_with("socket:"))
                .collect();
            std::fs::write(dir.join("sockets"), sockets.join(" ")).unwrap();
            // SAFETY: ends the child at once, as a forked child should.
            unsafe { libc::_exit(0) }
        }
        pid => wait_for(pid),
    }
}
/// With `fork`, forks and lets the copy *return* from the task (as careless code might); the
/// worker waits for the copy and returns its exit code. Without, leaves a marker named `tag`
/// and this worker's pid in `dir`.
fn fork_or_mark((fork, dir, tag): (bool, PathBuf, u32)) -> i32 {
    if !fork {
        std::fs::write(dir.join(format!("{tag}-{}", std::process::id())), b"").unwrap();
        return 0;
    }
    // SAFETY: the worker is single-threaded; the child returns into the worker's loop, which
    // must notice that it is a copy and end it.
    match unsafe { libc::fork() } {
        0 => -100,
        pid => wait_for(pid),
    }
}
/// Forks; the copy returns at once into the worker's loop, while the worker itself waits for
/// it and then stays in the task for `ms` more.
fn fork_then_stay(ms: u64) -> i32 {
    // SAFETY: the worker is single-threaded; the child returns into the worker's loop, which
    // must notice that it is a copy and end it before it writes anything.
    match unsafe { libc::fork() } {
        0 => -100,
        pid => {
            let code = wait_for(pid);
            std::thread::sleep(Duration::from_millis(ms));
            code
        }
    }
}
fn wait_for(pid: libc::pid_t) -> i32 {
    let mut status = 0;
    // SAFETY: `status` is valid for writes; `pid` is our child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -libc::WTERMSIG(status)
    }
}
/// What this process inherited: its descriptors (targets, above 2) and its ignored and blocked
/// signal masks, from /proc.
fn inherited(_: ()) -> (Vec<String>, u64, u64) {
    let fds = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) > Some(2))
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .map(|target| target.to_string_lossy().into_owned())
        .collect();
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let mask = |field: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .map(|hex| u64::from_str_radix(hex.trim(), 16).unwrap())
            .unwrap()
    };
    (fds, mask("SigIgn:"), mask("SigBlk:"))
}
/// Which process last wrote each: the code before `init` (`BEFORE_INIT`) and after it.
static BEFORE_INIT: AtomicU32 = AtomicU32::new(0);
static AFTER_INIT: AtomicU32 = AtomicU32::new(0);
/// What a worker has of the state its program set up before `init` and after it: the pids in
/// the two statics, and the variable `FAULT_TEST_WHEN` of its environment.
fn state_of_the_program(_: ()) -> (u32, u32, Option<String>) {
    (
        BEFORE_INIT.load(Ordering::Relaxed),
        AFTER_INIT.load(Ordering::Relaxed),
        std::env::var("FAULT_TEST_WHEN").ok(),
    )
}
/// Closes descriptors 3 to 63, as code that daemonizes or sanitizes does.
fn close_low_descriptors(x: u32) -> u32 {
    for fd in 3..64 {
        // SAFETY: closing a descriptor number is always allowed; this task owns none of them.
        unsafe { libc::close(fd) };
    }
    x
}

const SQUARE: Task<u64, u64> = task!(square);
const WORKER_PID: Task<(), u32> = task!(worker_pid);
const SLEEP_MS: Task<u64, u32> = task!(sleep_ms);
const ANNOUNCE_THEN_SLEEP: Task<(Option<PathBuf>, u64, u32), u32> = task!(announce_then_sleep);
const DIE_ON: Task<(u32, u32), u32> = task!(die_on);
const EXIT_WITH: Task<i32, ()> = task!(exit_with);
const ABORT_NOW: Task<(), ()> = task!(abort_now);
const SPIN_FOREVER: Task<(), ()> = task!(spin_forever);
const CHECKSUM: Task<ByteBuf, (usize, u64)> = task!(checksum);
const MAKE_BYTES: Task<usize, ByteBuf> = task!(make_bytes);
const PICKY_PRED: Task<Picky, Picky> = task!(picky_pred);
const FRAGILE: Task<u32, Fragile> = task!(fragile);
const PID_AND_BYTES: Task<usize, (u32, ByteBuf)> = task!(pid_and_bytes);
const HIDE_DEATH: Task<PathBuf, u32> = task!(hide_death_behind_a_grandchild);
const FORK_AND_LIST_SOCKETS: Task<PathBuf, i32> = task!(fork_and_list_sockets);
const FORK_OR_MARK: Task<(bool, PathBuf, u32), i32> = task!(fork_or_mark);
const FORK_THEN_STAY: Task<u64, i32> = task!(fork_then_stay);
const INHERITED: Task<(), (Vec<String>, u64, u64)> = task!(inherited);
const CLOSE_LOW_DESCRIPTORS: Task<u32, u32> = task!(close_low_descriptors);
const STATE_OF_THE_PROGRAM: Task<(), (u32, u32, Option<String>)> = task!(state_of_the_program);

/// Opens a file named `NAME-leak` in the temp directory without close-on-exec, as careless
/// code does; returns the descriptor.
fn leak_a_descriptor(name: &str) -> i32 {
    let path =
        std::env::temp_dir().join(format!("common-faults-{}-{name}-leak", std::process::id()));
    std::fs::write(&path, b"").unwrap();
    let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid path; opened without O_CLOEXEC on purpose.
    let fd = unsafe { libc::open(c_path.as_ptr(), libc::O_RDONLY) };
    assert!(fd >= 0);
    std::fs::remove_file(&path).unwrap();
    fd
}

/// The start method a child mode of this binary is asked for.
fn method_from_env() -> StartMethod {
    match std::env::var("FAULT_TEST_METHOD").as_deref() {
        Ok("spawn") => StartMethod::Spawn,
        _ => StartMethod::ForkServer,
    }
}

fn main() {
    // Modes in which this binary is a user's program, set up before `init` as a program might.
    let mode = std::env::var("FAULT_TEST_MODE").unwrap_or_default();
    if mode == "threads-before-init" {
        std::thread::spawn(|| std::thread::sleep(Duration::from_secs(60)));
    }
    if mode == "dirty-before-init" {
        BEFORE_INIT.store(std::process::id(), Ordering::Relaxed);
    }
    common::init(&[
        &SQUARE,
        &WORKER_PID,
        &SLEEP_MS,
        &ANNOUNCE_THEN_SLEEP,
        &DIE_ON,
        &EXIT_WITH,
        &ABORT_NOW,
        &SPIN_FOREVER,
        &CHECKSUM,
        &MAKE_BYTES,
        &PICKY_PRED,
        &FRAGILE,
        &PID_AND_BYTES,
        &HIDE_DEATH,
        &FORK_AND_LIST_SOCKETS,
        &FORK_OR_MARK,
        &FORK_THEN_STAY,
        &INHERITED,
        &CLOSE_LOW_DESCRIPTORS,
        &STATE_OF_THE_PROGRAM,
    ]);
    match mode.as_str() {
        "threads-before-init" => return threads_before_init(),
        "dirty-before-init" => return dirty_before_init(),
        "server-killed" => return server_killed(),
        "reaps-everything" => return reaps_everything(),
        _ => {}
    }
    // A mode in which this binary is a user's program that the test kills from outside.
    if mode == "parent-with-pool" {
        let pool = pool(method_from_env(), 3);
        let _busy = pool.apply_async(&SLEEP_MS, 60_000).unwrap();
        // The workers, then the fork server: none may outlive us.
        println!(
            "{}",
            pool.pids()
                .into_iter()
                .chain(common::fork_server_pid())
                .map(|pid| pid.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        );
        std::thread::sleep(Duration::from_secs(60));
        return;
    }

    let mut args = libtest_mimic::Arguments::from_args();
    args.test_threads = Some(1);
    // Reusing a pid on purpose (clone3 with set_tid) needs CAP_SYS_ADMIN; CI runs as root.
    let can_reuse_pids = support::can_choose_pids();
    let tests: Vec<Trial> = [
        both(
            "a_trace_shows_the_killed_task_where_it_ran",
            a_trace_shows_the_killed_task_where_it_ran,
        ),
        both(
            "a_worker_killed_from_outside_fails_only_its_task",
            a_worker_killed_from_outside_fails_only_its_task,
        ),
        both(
            "a_task_that_kills_its_worker_fails_alone_at_any_chunksize",
            a_task_that_kills_its_worker_fails_alone_at_any_chunksize,
        ),
        both(
            "exit_and_abort_are_reported_with_code_and_signal",
            exit_and_abort_are_reported_with_code_and_signal,
        ),
        both(
            "a_process_killed_or_terminated_reports_the_signal",
            a_process_killed_or_terminated_reports_the_signal,
        ),
        both(
            "a_stuck_task_times_out_and_its_worker_is_replaced",
            a_stuck_task_times_out_and_its_worker_is_replaced,
        ),
        both(
            "workers_are_replaced_after_max_tasks_per_child",
            workers_are_replaced_after_max_tasks_per_child,
        ),
        both(
            "terminate_is_prompt_with_thousands_of_tasks_queued",
            terminate_is_prompt_with_thousands_of_tasks_queued,
        ),
        both(
            "killing_the_parent_kills_every_worker_and_the_fork_server",
            killing_the_parent_kills_every_worker_and_the_fork_server,
        ),
        both(
            "a_pool_outlives_the_thread_that_created_it",
            a_pool_outlives_the_thread_that_created_it,
        ),
        both(
            "join_terminate_and_drop_leave_no_child_unreaped",
            join_terminate_and_drop_leave_no_child_unreaped,
        ),
        bounded_both(
            "descriptors_and_children_stay_flat_over_100k_tasks",
            Duration::from_secs(300),
            descriptors_and_children_stay_flat_over_100k_tasks,
        ),
        bounded_both(
            "descriptors_and_children_stay_flat_over_1000_pools",
            Duration::from_secs(300),
            descriptors_and_children_stay_flat_over_1000_pools,
        ),
        both(
            "payloads_of_64_mib_go_both_ways",
            payloads_of_64_mib_go_both_ways,
        ),
        both(
            "submitting_never_waits_for_a_busy_worker",
            submitting_never_waits_for_a_busy_worker,
        ),
        both(
            "encoding_errors_cost_no_worker",
            encoding_errors_cost_no_worker,
        ),
        both(
            "a_panicking_decoder_fails_its_items_not_the_pool",
            a_panicking_decoder_fails_its_items_not_the_pool,
        ),
        both(
            "a_lent_worker_does_not_hold_up_queued_work",
            a_lent_worker_does_not_hold_up_queued_work,
        ),
        both(
            "signals_do_not_cut_waits_short",
            signals_do_not_cut_waits_short,
        ),
        both(
            "a_grandchild_holding_the_channel_does_not_hide_a_death",
            a_grandchild_holding_the_channel_does_not_hide_a_death,
        ),
        both(
            "a_forked_copy_of_a_worker_holds_no_channel_and_runs_no_task",
            a_forked_copy_of_a_worker_holds_no_channel_and_runs_no_task,
        ),
        both(
            "a_copy_forked_in_the_last_item_does_not_mark_its_worker_idle",
            a_copy_forked_in_the_last_item_does_not_mark_its_worker_idle,
        ),
        both(
            "signals_never_reach_a_process_that_reused_a_workers_pid",
            signals_never_reach_a_process_that_reused_a_workers_pid,
        )
        .into_iter()
        .map(|t| t.with_ignored_flag(!can_reuse_pids))
        .collect(),
        both(
            "workers_inherit_no_descriptor_and_no_ignored_or_blocked_signal",
            workers_inherit_no_descriptor_and_no_ignored_or_blocked_signal,
        ),
        both(
            "a_task_that_closes_low_descriptors_keeps_its_channel",
            a_task_that_closes_low_descriptors_keeps_its_channel,
        ),
        vec![
            test(
                "init_with_a_thread_running_means_no_fork_server_and_spawn_by_default",
                init_with_a_thread_running_means_no_fork_server_and_spawn_by_default,
            ),
            test(
                "workers_start_clean_from_a_program_that_was_not",
                workers_start_clean_from_a_program_that_was_not,
            ),
            test(
                "a_killed_fork_server_fails_only_what_needs_it",
                a_killed_fork_server_fails_only_what_needs_it,
            ),
            test(
                "a_wait_for_any_child_never_reaps_a_forked_worker",
                a_wait_for_any_child_never_reaps_a_forked_worker,
            ),
        ],
        both(
            "a_death_after_the_last_item_ran_reruns_it",
            a_death_after_the_last_item_ran_reruns_it,
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    libtest_mimic::run(&args, tests).exit();
}

/// Child mode: `init` ran while a second thread was running, so there is no fork server.
fn threads_before_init() {
    println!("fork server: {:?}", common::fork_server_pid());
    println!("default: {}", common::default_start_method());
    match Pool::builder()
        .start_method(StartMethod::ForkServer)
        .workers(1)
        .build()
    {
        Ok(_) => println!("a forkserver pool started"),
        Err(e) => println!("forkserver: {e}"),
    }
    let pool = Pool::new(1).unwrap();
    println!(
        "{} pool: {}",
        pool.start_method(),
        pool.apply(&SQUARE, 7).unwrap()
    );
}

/// Child mode: started with a leaked descriptor, signals ignored and `FAULT_TEST_WHEN=before`
/// (see `workers_start_clean_from_a_program_that_was_not`), the program set a static before
/// `init`, and after it leaks a descriptor, sets another static and changes the variable.
/// Prints, per start method, what a worker got.
fn dirty_before_init() {
    leak_a_descriptor("after");
    AFTER_INIT.store(std::process::id(), Ordering::Relaxed);
    // SAFETY: no other thread reads the environment now.
    unsafe { std::env::set_var("FAULT_TEST_WHEN", "after") };
    let me = std::process::id();
    for method in support::METHODS {
        let pool = pool(method, 1);
        let worker = pool.pids()[0];
        let (fds, ignored, blocked) = pool.apply(&INHERITED, ()).unwrap();
        let (before, after, when) = pool.apply(&STATE_OF_THE_PROGRAM, ()).unwrap();
        let whose = |pid: u32| match pid {
            0 => "nobody",
            p if p == me => "parent",
            p if p == worker => "worker",
            _ => "someone else",
        };
        let leaked = fds.iter().filter(|t| t.ends_with("-leak")).count();
        let bits = [libc::SIGINT, libc::SIGQUIT, libc::SIGTERM]
            .iter()
            .fold(0u64, |m, &s| m | 1 << (s - 1));
        println!(
            "{method}: leaked {leaked}, ignored {:#x}, blocked {blocked:#x}, before init: {}, \
             after init: {}, FAULT_TEST_WHEN={}",
            ignored & bits,
            whose(before),
            whose(after),
            when.as_deref().unwrap_or("unset")
        );
    }
}

/// Child mode: the fork server is killed under a forkserver pool.
fn server_killed() {
    let server = common::fork_server_pid().expect("a fork server");
    let forked = pool(StartMethod::ForkServer, 1);
    support::signal(server, libc::SIGKILL);
    assert!(eventually(Duration::from_secs(20), || {
        common::fork_server_pid().is_none()
    }));
    println!("default now: {}", common::default_start_method());
    println!(
        "its worker still serves: {}",
        forked.apply(&SQUARE, 3).unwrap()
    );
    support::signal(forked.pids()[0], libc::SIGKILL);
    // The idle worker's death is found by the next task, which cannot get a new worker.
    match forked.apply(&SQUARE, 4) {
        Ok(v) => println!("replaced: {v}"),
        Err(e) => println!("then: {e}"),
    }
    match Pool::builder()
        .start_method(StartMethod::ForkServer)
        .workers(1)
        .build()
    {
        Ok(_) => println!("a new forkserver pool started"),
        Err(e) => println!("a new forkserver pool: {e}"),
    }
    let spawned = Pool::new(1).unwrap();
    println!(
        "a default pool: {} {}",
        spawned.start_method(),
        spawned.apply(&SQUARE, 5).unwrap()
    );
}

/// Runs this binary in child mode `mode`, set up by `configure`, and returns its standard
/// output; the child must succeed.
fn run_mode(mode: &str, configure: impl FnOnce(&mut Command)) -> String {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.env("FAULT_TEST_MODE", mode);
    configure(&mut command);
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{mode}: {}\n{stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn init_with_a_thread_running_means_no_fork_server_and_spawn_by_default() {
    let out = run_mode("threads-before-init", |_| {});
    assert!(out.contains("fork server: None\ndefault: spawn\n"), "{out}");
    assert!(
        out.contains(
            "forkserver: could not start a worker process: common::init ran while this \
             process had 2 threads"
        ),
        "{out}"
    );
    assert!(out.contains("spawn pool: 49\n"), "{out}");
}

fn workers_start_clean_from_a_program_that_was_not() {
    // Dirty from the start (as a program started by a careless parent is: a descriptor left
    // open, signals ignored as in a background job) and after `init` too: neither method
    // passes on a descriptor or an ignored signal. What each passes on of the program's own
    // state is what the book says: a spawned worker runs the code before `init` itself and
    // gets the environment as it is now; a forked one has the program's memory and
    // environment as they were at `init`.
    let path =
        std::env::temp_dir().join(format!("common-faults-{}-start-leak", std::process::id()));
    std::fs::write(&path, b"").unwrap();
    let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    let out = run_mode("dirty-before-init", |command| {
        command.env("FAULT_TEST_WHEN", "before");
        // SAFETY: between fork and exec, only async-signal-safe calls (open, signal) on data
        // prepared before the fork.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(command, move || {
                libc::open(c_path.as_ptr(), libc::O_RDONLY); // no close-on-exec: leaked
                for signal in [libc::SIGINT, libc::SIGQUIT, libc::SIGTERM] {
                    libc::signal(signal, libc::SIG_IGN);
                }
                Ok(())
            });
        }
    });
    std::fs::remove_file(&path).unwrap();
    assert!(
        out.contains(
            "spawn: leaked 0, ignored 0x0, blocked 0x0, before init: worker, after init: \
             nobody, FAULT_TEST_WHEN=after\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "forkserver: leaked 0, ignored 0x0, blocked 0x0, before init: parent, after init: \
             nobody, FAULT_TEST_WHEN=before\n"
        ),
        "{out}"
    );
}

fn a_killed_fork_server_fails_only_what_needs_it() {
    let out = run_mode("server-killed", |_| {});
    assert!(out.contains("default now: spawn\n"), "{out}");
    assert!(out.contains("its worker still serves: 9\n"), "{out}");
    assert!(
        out.contains("then: could not start a worker process: ")
            && out.contains("the fork server (process "),
        "{out}"
    );
    assert!(
        out.contains("a new forkserver pool: could not start a worker process: "),
        "{out}"
    );
    assert!(out.contains("a default pool: spawn 25\n"), "{out}");
}

/// Child mode: a program with a forkserver pool reaps "every child" itself, as some libraries'
/// SIGCHLD handlers do, while one of the workers has died.
fn reaps_everything() {
    let pool = pool(StartMethod::ForkServer, 2);
    let victim = pool.pids()[0];
    support::signal(victim, libc::SIGKILL);
    std::thread::sleep(Duration::from_millis(50));
    // SAFETY: waitpid with a null status pointer only reaps a child, if any.
    let reaped = unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) };
    let errno = std::io::Error::last_os_error().raw_os_error();
    println!("waitpid(-1) = {reaped} ({errno:?})");
    let squares = pool.chunksize(1).map(&SQUARE, [1, 2, 3, 4]).unwrap();
    println!("map: {squares:?}");
    assert!(eventually(Duration::from_secs(10), || {
        pool.pids().len() == 2 && !pool.pids().contains(&victim)
    }));
    println!("replaced");
}

fn a_wait_for_any_child_never_reaps_a_forked_worker() {
    // Forked workers (and the fork server) are "clone children": `waitpid(-1)` elsewhere in the
    // program does not see them, so it cannot take a worker's exit status (or its pid) from
    // the pool. (In a program of its own: this one has other children.)
    let out = run_mode("reaps-everything", |_| {});
    assert!(
        out.contains(&format!("waitpid(-1) = -1 (Some({}))", libc::ECHILD)),
        "{out}"
    );
    assert!(out.contains("map: [1, 4, 9, 16]\nreplaced\n"), "{out}");
}

/// A fresh empty directory for marker files.
fn marker_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("common-faults-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Waits for the first marker file in `dir` and returns the pid it names.
fn announced_pid(dir: &Path) -> u32 {
    let mut pid = None;
    assert!(
        eventually(Duration::from_secs(20), || {
            pid = std::fs::read_dir(dir)
                .unwrap()
                .flatten()
                .find_map(|e| e.file_name().to_str()?.parse().ok());
            pid.is_some()
        }),
        "no task announced itself"
    );
    pid.unwrap()
}

fn a_worker_killed_from_outside_fails_only_its_task(m: StartMethod) {
    let pool = pool(m, 2);
    let dir = marker_dir("killed");
    // Item 3 runs long and announces its worker; the others are quick.
    let items: Vec<(Option<PathBuf>, u64, u32)> = (0..8)
        .map(|i| {
            if i == 3 {
                (Some(dir.clone()), 30_000, i)
            } else {
                (None, 0, i)
            }
        })
        .collect();
    let killer = std::thread::spawn({
        let dir = dir.clone();
        move || {
            let pid = announced_pid(&dir);
            support::signal(pid, libc::SIGKILL);
            pid
        }
    });
    let results: Vec<_> = pool
        .chunksize(1)
        .imap(&ANNOUNCE_THEN_SLEEP, items)
        .collect();
    let killed = killer.join().unwrap();
    for (i, result) in results.iter().enumerate() {
        if i == 3 {
            let err = result.as_ref().unwrap_err();
            assert!(
                matches!(err, Error::WorkerDied { index: Some(3), pid, exit: Exit::Signal(9) } if *pid == killed),
                "{err:?}"
            );
            assert!(
                err.to_string().contains("killed by signal 9 (SIGKILL)"),
                "{err}"
            );
        } else {
            assert_eq!(result.as_ref().unwrap(), &(i as u32), "item {i}");
        }
    }
    // The pool replaced the worker and carries on.
    assert!(!pool.pids().contains(&killed));
    assert_eq!(
        pool.map(&SQUARE, 0..10).unwrap(),
        (0..10).map(|x| x * x).collect::<Vec<_>>()
    );
    // The replacement starts right after the failure is reported, so it may still be starting.
    assert!(
        eventually(Duration::from_secs(10), || pool.pids().len() == 2),
        "{:?}",
        pool.pids()
    );
}

fn a_task_that_kills_its_worker_fails_alone_at_any_chunksize(m: StartMethod) {
    let pool = pool(m, 2);
    for chunksize in [1, 3, 7, 20] {
        let items: Vec<(u32, u32)> = (0..20).map(|x| (x, 7)).collect();
        let results: Vec<_> = pool
            .chunksize(chunksize)
            .imap(&DIE_ON, items.clone())
            .collect();
        for (i, result) in results.iter().enumerate() {
            match result {
                Ok(v) => assert_eq!(*v, i as u32),
                Err(e) => {
                    assert_eq!(i, 7, "chunksize {chunksize}: {e}");
                    assert!(
                        matches!(
                            e,
                            Error::WorkerDied {
                                exit: Exit::Signal(9),
                                ..
                            }
                        ),
                        "{e:?}"
                    );
                }
            }
        }
        assert!(results[7].is_err(), "chunksize {chunksize}");
        let err = pool.chunksize(chunksize).map(&DIE_ON, items).unwrap_err();
        assert_eq!(err.index(), Some(7), "chunksize {chunksize}: {err}");
    }
    assert_eq!(pool.apply(&SQUARE, 9).unwrap(), 81);
}

fn a_trace_shows_the_killed_task_where_it_ran(m: StartMethod) {
    let pool = pool(m, 2);
    for chunksize in [1, 4] {
        let trace = common::Trace::new();
        let items: Vec<(u32, u32)> = (0..8).map(|x| (x, 5)).collect();
        let results: Vec<_> = pool
            .trace(&trace)
            .chunksize(chunksize)
            .imap(&DIE_ON, items)
            .collect();
        assert!(results[5].is_err());
        let spans = trace.spans();
        let killed: Vec<_> = spans
            .iter()
            .filter(|s| s.outcome == common::Outcome::Killed)
            .collect();
        assert_eq!(killed.len(), 1, "chunksize {chunksize}: {spans:?}");
        assert_eq!(killed[0].index, 5);
        assert!(killed[0].start <= killed[0].end);
        // Every other item ran, once, and is drawn as such.
        let ran: BTreeSet<usize> = spans
            .iter()
            .filter(|s| s.outcome == common::Outcome::Ran)
            .map(|s| s.index)
            .collect();
        assert_eq!(ran, [0, 1, 2, 3, 4, 6, 7].into(), "chunksize {chunksize}");
        assert!(trace.svg("crash").contains(", killed</title>"));
    }
    // A direct apply and a timed-out task are drawn as killed too.
    let trace = common::Trace::new();
    assert!(pool.trace(&trace).apply(&DIE_ON, (1, 1)).is_err());
    assert!(
        pool.trace(&trace)
            .task_timeout(Duration::from_millis(50))
            .apply(&SPIN_FOREVER, ())
            .is_err()
    );
    let outcomes: Vec<_> = trace.spans().iter().map(|s| (s.index, s.outcome)).collect();
    assert_eq!(
        outcomes,
        [(0, common::Outcome::Killed), (1, common::Outcome::Killed)]
    );
    let timed_out = trace.spans()[1];
    assert!(timed_out.end - timed_out.start >= Duration::from_millis(50));
}

fn exit_and_abort_are_reported_with_code_and_signal(m: StartMethod) {
    let pool = pool(m, 2);
    let err = pool.apply(&EXIT_WITH, 3).unwrap_err();
    assert!(
        matches!(
            err,
            Error::WorkerDied {
                exit: Exit::Code(3),
                ..
            }
        ),
        "{err:?}"
    );
    let err = pool.apply(&ABORT_NOW, ()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::WorkerDied {
                exit: Exit::Signal(6),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("SIGABRT"), "{err}");
    // Even exit(0) in the middle of a task is a death: the task never returned.
    let err = pool.apply(&EXIT_WITH, 0).unwrap_err();
    assert!(
        matches!(
            err,
            Error::WorkerDied {
                exit: Exit::Code(0),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(pool.apply(&SQUARE, 4).unwrap(), 16);

    // The same through Process, with Python's exit codes.
    let process = start(m, &EXIT_WITH, 3).unwrap();
    assert_eq!(process.wait(), Exit::Code(3));
    assert_eq!(process.exitcode(), Some(3));
    assert!(matches!(
        process.join(),
        Err(Error::WorkerDied {
            exit: Exit::Code(3),
            ..
        })
    ));
    let process = start(m, &ABORT_NOW, ()).unwrap();
    assert_eq!(process.wait().python_exitcode(), Some(-6));
    assert!(matches!(
        process.join(),
        Err(Error::WorkerDied {
            exit: Exit::Signal(6),
            ..
        })
    ));
}

fn a_process_killed_or_terminated_reports_the_signal(m: StartMethod) {
    for (signal, stop) in [
        (9, Process::kill as fn(&Process<u32>) -> _),
        (15, Process::terminate),
    ] {
        let process = start(m, &SLEEP_MS, 30_000).unwrap();
        assert!(process.is_alive());
        assert_eq!(
            process.join_timeout(Duration::from_millis(50)),
            None,
            "still running"
        );
        stop(&process).unwrap();
        assert_eq!(
            process.join_timeout(Duration::from_secs(20)),
            Some(Exit::Signal(signal))
        );
        assert!(!process.is_alive());
        assert_eq!(process.exitcode(), Some(-signal));
        let pid = process.pid();
        let err = process.join().unwrap_err();
        assert!(
            matches!(err, Error::WorkerDied { exit: Exit::Signal(s), .. } if s == signal),
            "{err:?}"
        );
        assert!(!exists(pid), "reaped");
    }
}

fn a_stuck_task_times_out_and_its_worker_is_replaced(m: StartMethod) {
    let limit = Duration::from_millis(300);
    let pool = Pool::builder()
        .start_method(m)
        .workers(2)
        .task_timeout(limit)
        .build()
        .unwrap();
    let before: BTreeSet<u32> = pool.pids().into_iter().collect();
    let err = pool.apply(&SPIN_FOREVER, ()).unwrap_err();
    assert!(
        matches!(err, Error::TaskTimeout { index: None, limit: l } if l == limit),
        "{err:?}"
    );
    // The replacement starts right after the failure is reported, so it may still be starting.
    assert!(eventually(Duration::from_secs(10), || pool.pids().len() == 2));
    let after: BTreeSet<u32> = pool.pids().into_iter().collect();
    assert_eq!(
        before.intersection(&after).count(),
        1,
        "one worker replaced: {before:?} → {after:?}"
    );
    // A call-level limit; the quick tasks around the stuck one are unaffected.
    let pool = support::pool(m, 2);
    let items = [10, 10, 20_000, 10, 10];
    let results: Vec<_> = pool
        .task_timeout(Duration::from_millis(300))
        .chunksize(2)
        .imap(&SLEEP_MS, items)
        .collect();
    for (i, result) in results.iter().enumerate() {
        if i == 2 {
            assert!(
                matches!(result, Err(Error::TaskTimeout { index: Some(2), .. })),
                "{result:?}"
            );
        } else {
            assert!(result.is_ok(), "item {i}: {result:?}");
        }
    }
    // Waiting with a timeout is different: the task keeps running and finishes later.
    let mut handle = pool.apply_async(&SLEEP_MS, 300).unwrap();
    assert!(matches!(
        handle.get_timeout(Duration::from_millis(10)),
        Err(Error::WaitTimeout(_))
    ));
    assert!(handle.get_timeout(Duration::from_secs(20)).is_ok());
}

fn workers_are_replaced_after_max_tasks_per_child(m: StartMethod) {
    let pool = Pool::builder()
        .start_method(m)
        .workers(2)
        .max_tasks_per_child(3)
        .build()
        .unwrap();
    let pids: BTreeSet<u32> = pool
        .chunksize(1)
        .map(&WORKER_PID, vec![(); 30])
        .unwrap()
        .into_iter()
        .collect();
    assert!(
        pids.len() >= 10,
        "30 tasks, at most 3 per worker: {} workers",
        pids.len()
    );
    assert!(
        pool.spawned() >= pids.len(),
        "spawned counts every worker that ran a task"
    );
    assert_eq!(
        pool.chunksize(1).map(&SQUARE, 0..30).unwrap(),
        (0..30).map(|x| x * x).collect::<Vec<_>>()
    );
    // The same through `apply`, which borrows an idle worker directly: the supervisor still
    // replaces each retired worker.
    let pool = Pool::builder()
        .start_method(m)
        .workers(2)
        .max_tasks_per_child(1)
        .build()
        .unwrap();
    let pids: BTreeSet<u32> = (0..10)
        .map(|_| pool.apply(&WORKER_PID, ()).unwrap())
        .collect();
    assert_eq!(pids.len(), 10, "one worker per task");
    assert!(
        eventually(Duration::from_secs(10), || pool.pids().len() == 2),
        "back to 2 workers"
    );
    // Closing while workers are due for replacement does not hang.
    let pool = Pool::builder()
        .start_method(m)
        .workers(2)
        .max_tasks_per_child(1)
        .build()
        .unwrap();
    assert_eq!(pool.apply(&SQUARE, 3).unwrap(), 9);
    pool.join();
}

fn terminate_is_prompt_with_thousands_of_tasks_queued(m: StartMethod) {
    let pool = pool(m, 2);
    let handles: Vec<_> = (0..5000)
        .map(|_| pool.apply_async(&SLEEP_MS, 10_000).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(100)); // two of them are running now
    let pids = pool.pids();
    let started = Instant::now();
    pool.terminate();
    println!(
        "terminate with 5000 queued tasks took {:?}",
        started.elapsed()
    );
    for pid in pids {
        assert!(!exists(pid), "worker {pid} reaped when terminate returned");
    }
    for handle in handles {
        assert!(matches!(handle.get(), Err(Error::PoolTerminated)));
    }
}

fn killing_the_parent_kills_every_worker_and_the_fork_server(m: StartMethod) {
    support::become_subreaper();
    let mut parent = Command::new(std::env::current_exe().unwrap())
        .env("FAULT_TEST_MODE", "parent-with-pool")
        .env("FAULT_TEST_METHOD", m.name())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(parent.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let workers: Vec<u32> = line
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    // Three workers and the fork server (which runs whatever the pool's method).
    assert_eq!(workers.len(), 4, "{line:?}");
    assert!(workers.iter().all(|&pid| support::is_running(pid)));
    parent.kill().unwrap(); // SIGKILL: the parent gets no chance to clean up
    let killed = Instant::now();
    parent.wait().unwrap();
    // Orphans are re-parented to us (a subreaper): reap them, or fail if any lives on.
    let mut left: Vec<u32> = workers.clone();
    let all_gone = eventually(Duration::from_secs(1), || {
        left.retain(|&pid| !support::try_reap(pid));
        left.is_empty()
    });
    println!(
        "workers gone {:?} after the parent was killed",
        killed.elapsed()
    );
    assert!(
        all_gone,
        "workers still alive 1 s after their parent was killed: {left:?}"
    );
}

fn a_pool_outlives_the_thread_that_created_it(m: StartMethod) {
    // The parent-death signal follows the *thread* that spawned a worker; the pool spawns from
    // threads of its own, so a short-lived creating thread must not take the workers with it.
    let pool = std::thread::spawn(move || pool(m, 2)).join().unwrap();
    let pids = pool.pids();
    std::thread::sleep(Duration::from_millis(100));
    assert!(pids.iter().all(|&pid| support::is_running(pid)));
    assert_eq!(pool.map(&SQUARE, [1, 2, 3]).unwrap(), [1, 4, 9]);
    assert_eq!(pool.pids(), pids, "same workers");
    let process = std::thread::spawn(move || start(m, &SLEEP_MS, 200).unwrap())
        .join()
        .unwrap();
    assert!(
        process.join().is_ok(),
        "a Process outlives its creating thread too"
    );
}

fn join_terminate_and_drop_leave_no_child_unreaped(m: StartMethod) {
    let me = std::process::id();
    let before = children_of(me);
    for end in ["join", "terminate", "drop"] {
        let pool = pool(m, 3);
        let pids = pool.pids();
        assert_eq!(pool.map(&SQUARE, 0..100).unwrap().len(), 100);
        match end {
            "join" => pool.join(),
            "terminate" => {
                pool.terminate();
                drop(pool);
            }
            _ => drop(pool),
        }
        for pid in pids {
            assert!(
                !exists(pid),
                "{end}: worker {pid} left behind (zombie or alive)"
            );
        }
        assert_eq!(children_of(me), before, "{end}");
    }
    let process = start(m, &SLEEP_MS, 10_000).unwrap();
    let pid = process.pid();
    drop(process); // never joined: killed and reaped
    assert!(!exists(pid));
}

fn descriptors_and_children_stay_flat_over_100k_tasks(m: StartMethod) {
    let me = std::process::id();
    let (fds, children) = (open_fds(), children_of(me));
    let pool = pool(m, 2);
    let handles: Vec<_> = (0..50_000u64)
        .map(|i| pool.apply_async(&SQUARE, i).unwrap())
        .collect();
    assert_eq!(
        open_fds(),
        fds + 2 * 4,
        "queued tasks hold no descriptors (4 per worker: channel, pidfd, two shared files)"
    );
    for (i, handle) in handles.into_iter().enumerate() {
        assert_eq!(handle.get().unwrap(), (i * i) as u64);
    }
    let squares = pool.chunksize(1).map(&SQUARE, 0..50_000u64).unwrap();
    assert_eq!(squares.len(), 50_000);
    drop(pool);
    assert_eq!(open_fds(), fds);
    assert_eq!(children_of(me), children);
}

fn descriptors_and_children_stay_flat_over_1000_pools(m: StartMethod) {
    let me = std::process::id();
    let (fds, children) = (open_fds(), children_of(me));
    for i in 0..1000u64 {
        let pool = pool(m, 2);
        if i % 100 == 0 {
            assert_eq!(pool.apply(&SQUARE, i).unwrap(), i * i);
        }
    }
    assert_eq!(open_fds(), fds);
    assert_eq!(children_of(me), children);
}

fn payloads_of_64_mib_go_both_ways(m: StartMethod) {
    const LEN: usize = 64 << 20;
    let pool = pool(m, 2);
    let big = make_bytes(LEN);
    let expected = checksum(big.clone());
    assert_eq!(pool.apply(&CHECKSUM, big.clone()).unwrap(), expected);
    let back = pool.apply(&MAKE_BYTES, LEN).unwrap();
    assert_eq!(back.len(), LEN);
    assert_eq!(back, big);
    // Several at once, in both directions.
    let handles: Vec<_> = (0..3)
        .map(|_| pool.apply_async(&CHECKSUM, big.clone()).unwrap())
        .collect();
    let made: Vec<_> = pool.map(&MAKE_BYTES, [LEN, 1, LEN]).unwrap();
    assert_eq!(
        made.iter().map(|b| b.len()).collect::<Vec<_>>(),
        [LEN, 1, LEN]
    );
    for handle in handles {
        assert_eq!(handle.get().unwrap(), expected);
    }
}

fn submitting_never_waits_for_a_busy_worker(m: StartMethod) {
    let pool = pool(m, 1);
    let payload = make_bytes(64 << 20);
    let busy = pool.apply_async(&SLEEP_MS, 2_000).unwrap();
    // 64 MiB, more than any pipe holds, for a worker that is busy for 2 s: submitting returns
    // while the first task still runs.
    let big = pool.apply_async(&CHECKSUM, payload).unwrap();
    assert!(
        !busy.ready(),
        "apply_async returned before the busy worker was free"
    );
    assert!(busy.get().is_ok());
    assert_eq!(big.get().unwrap().0, 64 << 20);
}

fn encoding_errors_cost_no_worker(m: StartMethod) {
    let pool = pool(m, 2);
    let pids = pool.pids();
    // 13 cannot be encoded: as an argument it fails in the parent, as a result in the worker.
    let err = pool.apply(&PICKY_PRED, Picky(13)).unwrap_err();
    assert!(
        matches!(&err, Error::Encode { message, .. } if message.contains("13 is unlucky")),
        "{err:?}"
    );
    let err = pool.apply(&PICKY_PRED, Picky(14)).unwrap_err();
    assert!(
        matches!(&err, Error::Encode { message, .. } if message.contains("13 is unlucky")),
        "{err:?}"
    );
    assert_eq!(pool.apply(&PICKY_PRED, Picky(15)).unwrap().0, 14);
    assert_eq!(pool.pids(), pids, "no worker lost");
}

fn a_panicking_decoder_fails_its_items_not_the_pool(m: StartMethod) {
    // A result type's own `Deserialize` panics (for 13) while the parent decodes it: that
    // item fails with a decode error, and the pool, its workers and other calls carry on.
    let pool = pool(m, 2);
    let pids = pool.pids();
    let err = pool.chunksize(1).map(&FRAGILE, 10..16).unwrap_err();
    assert!(
        matches!(&err, Error::Decode { index: Some(3), message } if message.contains("cannot bear 13")),
        "{err:?}"
    );
    let err = pool.apply(&FRAGILE, 13).unwrap_err();
    assert!(matches!(err, Error::Decode { index: None, .. }), "{err:?}");
    let err = pool.apply_async(&FRAGILE, 13).unwrap().get().unwrap_err();
    assert!(matches!(err, Error::Decode { index: None, .. }), "{err:?}");
    assert_eq!(pool.map(&FRAGILE, 0..10).unwrap().len(), 10);
    assert_eq!(pool.pids(), pids, "no worker lost, no supervisor lost");
}

fn a_lent_worker_does_not_hold_up_queued_work(m: StartMethod) {
    // `apply` borrows an idle worker and runs on the caller's thread. While it runs, the queue
    // must be served by the other worker, not wait for the borrowed one to come back.
    let pool = pool(m, 2);
    std::thread::scope(|scope| {
        let long = scope.spawn(|| pool.apply(&SLEEP_MS, 3_000).unwrap());
        std::thread::sleep(Duration::from_millis(100)); // the apply has borrowed its worker
        let quick = pool.chunksize(1).map(&SLEEP_MS, vec![20; 10]).unwrap();
        assert_eq!(quick.len(), 10);
        assert!(
            !long.is_finished(),
            "the queued map finished while the apply still ran"
        );
        long.join().unwrap();
    });
}

fn signals_do_not_cut_waits_short(m: StartMethod) {
    // A program with a signal handler (here a no-op for SIGUSR1) gets EINTR from every wait
    // the signal interrupts; waits must resume, not report "timed out".
    extern "C" fn ignore(_: libc::c_int) {}
    // SAFETY: installs an async-signal-safe no-op handler; the sigaction struct is zeroed
    // (a valid empty mask and no flags) before the handler is set.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = ignore as extern "C" fn(libc::c_int) as usize;
        libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut());
    }
    // SAFETY: gettid has no preconditions.
    let me = unsafe { libc::gettid() };
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // SAFETY: tgkill takes plain integers; it signals this test's waiting thread.
                unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), me, libc::SIGUSR1) };
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        let process = start(m, &SLEEP_MS, 300).unwrap();
        let waited = process.join_timeout(Duration::from_secs(30));
        let pool = Pool::builder().start_method(m).workers(1).build();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(waited, Some(Exit::Code(0)), "join_timeout gave up early");
        assert!(
            pool.is_ok(),
            "starting workers under signals: {:?}",
            pool.err()
        );
    });
}

fn a_grandchild_holding_the_channel_does_not_hide_a_death(m: StartMethod) {
    // The task starts a grandchild that keeps every descriptor of its worker, the channel too,
    // then the worker dies: end of file never comes, so the pool must watch the process itself.
    support::become_subreaper(); // orphaned grandchildren come to us, to be reaped
    let dir = marker_dir("grandchild");
    let grandchild = || -> u32 { announced_pid(&dir) };
    let kill_grandchild = |pid: u32| {
        support::signal(pid, libc::SIGKILL);
        assert!(eventually(Duration::from_secs(20), || support::try_reap(
            pid
        )));
        std::fs::remove_file(dir.join(pid.to_string())).unwrap();
    };
    let pool = pool(m, 1);
    let err = pool.apply(&HIDE_DEATH, dir.clone()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::WorkerDied {
                exit: Exit::Signal(9),
                ..
            }
        ),
        "{err:?}"
    );
    kill_grandchild(grandchild());
    let err = pool.map(&HIDE_DEATH, [dir.clone()]).unwrap_err();
    assert!(
        matches!(err, Error::WorkerDied { index: Some(0), .. }),
        "{err:?}"
    );
    kill_grandchild(grandchild());
    let err = start(m, &HIDE_DEATH, dir.clone())
        .unwrap()
        .join()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::WorkerDied {
                exit: Exit::Signal(9),
                ..
            }
        ),
        "{err:?}"
    );
    kill_grandchild(grandchild());
    // A busy worker whose grandchild holds the channel: terminate still returns.
    let busy = pool.apply_async(&HIDE_DEATH, dir.clone()).unwrap();
    let pid = grandchild();
    pool.terminate();
    assert!(busy.get().is_err());
    kill_grandchild(pid);
}

fn a_forked_copy_of_a_worker_holds_no_channel_and_runs_no_task(m: StartMethod) {
    let pool = pool(m, 1);
    let pids = pool.pids();
    let dir = marker_dir("fork");
    // A copy made by fork() holds no descriptor of the pool's channel.
    assert_eq!(pool.apply(&FORK_AND_LIST_SOCKETS, dir.clone()).unwrap(), 0);
    let sockets = std::fs::read_to_string(dir.join("sockets")).unwrap();
    assert_eq!(sockets, "", "sockets held by a forked copy of a worker");
    std::fs::remove_file(dir.join("sockets")).unwrap();
    // A copy that returns from its task ends quietly instead of running the chunk's next item.
    let items = vec![(true, dir.clone(), 0), (false, dir.clone(), 1)];
    assert_eq!(pool.chunksize(2).map(&FORK_OR_MARK, items).unwrap(), [0, 0]);
    assert_eq!(support::markers(&dir), [format!("1-{}", pids[0])]);
    assert_eq!(pool.apply(&SQUARE, 5).unwrap(), 25);
    assert_eq!(pool.pids(), pids, "the worker itself carries on");
}

fn a_copy_forked_in_the_last_item_does_not_mark_its_worker_idle(m: StartMethod) {
    // The copy returns from the chunk's last (here: only) item. Were it to go on through the
    // worker's loop, it would write "idle" into the progress page it shares with the worker,
    // while the worker is still inside that item: the time limit would then never fire.
    let pool = Pool::builder()
        .workers(1)
        .start_method(m)
        .task_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let mut stuck = pool.apply_async(&FORK_THEN_STAY, 60_000).unwrap();
    match stuck.get_timeout(Duration::from_secs(30)) {
        Err(Error::TaskTimeout { .. }) => {}
        other => panic!("expected the time limit to end the task, got {other:?}"),
    }
    assert_eq!(pool.apply(&SQUARE, 6).unwrap(), 36, "the pool carries on");
}

fn signals_never_reach_a_process_that_reused_a_workers_pid(m: StartMethod) {
    // Someone else reaps an idle worker (a `waitpid(-1)` elsewhere in the program), and an
    // unrelated process gets its pid. Ending the pool must not kill or reap that process.
    for end in ["terminate", "drop"] {
        let pool = pool(m, 1);
        let pid = pool.pids()[0];
        support::signal(pid, libc::SIGKILL);
        let mut status = 0;
        // SAFETY: `status` is valid for writes; we reap a child of ours, as a stranger would.
        // (__WALL: a forked worker is a "clone child"; reaping everything takes it too.)
        let reaped = unsafe { libc::waitpid(pid as i32, &mut status, libc::__WALL) };
        assert_eq!(reaped, pid as i32);
        let stranger = support::spawn_with_pid(pid).expect("a process with the worker's pid");
        match end {
            "terminate" => pool.terminate(),
            _ => drop(pool),
        }
        assert!(
            support::is_running(stranger),
            "{end}: the pool signalled pid {pid}, now someone else's"
        );
        support::signal(stranger, libc::SIGKILL);
        assert!(eventually(Duration::from_secs(20), || support::try_reap(
            stranger
        )));
    }
}

fn workers_inherit_no_descriptor_and_no_ignored_or_blocked_signal(m: StartMethod) {
    // A descriptor without close-on-exec, SIGINT, SIGQUIT and SIGTERM ignored (as in a
    // background job), SIGUSR1 blocked in the thread that makes the pool: none of it reaches a
    // worker, so `terminate` works and a task sees only its own descriptors.
    let path = std::env::temp_dir().join(format!("common-faults-{}-leak", std::process::id()));
    std::fs::write(&path, b"").unwrap();
    let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid path; opened without O_CLOEXEC on purpose.
    let leaked = unsafe { libc::open(c_path.as_ptr(), libc::O_RDONLY) };
    assert!(leaked >= 0);
    let ignored = [libc::SIGINT, libc::SIGQUIT, libc::SIGTERM];
    // SAFETY: setting dispositions to SIG_IGN and changing this thread's mask are always sound.
    let previous: Vec<libc::sighandler_t> = unsafe {
        let previous = ignored.map(|s| libc::signal(s, libc::SIG_IGN)).to_vec();
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGUSR1);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        previous
    };
    let pool = pool(m, 1);
    let from_pool = pool.apply(&INHERITED, ()).unwrap();
    let from_process = start(m, &INHERITED, ()).unwrap().join().unwrap();
    let stopped = start(m, &SLEEP_MS, 30_000).unwrap();
    stopped.terminate().unwrap();
    let stop = stopped.join();
    // SAFETY: restores what was there before.
    unsafe {
        for (s, handler) in ignored.iter().zip(previous) {
            libc::signal(*s, handler);
        }
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGUSR1);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::close(leaked);
    }
    std::fs::remove_file(&path).unwrap();
    let bits = ignored.iter().fold(0u64, |m, &s| m | 1 << (s - 1));
    for (who, (fds, ignored, blocked)) in [("pool", from_pool), ("process", from_process)] {
        assert!(
            !fds.iter().any(|t| t.ends_with("-leak")),
            "{who}: inherited {fds:?}"
        );
        assert_eq!(
            ignored & bits,
            0,
            "{who}: inherited ignored signals {ignored:#x}"
        );
        assert_eq!(blocked, 0, "{who}: inherited blocked signals {blocked:#x}");
    }
    assert!(
        matches!(
            stop,
            Err(Error::WorkerDied {
                exit: Exit::Signal(15),
                ..
            })
        ),
        "terminate with SIGTERM ignored in the parent: {stop:?}"
    );
}

fn a_task_that_closes_low_descriptors_keeps_its_channel(m: StartMethod) {
    let pool = pool(m, 1);
    let pids = pool.pids();
    assert_eq!(pool.apply(&CLOSE_LOW_DESCRIPTORS, 7).unwrap(), 7);
    assert_eq!(pool.apply(&SQUARE, 6).unwrap(), 36);
    assert_eq!(pool.pids(), pids, "the worker kept its channel");
    let process = start(m, &CLOSE_LOW_DESCRIPTORS, 8).unwrap();
    assert_eq!(process.join().unwrap(), 8);
}

fn a_death_after_the_last_item_ran_reruns_it(m: StartMethod) {
    // The dying-worker rule: only the item that was running is blamed; any other whose result
    // was lost runs again. Here the worker is killed after its only item finished, while it
    // sends the (large) result: the item runs again on a new worker and succeeds.
    const LEN: usize = 64 << 20;
    let pool = pool(m, 1);
    for attempt in 0..40 {
        let pid = pool.pids()[0];
        let file = support::results_file(pid).expect("the worker's results file");
        let call = pool.apply_async(&PID_AND_BYTES, LEN).unwrap();
        // Wait until the worker is writing the result into its results file (which grows as
        // it writes, and is emptied once read): then every item has finished. Its size is read
        // in a tight loop, since the write is short.
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut caught = false;
        while !caught && !call.ready() && Instant::now() < deadline {
            let size = std::fs::metadata(&file).map_or(0, |m| m.len());
            caught = size > 0 && size < LEN as u64;
        }
        if caught {
            support::signal(pid, libc::SIGKILL);
        }
        let (ran_on, bytes) = call.get().expect("the lost result comes from a rerun");
        assert_eq!(bytes.len(), LEN);
        // The same pid means the write ended before the signal landed: try again.
        if caught && ran_on != pid {
            println!("caught on attempt {attempt}: rerun on worker {ran_on}");
            return;
        }
    }
    panic!("never caught the worker sending its result");
}
