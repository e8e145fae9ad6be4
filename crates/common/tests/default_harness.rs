//! The pool under the ordinary test harness: plain `#[test]` functions, run in parallel
//! threads, with `common::enable_test_support!` instead of a `main` of our own. Here too are
//! the calls of Python's that the pool has besides `map` and `apply`: `map_async` and
//! `starmap_async` with callbacks, `AsyncResult::successful`, `IMap::next_timeout`, a `Process`
//! built first and started later, with a name, and `active_children`.

mod support;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Callbacks, Error, Pool, Process, StartMethod, Task, task};

fn square(x: u64) -> u64 {
    x * x
}
fn add(a: u64, b: u64) -> u64 {
    a + b
}
fn fail_on_odd(x: u64) -> u64 {
    assert!(x.is_multiple_of(2), "{x} is odd");
    x
}
/// Waits until the file `gate` exists (the test opens the gate), then returns `value`.
fn wait_for((gate, value): (PathBuf, u64)) -> u64 {
    while !gate.exists() {
        std::thread::sleep(Duration::from_millis(2));
    }
    value
}
fn worker_pid(_: ()) -> u32 {
    std::process::id()
}

const SQUARE: Task<u64, u64> = task!(square);
const ADD: Task<(u64, u64), u64> = task!(add(a, b));
const FAIL_ON_ODD: Task<u64, u64> = task!(fail_on_odd);
const WAIT_FOR: Task<(PathBuf, u64), u64> = task!(wait_for);
const WORKER_PID: Task<(), u32> = task!(worker_pid);

// In a worker (this test binary started again) this serves tasks before the harness starts.
common::enable_test_support!(&[&SQUARE, &ADD, &FAIL_ON_ODD, &WAIT_FOR, &WORKER_PID]);

const LIMIT: Duration = Duration::from_secs(60);

/// A gate for `WAIT_FOR`: closed until `open` is called.
struct Gate(PathBuf);
impl Gate {
    fn new(name: &str) -> Gate {
        Gate(support::marker_dir(name).join("open"))
    }
    fn open(&self) {
        std::fs::write(&self.0, b"").unwrap();
    }
}

#[test]
fn pools_and_processes_work_in_ordinary_tests() {
    // The constructor ran `init` before the harness started any thread: the fork server runs,
    // and is the default.
    assert!(common::fork_server_pid().is_some());
    assert_eq!(common::default_start_method(), StartMethod::ForkServer);
    for method in support::METHODS {
        support::within(LIMIT, move || {
            let pool = support::pool(method, 2);
            assert_eq!(pool.map(&SQUARE, 1..=5).unwrap(), [1, 4, 9, 16, 25]);
            let pid = pool.apply(&WORKER_PID, ()).unwrap();
            assert_ne!(pid, std::process::id(), "a task runs in a worker process");
            let err = pool.apply(&FAIL_ON_ODD, 3).unwrap_err();
            assert!(matches!(err, Error::TaskPanicked { .. }), "{err:?}");
            let child = support::start(method, &SQUARE, 9).unwrap();
            assert_eq!(child.join().unwrap(), 81);
        });
    }
}

#[test]
fn map_async_calls_back_once_on_a_pool_thread_before_get_returns() {
    support::within(LIMIT, || {
        let pool = Pool::new(2).unwrap();
        let calls = Arc::new(Mutex::new(Vec::new()));
        let record = |what: &'static str| {
            let calls = Arc::clone(&calls);
            move |detail: String| {
                let thread = std::thread::current().name().unwrap_or("").to_owned();
                calls.lock().unwrap().push((what, detail, thread));
            }
        };
        let (ok, err) = (record("callback"), record("error_callback"));
        let result = pool
            .map_async_with(
                &SQUARE,
                1..=4,
                Callbacks::new()
                    .callback(move |squares: &Vec<u64>| ok(format!("{squares:?}")))
                    .error_callback(move |e| err(e.to_string())),
            )
            .unwrap();
        assert_eq!(result.get().unwrap(), [1, 4, 9, 16]);
        // By the time `get` returns, the callback has run, once, on a pool thread.
        let seen = std::mem::take(&mut *calls.lock().unwrap());
        assert_eq!(seen.len(), 1, "{seen:?}");
        let (what, detail, thread) = &seen[0];
        assert_eq!((*what, detail.as_str()), ("callback", "[1, 4, 9, 16]"));
        assert!(thread.starts_with("pool worker"), "ran on {thread:?}");

        // A failure calls error_callback alone, with the error `get` returns.
        let (ok, err) = (record("callback"), record("error_callback"));
        let result = pool
            .chunksize(1)
            .map_async_with(
                &FAIL_ON_ODD,
                [2, 4, 5, 6, 7],
                Callbacks::new()
                    .callback(move |v: &Vec<u64>| ok(format!("{v:?}")))
                    .error_callback(move |e| err(e.to_string())),
            )
            .unwrap();
        let error = result.get().unwrap_err();
        assert_eq!(error.index(), Some(2));
        let seen = std::mem::take(&mut *calls.lock().unwrap());
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(
            (seen[0].0, seen[0].1.clone()),
            ("error_callback", error.to_string())
        );

        // starmap_async and apply_async take them too.
        let sums = pool.starmap_async(&ADD, [(1, 2), (3, 4)]).unwrap();
        assert_eq!(sums.get().unwrap(), [3, 7]);
        let called = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&called);
        let one = pool
            .apply_async_with(
                &SQUARE,
                12,
                Callbacks::new().callback(move |v: &u64| {
                    counter.fetch_add(*v as usize, Ordering::SeqCst);
                }),
            )
            .unwrap();
        assert_eq!(one.get().unwrap(), 144);
        assert_eq!(called.load(Ordering::SeqCst), 144);
    });
}

#[test]
fn successful_says_none_until_the_result_arrives() {
    support::within(LIMIT, || {
        let pool = Pool::new(1).unwrap();
        let gate = Gate::new("successful");
        let mut pending = pool.apply_async(&WAIT_FOR, (gate.0.clone(), 5)).unwrap();
        assert_eq!(
            pending.successful(),
            None,
            "not ready: Python raises ValueError"
        );
        assert!(!pending.ready());
        gate.open();
        pending.wait();
        assert_eq!(pending.successful(), Some(true));
        assert_eq!(pending.get_timeout(Duration::MAX).unwrap(), 5);
        assert_eq!(pending.successful(), Some(true), "still known once taken");
        let failed = pool.map_async(&FAIL_ON_ODD, [1]).unwrap();
        failed.wait();
        assert_eq!(failed.successful(), Some(false));
    });
}

#[test]
fn next_timeout_gives_up_waiting_but_not_the_item() {
    support::within(LIMIT, || {
        let pool = Pool::new(1).unwrap();
        let gate = Gate::new("next-timeout");
        let mut results = pool.imap(&WAIT_FOR, [(gate.0.clone(), 1), (gate.0.clone(), 2)]);
        assert!(matches!(
            results.next_timeout(Duration::from_millis(20)),
            Some(Err(Error::WaitTimeout(_)))
        ));
        gate.open();
        assert_eq!(results.next_timeout(LIMIT).unwrap().unwrap(), 1);
        assert_eq!(results.next_timeout(Duration::MAX).unwrap().unwrap(), 2);
        assert!(
            results.next_timeout(Duration::ZERO).is_none(),
            "the end, not a timeout"
        );
    });
}

#[test]
fn a_process_is_built_named_and_started_later() {
    support::within(LIMIT, || {
        let unnamed = Process::new(&SQUARE, 3);
        for method in support::METHODS {
            let gate = Gate::new(&format!("built-{method}"));
            let built = Process::new(&WAIT_FOR, (gate.0.clone(), 7))
                .name("waiter-7")
                .start_method(method);
            // Built, not started: nothing runs until `start`.
            let started = built.start().unwrap();
            assert_eq!(started.name(), "waiter-7");
            // `ps` shows the name after the program's, by either method. (Right after a spawn
            // the kernel may not have recorded where the new program's arguments are yet:
            // /proc then reads empty a moment.)
            let mut argv0 = String::new();
            let cmdline = format!("/proc/{}/cmdline", started.pid());
            support::eventually(Duration::from_secs(10), || {
                let bytes = std::fs::read(&cmdline).unwrap_or_default();
                let first = bytes.split(|&b| b == 0).next().unwrap_or(&[]);
                argv0 = String::from_utf8_lossy(first).into();
                !argv0.is_empty()
            });
            assert!(argv0.ends_with(" (waiter-7)"), "{method}: {argv0:?}");
            gate.open();
            assert_eq!(started.join().unwrap(), 7);
        }
        let unnamed = unnamed.start().unwrap();
        let number: u64 = unnamed
            .name()
            .strip_prefix("Process-")
            .and_then(|n| n.parse().ok())
            .expect("Python's default name, Process-N");
        assert!(number >= 1);
        assert_eq!(unnamed.join().unwrap(), 9);
        // A task not in the list is refused at `start`, before any process exists.
        const UNLISTED: Task<u64, u64> = task!(square);
        assert!(matches!(
            Process::new(&UNLISTED, 1).start(),
            Err(Error::UnregisteredTask(_))
        ));
    });
}

#[test]
fn active_children_lists_running_processes_and_pool_workers() {
    support::within(LIMIT, || {
        let gate = Gate::new("active-children");
        let child = Process::new(&WAIT_FOR, (gate.0.clone(), 0))
            .name("waiter")
            .start()
            .unwrap();
        let pool = Pool::new(1).unwrap();
        let worker = pool.pids()[0];
        // Other tests' children are listed too (tests share this process): look for ours.
        let active = common::active_children();
        assert!(
            active
                .iter()
                .any(|c| c.pid == child.pid() && c.name == "waiter"),
            "{active:?}"
        );
        assert!(
            active
                .iter()
                .any(|c| c.pid == worker && c.name.starts_with("PoolWorker-")),
            "{active:?}"
        );
        gate.open();
        let pid = child.pid();
        assert_eq!(child.wait(), common::Exit::Code(0));
        assert!(!common::active_children().iter().any(|c| c.pid == pid));
        drop(pool);
        assert!(!common::active_children().iter().any(|c| c.pid == worker));
    });
}
