//! The process pool as a caller sees it: results, ordering, chunking, options and errors.
//!
//! This file has its own `main` (harness = false): every worker is this test binary started
//! again, so `main` must call `common::init` before anything else, like any program using the
//! pool.

mod support;

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::{Error, Pool, StartMethod, Task, task};
use libtest_mimic::Trial;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde::Serialize;
use support::{both, pool, start, test};

fn square(x: i64) -> i64 {
    x * x
}
fn add(a: i64, b: i64) -> i64 {
    a + b
}
fn panic_on_multiple((x, of): (u32, u32)) -> u32 {
    assert!(x % of != 0, "{x} is a multiple of {of}");
    x
}
fn worker_pid(_: ()) -> u32 {
    std::process::id()
}
fn sleep_then((ms, value): (u64, u32)) -> u32 {
    std::thread::sleep(Duration::from_millis(ms));
    value
}
fn shout(word: String) -> String {
    println!("worker says {word}");
    word.to_uppercase()
}

static SETTING: AtomicU64 = AtomicU64::new(0);
fn configure(value: u64) {
    SETTING.store(value, Ordering::Relaxed);
}
fn setting(_: ()) -> u64 {
    SETTING.load(Ordering::Relaxed)
}

/// Encodes like a u32, except that 13 refuses to be encoded.
#[derive(Debug, serde::Deserialize)]
struct Picky(u32);
impl Serialize for Picky {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 == 13 {
            Err(serde::ser::Error::custom("13 is unlucky"))
        } else {
            s.serialize_u32(self.0)
        }
    }
}
fn picky_result(x: u32) -> Picky {
    Picky(x)
}
fn picky_echo(x: Picky) -> u32 {
    x.0
}
/// Decodes like a u32, except that 13 refuses to be decoded (in the worker).
#[derive(Debug, Serialize)]
struct Touchy(u32);
impl<'de> serde::Deserialize<'de> for Touchy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match u32::deserialize(d)? {
            13 => Err(serde::de::Error::custom("13 will not be read")),
            n => Ok(Touchy(n)),
        }
    }
}
fn touchy_echo(x: Touchy) -> u32 {
    x.0
}
fn unit_to_u32(x: u32) -> u32 {
    x
}
fn touchy_result(x: u32) -> Touchy {
    Touchy(x)
}
/// Results that nest a `Touchy` in every shape serde has: a decoder's message must survive them.
#[derive(Debug, Serialize, serde::Deserialize)]
enum Nested {
    Seq(Vec<Option<Touchy>>),
    Struct { id: u32, inner: (u8, Touchy) },
    Map(std::collections::BTreeMap<String, Touchy>),
}
fn nested_result((shape, x): (u8, u32)) -> Nested {
    match shape {
        0 => Nested::Seq(vec![Some(Touchy(1)), None, Some(Touchy(x))]),
        1 => Nested::Struct {
            id: 7,
            inner: (2, Touchy(x)),
        },
        _ => Nested::Map([("a".to_owned(), Touchy(x))].into()),
    }
}
/// Decodes like a u32, except that 13 makes the decoder panic (in the worker).
#[derive(Debug, Serialize)]
struct Brittle(u32);
impl<'de> serde::Deserialize<'de> for Brittle {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u32::deserialize(d)?;
        assert_ne!(n, 13, "brittle {n}");
        Ok(Brittle(n))
    }
}
fn brittle_echo(x: Brittle) -> u32 {
    x.0
}
fn brittle_result(x: u32) -> Brittle {
    Brittle(x)
}
/// Encodes like a u32, except that 13 makes the encoder panic (in the worker).
#[derive(Debug, serde::Deserialize)]
struct Shaky(u32);
impl Serialize for Shaky {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        assert_ne!(self.0, 13, "shaky {}", self.0);
        s.serialize_u32(self.0)
    }
}
fn shaky_result(x: u32) -> Shaky {
    Shaky(x)
}
/// How many tasks this worker process has run, this one included.
fn tick(_: ()) -> u64 {
    static TICKS: AtomicU64 = AtomicU64::new(0);
    TICKS.fetch_add(1, Ordering::Relaxed) + 1
}
/// Leaves a marker file named after `index` in `dir`, then sleeps.
fn mark_then_sleep((dir, ms, index): (std::path::PathBuf, u64, u32)) -> u32 {
    std::fs::write(dir.join(index.to_string()), b"").unwrap();
    std::thread::sleep(Duration::from_millis(ms));
    index
}

const SQUARE: Task<i64, i64> = task!(square);
const ADD: Task<(i64, i64), i64> = task!(add(a, b));
const PANIC_ON_MULTIPLE: Task<(u32, u32), u32> = task!(panic_on_multiple);
const WORKER_PID: Task<(), u32> = task!(worker_pid);
const SLEEP_THEN: Task<(u64, u32), u32> = task!(sleep_then);
const SHOUT: Task<String, String> = task!(shout);
const CONFIGURE: Task<u64, ()> = task!(configure);
const SETTING_TASK: Task<(), u64> = task!(setting);
const PICKY_RESULT: Task<u32, Picky> = task!(picky_result);
const PICKY_ECHO: Task<Picky, u32> = task!(picky_echo);
const TOUCHY_ECHO: Task<Touchy, u32> = task!(touchy_echo);
/// Deliberately left out of `init`.
const UNLISTED: Task<u32, u32> = task!(unit_to_u32);
const TOUCHY_RESULT: Task<u32, Touchy> = task!(touchy_result);
const NESTED_RESULT: Task<(u8, u32), Nested> = task!(nested_result);
const BRITTLE_ECHO: Task<Brittle, u32> = task!(brittle_echo);
const BRITTLE_RESULT: Task<u32, Brittle> = task!(brittle_result);
const SHAKY_RESULT: Task<u32, Shaky> = task!(shaky_result);
const TICK: Task<(), u64> = task!(tick);
const MARK_THEN_SLEEP: Task<(std::path::PathBuf, u64, u32), u32> = task!(mark_then_sleep);
/// Two tasks of the same function name, in one module: `task!` must tell them apart.
const TWIN_ONE: Task<u32, u32> = {
    fn twin(x: u32) -> u32 {
        x + 100
    }
    task!(twin)
};
const TWIN_TWO: Task<u32, u32> = {
    fn twin(x: u32) -> u32 {
        x + 200
    }
    task!(twin)
};
/// Two hand-named tasks of one name but different types.
const NAMED_U32: Task<u32, u32> = Task::new("pool-test::same", unit_to_u32);
const NAMED_STRING: Task<String, usize> = Task::new("pool-test::same", string_len);
fn string_len(s: String) -> usize {
    s.len()
}

fn main() {
    // Modes in which this binary plays a user's program, for tests that watch it from outside.
    let mode = std::env::var("POOL_TEST_MODE").unwrap_or_default();
    if mode == "twins" {
        // Both twins in one list: neither is refused, and each runs its own function.
        common::init(&[&TWIN_ONE, &TWIN_TWO]);
        let pool = Pool::new(1).unwrap();
        let one = pool.apply(&TWIN_ONE, 1).unwrap();
        let two = pool.apply(&TWIN_TWO, 1).unwrap();
        println!("{one} {two}");
        return;
    }
    if mode == "no-init" {
        match Pool::new(1) {
            Ok(_) => println!("pool started"),
            Err(e) => println!("{e}"),
        }
        return;
    }
    common::init(&[
        &SQUARE,
        &ADD,
        &PANIC_ON_MULTIPLE,
        &WORKER_PID,
        &SLEEP_THEN,
        &SHOUT,
        &CONFIGURE,
        &SETTING_TASK,
        &PICKY_RESULT,
        &PICKY_ECHO,
        &TOUCHY_ECHO,
        &TOUCHY_RESULT,
        &NESTED_RESULT,
        &BRITTLE_ECHO,
        &BRITTLE_RESULT,
        &SHAKY_RESULT,
        &TICK,
        &MARK_THEN_SLEEP,
        &TWIN_ONE,
        &NAMED_U32,
    ]);
    if mode == "print" {
        let pool = Pool::new(2).unwrap();
        let results = pool.map(&SHOUT, ["a", "b", "c"].map(String::from)).unwrap();
        println!("results: {results:?}");
        return;
    }

    let args = libtest_mimic::Arguments::from_args();
    let tests: Vec<Trial> = [
        both(
            "a_trace_tells_which_tasks_failed_and_a_thread_trace_names_threads",
            a_trace_tells_which_tasks_failed_and_a_thread_trace_names_threads,
        ),
        both(
            "map_returns_results_in_input_order",
            map_returns_results_in_input_order,
        ),
        both(
            "every_chunk_size_gives_the_same_answer",
            every_chunk_size_gives_the_same_answer,
        ),
        both(
            "empty_input_gives_empty_output",
            empty_input_gives_empty_output,
        ),
        both("zero_workers_is_an_error", zero_workers_is_an_error),
        both("starmap_unpacks_tuples", starmap_unpacks_tuples),
        both("imap_yields_in_input_order", imap_yields_in_input_order),
        both(
            "imap_unordered_yields_in_completion_order",
            imap_unordered_yields_in_completion_order,
        ),
        both(
            "imap_reads_an_endless_input_lazily",
            imap_reads_an_endless_input_lazily,
        ),
        both("apply_and_apply_async", apply_and_apply_async),
        both(
            "get_timeout_leaves_the_task_running",
            get_timeout_leaves_the_task_running,
        ),
        both(
            "workers_are_separate_reused_processes",
            workers_are_separate_reused_processes,
        ),
        both(
            "initializer_runs_in_every_worker",
            initializer_runs_in_every_worker,
        ),
        both(
            "a_panic_is_an_error_with_message_and_location",
            a_panic_is_an_error_with_message_and_location,
        ),
        both(
            "map_reports_the_lowest_failing_index",
            map_reports_the_lowest_failing_index,
        ),
        both(
            "imap_reports_each_failure_and_goes_on",
            imap_reports_each_failure_and_goes_on,
        ),
        both(
            "unencodable_values_fail_only_their_task",
            unencodable_values_fail_only_their_task,
        ),
        both("unregistered_task_is_refused", unregistered_task_is_refused),
        both("bad_chunksize_is_an_error", bad_chunksize_is_an_error),
        both(
            "close_refuses_new_work_and_join_finishes_queued_work",
            close_refuses_new_work_and_join_finishes_queued_work,
        ),
        both("terminate_fails_pending_work", terminate_fails_pending_work),
        vec![test(
            "task_output_reaches_stdout_intact",
            task_output_reaches_stdout_intact,
        )],
        vec![test(
            "a_program_without_init_cannot_start_workers",
            a_program_without_init_cannot_start_workers,
        )],
        both(
            "thread_pool_has_the_same_shape",
            thread_pool_has_the_same_shape,
        ),
        both(
            "map_equals_sequential_map_for_any_input",
            map_equals_sequential_map_for_any_input,
        ),
        both(
            "applies_from_many_threads_mix_with_queued_work",
            applies_from_many_threads_mix_with_queued_work,
        ),
        both(
            "an_undecodable_argument_fails_only_its_item",
            an_undecodable_argument_fails_only_its_item,
        ),
        both(
            "decoding_errors_keep_the_decoders_message",
            decoding_errors_keep_the_decoders_message,
        ),
        both(
            "a_result_the_parent_cannot_decode_fails_only_its_item",
            a_result_the_parent_cannot_decode_fails_only_its_item,
        ),
        both(
            "a_panic_in_a_workers_decoder_or_encoder_fails_only_that_item",
            a_panic_in_a_workers_decoder_or_encoder_fails_only_that_item,
        ),
        both(
            "imap_yields_the_results_before_a_failing_input",
            imap_yields_the_results_before_a_failing_input,
        ),
        both(
            "a_panicking_map_input_cancels_its_queued_chunks",
            a_panicking_map_input_cancels_its_queued_chunks,
        ),
        both(
            "two_tasks_of_one_name_are_told_apart",
            two_tasks_of_one_name_are_told_apart,
        ),
        both(
            "apply_does_not_jump_the_queue",
            apply_does_not_jump_the_queue,
        ),
        both(
            "a_traced_call_records_who_ran_what_and_when",
            a_traced_call_records_who_ran_what_and_when,
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    libtest_mimic::run(&args, tests).exit();
}

fn map_returns_results_in_input_order(m: StartMethod) {
    let pool = pool(m, 3);
    let xs: Vec<i64> = (0..1000).rev().collect();
    let expected: Vec<i64> = xs.iter().map(|x| x * x).collect();
    assert_eq!(pool.map(&SQUARE, xs).unwrap(), expected);
    // Uneven task lengths finish out of order; the results still come back in order.
    let jobs: Vec<(u64, u32)> = (0..12)
        .map(|i| (if i % 3 == 0 { 60 } else { 1 }, i))
        .collect();
    assert_eq!(
        pool.chunksize(1).map(&SLEEP_THEN, jobs).unwrap(),
        (0..12).collect::<Vec<_>>()
    );
}

fn every_chunk_size_gives_the_same_answer(m: StartMethod) {
    let pool = pool(m, 3);
    let n = 23;
    let expected: Vec<i64> = (0..n).map(|x| x * x).collect();
    for chunksize in 1..=n as usize + 2 {
        assert_eq!(
            pool.chunksize(chunksize).map(&SQUARE, 0..n).unwrap(),
            expected,
            "chunksize {chunksize}"
        );
        let imapped: Vec<i64> = pool
            .chunksize(chunksize)
            .imap(&SQUARE, 0..n)
            .map(Result::unwrap)
            .collect();
        assert_eq!(imapped, expected, "imap chunksize {chunksize}");
    }
}

fn empty_input_gives_empty_output(m: StartMethod) {
    let pool = pool(m, 2);
    assert_eq!(pool.map(&SQUARE, Vec::new()).unwrap(), Vec::<i64>::new());
    assert_eq!(pool.starmap(&ADD, Vec::new()).unwrap(), Vec::<i64>::new());
    assert_eq!(pool.imap(&SQUARE, Vec::new()).count(), 0);
    assert_eq!(pool.imap_unordered(&SQUARE, Vec::new()).count(), 0);
}

fn zero_workers_is_an_error(m: StartMethod) {
    assert!(matches!(
        Pool::builder().start_method(m).workers(0).build(),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        Pool::builder()
            .start_method(m)
            .max_tasks_per_child(0)
            .build(),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        common::ThreadPool::new(0),
        Err(Error::InvalidArgument(_))
    ));
    // The default is one worker per available core.
    let cores = std::thread::available_parallelism().unwrap().get();
    assert_eq!(
        Pool::builder().start_method(m).build().unwrap().workers(),
        cores
    );
}

fn starmap_unpacks_tuples(m: StartMethod) {
    let pool = pool(m, 2);
    let pairs: Vec<(i64, i64)> = (0..50).map(|i| (i, 10 * i)).collect();
    let expected: Vec<i64> = pairs.iter().map(|(a, b)| a + b).collect();
    assert_eq!(pool.starmap(&ADD, pairs).unwrap(), expected);
}

fn imap_yields_in_input_order(m: StartMethod) {
    let pool = pool(m, 3);
    // The first item is the slowest, yet order is kept.
    let jobs: Vec<(u64, u32)> = (0..8).map(|i| (if i == 0 { 100 } else { 1 }, i)).collect();
    let got: Vec<u32> = pool.imap(&SLEEP_THEN, jobs).map(Result::unwrap).collect();
    assert_eq!(got, (0..8).collect::<Vec<_>>());
}

fn imap_unordered_yields_in_completion_order(m: StartMethod) {
    let pool = pool(m, 2);
    // Item 0 sleeps long; with two workers the short items overtake it.
    let jobs = vec![(400, 0), (1, 1), (1, 2), (1, 3)];
    let got: Vec<u32> = pool
        .imap_unordered(&SLEEP_THEN, jobs)
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        got.iter().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from([0, 1, 2, 3])
    );
    assert_eq!(got.last(), Some(&0), "the slow item comes last: {got:?}");
}

fn imap_reads_an_endless_input_lazily(m: StartMethod) {
    let pool = pool(m, 2);
    let pulled = AtomicU64::new(0);
    let input = (0..).inspect(|_| {
        pulled.fetch_add(1, Ordering::Relaxed);
    });
    let first: Vec<i64> = pool
        .imap(&SQUARE, input)
        .take(10)
        .map(Result::unwrap)
        .collect();
    assert_eq!(first, (0..10).map(|x| x * x).collect::<Vec<i64>>());
    let pulled = pulled.load(Ordering::Relaxed);
    assert!(pulled <= 10 + 2 * 2, "read {pulled} items for 10 results");
}

fn apply_and_apply_async(m: StartMethod) {
    let pool = pool(m, 2);
    assert_eq!(pool.apply(&SQUARE, 12).unwrap(), 144);
    let handle = pool.apply_async(&SLEEP_THEN, (50, 7)).unwrap();
    handle.wait();
    assert!(handle.ready());
    assert_eq!(handle.get().unwrap(), 7);
}

fn get_timeout_leaves_the_task_running(m: StartMethod) {
    let pool = pool(m, 1);
    let mut handle = pool.apply_async(&SLEEP_THEN, (300, 9)).unwrap();
    assert!(!handle.ready());
    assert!(matches!(
        handle.get_timeout(Duration::from_millis(10)),
        Err(Error::WaitTimeout(_))
    ));
    assert_eq!(
        handle.get_timeout(Duration::from_secs(30)).unwrap(),
        9,
        "the task finished later"
    );
    assert!(matches!(
        handle.get_timeout(Duration::ZERO),
        Err(Error::InvalidArgument(_))
    ));
}

fn workers_are_separate_reused_processes(m: StartMethod) {
    let pool = pool(m, 3);
    let pids: BTreeSet<u32> = pool.pids().into_iter().collect();
    assert_eq!(pids.len(), 3);
    assert!(!pids.contains(&std::process::id()));
    let used: BTreeSet<u32> = pool
        .chunksize(1)
        .map(&WORKER_PID, vec![(); 60])
        .unwrap()
        .into_iter()
        .collect();
    assert!(
        used.is_subset(&pids),
        "tasks ran in the pool's workers: {used:?} vs {pids:?}"
    );
    assert_eq!(
        pool.pids().into_iter().collect::<BTreeSet<_>>(),
        pids,
        "workers are reused"
    );
}

fn initializer_runs_in_every_worker(m: StartMethod) {
    let pool = Pool::builder()
        .start_method(m)
        .workers(2)
        .initializer(&CONFIGURE, 42)
        .build()
        .unwrap();
    let seen = pool.chunksize(1).map(&SETTING_TASK, vec![(); 20]).unwrap();
    assert!(seen.iter().all(|&v| v == 42), "{seen:?}");
    assert_eq!(
        setting(()),
        0,
        "the parent's copy is untouched: processes do not share memory"
    );
}

fn a_panic_is_an_error_with_message_and_location(m: StartMethod) {
    let pool = pool(m, 2);
    let err = pool.apply(&PANIC_ON_MULTIPLE, (21, 7)).unwrap_err();
    let Error::TaskPanicked {
        index: None,
        message,
        location: Some(location),
    } = &err
    else {
        panic!("unexpected {err:?}")
    };
    assert_eq!(message, "21 is a multiple of 7");
    assert!(
        location.starts_with("crates/common/tests/pool.rs:"),
        "{location}"
    );
    // The worker caught the panic and is still usable.
    assert_eq!(pool.apply(&PANIC_ON_MULTIPLE, (22, 7)).unwrap(), 22);
}

fn map_reports_the_lowest_failing_index(m: StartMethod) {
    let pool = pool(m, 3);
    // Items 14, 21, 28, … fail (multiples of 7 above 7); the reported one must always be 14.
    let items: Vec<(u32, u32)> = (8..60).map(|x| (x, 7)).collect();
    for chunksize in [1, 2, 5, 64] {
        for _ in 0..3 {
            let err = pool
                .chunksize(chunksize)
                .map(&PANIC_ON_MULTIPLE, items.clone())
                .unwrap_err();
            assert_eq!(err.index(), Some(14 - 8), "chunksize {chunksize}: {err}");
            assert!(err.to_string().contains("14 is a multiple of 7"), "{err}");
        }
    }
}

fn imap_reports_each_failure_and_goes_on(m: StartMethod) {
    let pool = pool(m, 2);
    let results: Vec<_> = pool
        .chunksize(3)
        .imap(&PANIC_ON_MULTIPLE, (1..=10).map(|x| (x, 4)))
        .collect();
    assert_eq!(results.len(), 10);
    for (i, result) in results.iter().enumerate() {
        let x = i as u32 + 1;
        match result {
            Ok(v) => assert_eq!(*v, x),
            Err(e) => {
                assert_eq!(x % 4, 0, "{e}");
                assert_eq!(e.index(), Some(i));
            }
        }
    }
    assert_eq!(results.iter().filter(|r| r.is_err()).count(), 2);
}

fn unencodable_values_fail_only_their_task(m: StartMethod) {
    let pool = pool(m, 2);
    // A result that cannot be encoded in the worker.
    let err = pool.apply(&PICKY_RESULT, 13).unwrap_err();
    assert!(
        matches!(&err, Error::Encode { index: None, message } if message.contains("13 is unlucky")),
        "{err:?}"
    );
    let results: Vec<_> = pool.chunksize(4).imap(&PICKY_RESULT, 10..16).collect();
    assert_eq!(results.iter().filter(|r| r.is_err()).count(), 1);
    assert!(matches!(
        results[3],
        Err(Error::Encode { index: Some(3), .. })
    ));
    // An argument that cannot be encoded in the parent.
    let err = pool.map(&PICKY_ECHO, (10..16).map(Picky)).unwrap_err();
    assert!(
        matches!(err, Error::Encode { index: Some(3), .. }),
        "{err:?}"
    );
    // The pool is still fine.
    assert_eq!(pool.apply(&SQUARE, 3).unwrap(), 9);
}

fn unregistered_task_is_refused(m: StartMethod) {
    let pool = pool(m, 1);
    let err = pool.apply(&UNLISTED, 1).unwrap_err();
    assert!(
        matches!(&err, Error::UnregisteredTask(name) if name.ends_with("::unit_to_u32")),
        "{err:?}"
    );
    assert!(err.to_string().contains("common::init"));
    assert!(matches!(
        pool.map(&UNLISTED, [1]),
        Err(Error::UnregisteredTask(_))
    ));
    assert!(matches!(
        start(m, &UNLISTED, 1),
        Err(Error::UnregisteredTask(_))
    ));
}

fn bad_chunksize_is_an_error(m: StartMethod) {
    let pool = pool(m, 1);
    assert!(matches!(
        pool.chunksize(0).map(&SQUARE, [1]),
        Err(Error::InvalidArgument(_))
    ));
    let first = pool.chunksize(0).imap(&SQUARE, [1, 2]).next();
    assert!(matches!(first, Some(Err(Error::InvalidArgument(_)))));
}

fn close_refuses_new_work_and_join_finishes_queued_work(m: StartMethod) {
    let pool = pool(m, 2);
    let pending: Vec<_> = (0..6)
        .map(|i| pool.apply_async(&SLEEP_THEN, (30, i)).unwrap())
        .collect();
    pool.close();
    assert!(matches!(pool.apply(&SQUARE, 1), Err(Error::PoolClosed)));
    assert!(matches!(pool.map(&SQUARE, [1]), Err(Error::PoolClosed)));
    let pids = pool.pids();
    pool.join();
    for (i, handle) in pending.into_iter().enumerate() {
        assert_eq!(handle.get().unwrap(), i as u32, "queued work finished");
    }
    for pid in pids {
        assert!(!support::exists(pid), "worker {pid} reaped");
    }
}

fn terminate_fails_pending_work(m: StartMethod) {
    let pool = pool(m, 2);
    let pending: Vec<_> = (0..20)
        .map(|i| pool.apply_async(&SLEEP_THEN, (5_000, i)).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(50));
    let pids = pool.pids();
    pool.terminate();
    for handle in pending {
        assert!(matches!(handle.get(), Err(Error::PoolTerminated)));
    }
    assert!(matches!(pool.apply(&SQUARE, 1), Err(Error::PoolTerminated)));
    drop(pool);
    for pid in pids {
        assert!(!support::exists(pid), "worker {pid} reaped");
    }
}

fn task_output_reaches_stdout_intact() {
    let out = Command::new(std::env::current_exe().unwrap())
        .env("POOL_TEST_MODE", "print")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.pop(), Some(r#"results: ["A", "B", "C"]"#), "{stdout}");
    lines.sort_unstable(); // workers print concurrently: their order may vary
    assert_eq!(lines, ["worker says a", "worker says b", "worker says c"]);
}

fn a_program_without_init_cannot_start_workers() {
    let out = Command::new(std::env::current_exe().unwrap())
        .env("POOL_TEST_MODE", "no-init")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{}\n", Error::NotInitialized)
    );
}

fn thread_pool_has_the_same_shape(m: StartMethod) {
    let threads = common::ThreadPool::new(3).unwrap();
    let pool = pool(m, 3);
    let xs: Vec<i64> = (0..100).collect();
    assert_eq!(
        threads.map(&SQUARE, xs.clone()).unwrap(),
        pool.map(&SQUARE, xs.clone()).unwrap()
    );
    let pairs: Vec<(i64, i64)> = (0..10).map(|i| (i, i)).collect();
    assert_eq!(
        threads.starmap(&ADD, pairs.clone()).unwrap(),
        pool.starmap(&ADD, pairs).unwrap()
    );
    let imapped: Vec<i64> = threads
        .imap(&SQUARE, 0..)
        .take(50)
        .map(Result::unwrap)
        .collect();
    assert_eq!(imapped, (0..50).map(|x| x * x).collect::<Vec<i64>>());
    let items: Vec<(u32, u32)> = (8..60).map(|x| (x, 7)).collect();
    let err = threads.map(&PANIC_ON_MULTIPLE, items).unwrap_err();
    assert_eq!(err.index(), Some(6));
    assert!(
        matches!(&err, Error::TaskPanicked { location: Some(l), .. } if l.contains("tests/pool.rs"))
    );
}

fn map_equals_sequential_map_for_any_input(m: StartMethod) {
    let pool = pool(m, 3);
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let inputs = (
        proptest::collection::vec(-3_000_000_000i64..3_000_000_000, 0..300),
        1usize..70,
    );
    runner
        .run(&inputs, |(xs, chunksize)| {
            let expected: Vec<i64> = xs.iter().map(|&x| square(x)).collect();
            prop_assert_eq!(
                pool.chunksize(chunksize).map(&SQUARE, xs.clone()).unwrap(),
                expected.clone()
            );
            prop_assert_eq!(pool.map(&SQUARE, xs.clone()).unwrap(), expected.clone());
            let imapped: Vec<i64> = pool
                .chunksize(chunksize)
                .imap(&SQUARE, xs)
                .map(Result::unwrap)
                .collect();
            prop_assert_eq!(imapped, expected);
            Ok(())
        })
        .unwrap();
}

fn a_traced_call_records_who_ran_what_and_when(m: StartMethod) {
    let pool = pool(m, 2);
    let trace = common::Trace::new();
    let jobs: Vec<(u64, u32)> = (0..6).map(|i| (20, i)).collect();
    assert_eq!(
        pool.trace(&trace)
            .chunksize(1)
            .map(&SLEEP_THEN, jobs)
            .unwrap(),
        [0, 1, 2, 3, 4, 5]
    );
    let spans = trace.spans();
    assert_eq!(
        spans.iter().map(|s| s.index).collect::<BTreeSet<_>>(),
        (0..6).collect()
    );
    let pids: BTreeSet<u32> = pool.pids().into_iter().collect();
    for span in &spans {
        assert!(pids.contains(&span.pid), "{span:?}");
        assert!(
            span.end - span.start >= Duration::from_millis(20),
            "{span:?}"
        );
    }
    // Spans of one worker never overlap: a worker runs one task at a time.
    for pid in &pids {
        let mine: Vec<_> = spans.iter().filter(|s| s.pid == *pid).collect();
        assert!(mine.windows(2).all(|w| w[0].end <= w[1].start), "{mine:?}");
    }
    let timeline = trace.timeline(40);
    assert_eq!(timeline.lines().count(), pids.len() + 1, "{timeline}");
    // An untraced call records nothing.
    pool.map(&SQUARE, [1, 2]).unwrap();
    assert_eq!(trace.spans().len(), 6);
    // Traced applies are numbered in the order they were made.
    let applies = common::Trace::new();
    for x in 0..3 {
        pool.trace(&applies).apply(&SQUARE, x).unwrap();
    }
    let indexes: Vec<usize> = applies.spans().iter().map(|s| s.index).collect();
    assert_eq!(indexes, [0, 1, 2]);
    // A short run is measured in microseconds. (Spans recorded by hand: how long real applies
    // take depends on the machine's load.)
    let short = common::Trace::new();
    short.record(common::Span {
        index: 0,
        pid: 1,
        start: Duration::ZERO,
        end: Duration::from_micros(250),
        outcome: common::Outcome::Ran,
    });
    assert!(short.timeline(30).contains(" µs"), "{}", short.timeline(30));
}

fn a_trace_tells_which_tasks_failed_and_a_thread_trace_names_threads(m: StartMethod) {
    let pool = pool(m, 2);
    let trace = common::Trace::new();
    let results: Vec<_> = pool
        .trace(&trace)
        .chunksize(2)
        .imap(&PANIC_ON_MULTIPLE, (1..=6).map(|x| (x, 3)))
        .collect();
    assert_eq!(results.iter().filter(|r| r.is_err()).count(), 2);
    // (Spans come in the order they were recorded, which depends on which chunk ended first.)
    let failed: BTreeSet<usize> = trace
        .spans()
        .iter()
        .filter(|s| s.outcome == common::Outcome::Failed)
        .map(|s| s.index)
        .collect();
    assert_eq!(failed, [2, 5].into(), "items 3 and 6 panicked");
    assert!(trace.svg("imap").contains(", failed</title>"));

    let threads = common::ThreadPool::new(2).unwrap();
    let trace = common::Trace::of_threads();
    assert!(
        threads
            .trace(&trace)
            .map(&PANIC_ON_MULTIPLE, (1..=4).map(|x| (x, 4)))
            .is_err()
    );
    let spans = trace.spans();
    assert_eq!(spans.len(), 4);
    let outcomes: Vec<(usize, common::Outcome)> = {
        let mut o: Vec<_> = spans.iter().map(|s| (s.index, s.outcome)).collect();
        o.sort_by_key(|(i, _)| *i);
        o
    };
    assert_eq!(outcomes[3], (3, common::Outcome::Failed));
    assert!(
        outcomes[..3]
            .iter()
            .all(|(_, o)| *o == common::Outcome::Ran)
    );
    // Threads of this process, named as threads.
    let me = std::process::id();
    for span in &spans {
        assert!(
            std::path::Path::new(&format!("/proc/{me}/task/{}", span.pid)).exists()
                || span.pid != me,
            "{span:?}"
        );
    }
    assert!(trace.timeline(20).starts_with("thread "));
}

fn applies_from_many_threads_mix_with_queued_work(m: StartMethod) {
    // `apply` borrows an idle worker directly; `map` and `apply_async` go through the queue.
    // Mixed from several threads at once, every result must still be right.
    let pool = pool(m, 2);
    std::thread::scope(|scope| {
        for t in 0..4i64 {
            let pool = &pool;
            scope.spawn(move || {
                for x in 0..200 {
                    let x = t * 1000 + x;
                    assert_eq!(pool.apply(&SQUARE, x).unwrap(), x * x);
                }
            });
        }
        scope.spawn(|| {
            for _ in 0..20 {
                let xs: Vec<i64> = (0..100).collect();
                let expected: Vec<i64> = xs.iter().map(|x| x * x).collect();
                assert_eq!(pool.chunksize(3).map(&SQUARE, xs).unwrap(), expected);
            }
        });
        scope.spawn(|| {
            let handles: Vec<_> = (0..100)
                .map(|x| pool.apply_async(&SQUARE, x).unwrap())
                .collect();
            for (x, handle) in handles.into_iter().enumerate() {
                assert_eq!(handle.get().unwrap(), (x * x) as i64);
            }
        });
    });
    assert_eq!(pool.pids().len(), 2);
}

fn an_undecodable_argument_fails_only_its_item(m: StartMethod) {
    // Arguments lie end to end in a chunk, without lengths: after one the worker cannot decode,
    // it stops and the parent (which knows the lengths) sends the rest again. Only that item
    // fails, at every chunk size.
    let pool = pool(m, 2);
    let pids = pool.pids();
    for chunksize in [1, 3, 8] {
        let results: Vec<_> = pool
            .chunksize(chunksize)
            .imap(&TOUCHY_ECHO, (10..18).map(Touchy))
            .collect();
        for (i, result) in results.iter().enumerate() {
            if i == 3 {
                assert!(
                    matches!(result, Err(Error::Decode { index: Some(3), .. })),
                    "chunksize {chunksize}: {result:?}"
                );
            } else {
                assert_eq!(
                    result.as_ref().ok(),
                    Some(&(10 + i as u32)),
                    "chunksize {chunksize}"
                );
            }
        }
        let err = pool
            .chunksize(chunksize)
            .map(&TOUCHY_ECHO, (10..18).map(Touchy))
            .unwrap_err();
        assert_eq!(err.index(), Some(3), "{err}");
    }
    assert_eq!(pool.apply(&TOUCHY_ECHO, Touchy(1)).unwrap(), 1);
    assert_eq!(pool.pids(), pids, "no worker lost");
}

fn decoding_errors_keep_the_decoders_message(m: StartMethod) {
    // postcard drops the message of a `Deserialize` impl's own error; the pool must not.
    let pool = pool(m, 1);
    let has_message = |err: &Error| matches!(err, Error::Decode { message, .. } if message.contains("13 will not be read"));
    // An argument, decoded in the worker.
    let err = pool.apply(&TOUCHY_ECHO, Touchy(13)).unwrap_err();
    assert!(has_message(&err), "{err:?}");
    // A result, decoded in the parent, alone and nested in a sequence, a struct, a map.
    let err = pool.apply(&TOUCHY_RESULT, 13).unwrap_err();
    assert!(has_message(&err), "{err:?}");
    for shape in 0..3 {
        let err = pool.apply(&NESTED_RESULT, (shape, 13)).unwrap_err();
        assert!(has_message(&err), "shape {shape}: {err:?}");
        assert!(pool.apply(&NESTED_RESULT, (shape, 14)).is_ok());
    }
    let err = pool.chunksize(4).map(&TOUCHY_RESULT, 10..16).unwrap_err();
    assert!(has_message(&err) && err.index() == Some(3), "{err:?}");
}

fn a_result_the_parent_cannot_decode_fails_only_its_item(m: StartMethod) {
    // Outcomes lie end to end without lengths: after one the parent cannot decode (its
    // `Deserialize` refuses it, or panics), the next cannot be found. That item fails; the ones
    // after it in its chunk, whose results are lost, run again.
    let pool = pool(m, 2);
    for chunksize in [1, 3, 8] {
        let refused: Vec<bool> = pool
            .chunksize(chunksize)
            .imap(&TOUCHY_RESULT, 10..16)
            .map(|r| r.is_ok())
            .collect();
        assert_eq!(
            refused,
            [true, true, true, false, true, true],
            "chunksize {chunksize}"
        );
        let panicked: Vec<Result<u32, Error>> = pool
            .chunksize(chunksize)
            .imap(&BRITTLE_RESULT, 10..16)
            .map(|r| r.map(|b| b.0))
            .collect();
        for (i, result) in panicked.iter().enumerate() {
            if i == 3 {
                assert!(
                    matches!(result, Err(Error::Decode { index: Some(3), message }) if message.contains("brittle 13")),
                    "chunksize {chunksize}: {result:?}"
                );
            } else {
                assert_eq!(
                    result.as_ref().ok(),
                    Some(&(10 + i as u32)),
                    "chunksize {chunksize}"
                );
            }
        }
        let err = pool
            .chunksize(chunksize)
            .map(&BRITTLE_RESULT, 10..16)
            .unwrap_err();
        assert_eq!(err.index(), Some(3), "{err}");
    }
}

fn a_panic_in_a_workers_decoder_or_encoder_fails_only_that_item(m: StartMethod) {
    // The worker decodes arguments and encodes results with the user's serde impls: a panic
    // there is caught like a task's, not a silent death of the worker.
    let pool = pool(m, 1);
    let pids = pool.pids();
    let err = pool.apply(&BRITTLE_ECHO, Brittle(13)).unwrap_err();
    assert!(
        matches!(&err, Error::Decode { message, .. } if message.contains("panicked") && message.contains("brittle 13")),
        "{err:?}"
    );
    let err = pool.apply(&SHAKY_RESULT, 13).unwrap_err();
    assert!(
        matches!(&err, Error::Encode { message, .. } if message.contains("panicked") && message.contains("shaky 13")),
        "{err:?}"
    );
    for chunksize in [1, 8] {
        let shape = |results: Vec<Result<u32, Error>>| -> Vec<bool> {
            results.iter().map(Result::is_ok).collect()
        };
        let decoded = pool
            .chunksize(chunksize)
            .imap(&BRITTLE_ECHO, (10..16).map(Brittle))
            .collect();
        assert_eq!(shape(decoded), [true, true, true, false, true, true]);
        let encoded = pool
            .chunksize(chunksize)
            .imap(&SHAKY_RESULT, 10..16)
            .map(|r| r.map(|s| s.0))
            .collect();
        assert_eq!(shape(encoded), [true, true, true, false, true, true]);
    }
    // A task's own panic is still caught and reported after those.
    assert!(matches!(
        pool.apply(&PANIC_ON_MULTIPLE, (4, 2)),
        Err(Error::TaskPanicked { .. })
    ));
    assert_eq!(pool.pids(), pids, "the worker survived all of it");
}

fn imap_yields_the_results_before_a_failing_input(m: StartMethod) {
    // CPython's test_imap_handle_iterable_exception: the input raises at item 3; the results of
    // items 0, 1 and 2 come out first, then the exception.
    let pool = pool(m, 2);
    for (ordered, chunksize) in [(true, 1), (true, 2), (false, 1), (false, 2)] {
        let input = (0..10i64).inspect(|&x| assert_ne!(x, 3, "the input fails at 3"));
        let call = pool.chunksize(chunksize);
        let mut results = if ordered {
            call.imap(&SQUARE, input)
        } else {
            call.imap_unordered(&SQUARE, input)
        };
        let mut got = Vec::new();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for result in &mut results {
                got.push(result.unwrap());
            }
        }));
        let payload = caught.expect_err("the input's panic reaches the caller");
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(message.contains("the input fails at 3"), "{message:?}");
        if !ordered {
            got.sort_unstable();
        }
        assert_eq!(got, [0, 1, 4], "ordered {ordered}, chunksize {chunksize}");
    }
}

fn a_panicking_map_input_cancels_its_queued_chunks(m: StartMethod) {
    // The caller catches the panic of `map`'s input and goes on: the chunks the map had queued
    // must not keep the only worker busy for nobody.
    let pool = pool(m, 1);
    let dir = support::marker_dir("map-input-panic");
    let input = (0..20u32).map(|i| {
        assert_ne!(i, 5, "the input fails at 5");
        (dir.clone(), 1_000, i)
    });
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.chunksize(1).map(&MARK_THEN_SLEEP, input)
    }));
    assert!(caught.is_err(), "the input's panic reaches the caller");
    // Queued after the map's chunks: only the item already running may come first.
    assert_eq!(pool.apply(&SQUARE, 3).unwrap(), 9);
    let ran = support::markers(&dir);
    assert!(ran.len() <= 1, "items of the abandoned map ran: {ran:?}");
}

fn two_tasks_of_one_name_are_told_apart(m: StartMethod) {
    // Only TWIN_ONE and NAMED_U32 are registered. Their namesakes must be refused, not run as
    // the registered function on bytes meant for another.
    let pool = pool(m, 1);
    assert_eq!(pool.apply(&TWIN_ONE, 1).unwrap(), 101);
    assert!(
        matches!(pool.apply(&TWIN_TWO, 1), Err(Error::UnregisteredTask(_))),
        "{:?}",
        pool.apply(&TWIN_TWO, 1)
    );
    assert_eq!(pool.apply(&NAMED_U32, 5).unwrap(), 5);
    let err = pool.apply(&NAMED_STRING, "abc".to_owned()).unwrap_err();
    assert!(matches!(err, Error::UnregisteredTask(_)), "{err:?}");
    // Registered together, each runs its own function.
    let out = Command::new(std::env::current_exe().unwrap())
        .env("POOL_TEST_MODE", "twins")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "101 201\n");
}

fn apply_does_not_jump_the_queue(m: StartMethod) {
    // One thread calls `apply` in a loop, which borrows the idle worker directly. A task queued
    // meanwhile must be next in line: every apply that begins after it was queued runs after it.
    // (The worker counts its tasks, so their order is exact, not timed.)
    let pool = pool(m, 1);
    let begun = AtomicU64::new(0);
    let log = std::sync::Mutex::new(Vec::new());
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::SeqCst) {
                let began = begun.fetch_add(1, Ordering::SeqCst);
                let tick = pool.apply(&TICK, ()).unwrap();
                log.lock().unwrap().push((began, tick));
            }
        });
        let mut jumped = Vec::new();
        for _ in 0..20 {
            let queued = pool.apply_async(&TICK, ()).unwrap();
            let mark = begun.load(Ordering::SeqCst);
            let tick = queued.get().unwrap();
            assert!(support::eventually(Duration::from_secs(20), || {
                log.lock().unwrap().iter().any(|&(began, _)| began > mark)
            }));
            jumped.push(
                log.lock()
                    .unwrap()
                    .iter()
                    .filter(|&&(began, t)| began >= mark && t < tick)
                    .count(),
            );
        }
        stop.store(true, Ordering::SeqCst);
        assert!(
            jumped.iter().all(|&n| n == 0),
            "applies begun after a task was queued ran before it, per round: {jumped:?}"
        );
    });
}
