//! `Queue`, `Pipe`, shared memory, `Lock` and `Descriptor` between real processes: what a
//! Python program ports, and what a process's death does to each (nothing hangs: every wait
//! here is bounded by the harness, and the program's own timeouts are generous).
//!
//! Own `main` (harness = false): workers are this test binary started again.

mod support;

use std::io::{Read, Write};
use std::sync::TryLockError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::{
    Array, Descriptor, Error, IpcError, Lock, Pipe, Pool, Process, Queue, QueueReceiver,
    QueueSender, SharedAtomic, Task, Value, task,
};
use support::test;

/// Long enough that only a hang reaches it.
const PATIENCE: Duration = Duration::from_secs(30);

fn produce((queue, from, count): (QueueSender<u64>, u64, u64)) -> Result<(), IpcError> {
    for n in from..from + count {
        queue.put(&n)?;
    }
    Ok(())
}
fn consume(queue: QueueReceiver<u64>) -> Result<(u64, u64), IpcError> {
    let (mut count, mut sum) = (0, 0);
    loop {
        match queue.get_timeout(PATIENCE) {
            Ok(n) => (count, sum) = (count + 1, sum + n),
            Err(IpcError::Disconnected) => return Ok((count, sum)),
            Err(e) => return Err(e),
        }
    }
}
/// Puts `count` items, then dies by SIGKILL (no destructor, no clean exit).
fn put_then_die((queue, count): (QueueSender<u64>, u64)) {
    for n in 0..count {
        queue.put(&n).unwrap();
    }
    kill_myself();
}
/// Takes one item, says so, then dies.
fn get_one_then_die((queue, said): (QueueReceiver<u64>, Pipe<u64>)) {
    let n = queue.get_timeout(PATIENCE).unwrap();
    said.send(&n).unwrap();
    kill_myself();
}
fn echo_big(end: Pipe<Vec<u8>>) -> Result<(), IpcError> {
    loop {
        match end.recv() {
            Ok(bytes) => end.send(&bytes.iter().rev().copied().collect())?,
            Err(IpcError::Disconnected) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}
/// Sends a queue end through a pipe: a descriptor inside a message.
fn hand_over((end, queue): HandOver) -> Result<(), IpcError> {
    end.send(&queue.sender())?;
    Ok(())
}
fn sleep_forever(_: Pipe<u64>) {
    std::thread::sleep(Duration::from_secs(600));
}
fn add_atomically((counter, n): (SharedAtomic<AtomicU64>, u64)) {
    for _ in 0..n {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}
/// A read, a pause, a write: loses updates unless the lock makes it one step.
fn add_under_lock((value, n): (Value<u64>, u64)) {
    for _ in 0..n {
        let mut held = value.lock().unwrap();
        let read = *held;
        std::thread::yield_now();
        *held = read + 1;
    }
}
fn fill((array, byte): (Array<u8>, u8)) {
    array.lock().unwrap().fill(byte);
}
/// Takes the lock, says so through the pipe, and dies holding it when told to.
fn die_holding((lock, said): (Lock, Pipe<u64>)) {
    let _held = lock.lock().unwrap();
    said.send(&1).unwrap();
    let _ = said.recv_timeout(PATIENCE);
    kill_myself();
}
/// Waits for the lock (held by someone else when it starts) and reports how it got it.
fn wait_for_lock(lock: Lock) -> String {
    match lock.lock_timeout(PATIENCE) {
        Ok(_) => "free".into(),
        Err(TryLockError::Poisoned(_)) => "poisoned".into(),
        Err(TryLockError::WouldBlock) => "timed out".into(),
    }
}
fn write_line((pipe, i): (Descriptor, u32)) -> u32 {
    let mut writer = std::io::PipeWriter::from(pipe.into_owned());
    writeln!(writer, "item {i}").unwrap();
    if i == 1 {
        std::process::abort(); // kills the worker in the middle of a chunk
    }
    i
}
fn write_len((pipe, body): (Descriptor, Vec<u8>)) -> usize {
    let mut writer = std::io::PipeWriter::from(pipe.into_owned());
    writeln!(writer, "{}", body.len()).unwrap();
    body.len()
}
fn write_byte(pipe: Descriptor) -> u8 {
    let mut writer = std::io::PipeWriter::from(pipe.into_owned());
    writer.write_all(b"!").unwrap();
    1
}
fn count_descriptors(pipes: Vec<Descriptor>) -> usize {
    pipes.len()
}

fn kill_myself() -> ! {
    // SAFETY: kill on our own pid has no memory-safety preconditions.
    unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
    unreachable!("SIGKILL cannot be caught")
}

const PRODUCE: Task<(QueueSender<u64>, u64, u64), Result<(), IpcError>> = task!(produce);
const CONSUME: Task<QueueReceiver<u64>, Result<(u64, u64), IpcError>> = task!(consume);
const PUT_THEN_DIE: Task<(QueueSender<u64>, u64), ()> = task!(put_then_die);
const GET_ONE_THEN_DIE: Task<(QueueReceiver<u64>, Pipe<u64>), ()> = task!(get_one_then_die);
const ECHO_BIG: Task<Pipe<Vec<u8>>, Result<(), IpcError>> = task!(echo_big);
type HandOver = (Pipe<QueueSender<u64>, ()>, Queue<u64>);
const HAND_OVER: Task<HandOver, Result<(), IpcError>> = task!(hand_over);
const SLEEP_FOREVER: Task<Pipe<u64>, ()> = task!(sleep_forever);
const ADD_ATOMICALLY: Task<(SharedAtomic<AtomicU64>, u64), ()> = task!(add_atomically);
const ADD_UNDER_LOCK: Task<(Value<u64>, u64), ()> = task!(add_under_lock);
const FILL: Task<(Array<u8>, u8), ()> = task!(fill);
const DIE_HOLDING: Task<(Lock, Pipe<u64>), ()> = task!(die_holding);
const WAIT_FOR_LOCK: Task<Lock, String> = task!(wait_for_lock);
const WRITE_LINE: Task<(Descriptor, u32), u32> = task!(write_line);
const COUNT_DESCRIPTORS: Task<Vec<Descriptor>, usize> = task!(count_descriptors);
const WRITE_BYTE: Task<Descriptor, u8> = task!(write_byte);
const WRITE_LEN: Task<(Descriptor, Vec<u8>), usize> = task!(write_len);

fn main() {
    common::init(&[
        &PRODUCE,
        &CONSUME,
        &PUT_THEN_DIE,
        &GET_ONE_THEN_DIE,
        &ECHO_BIG,
        &HAND_OVER,
        &SLEEP_FOREVER,
        &ADD_ATOMICALLY,
        &ADD_UNDER_LOCK,
        &FILL,
        &DIE_HOLDING,
        &WAIT_FOR_LOCK,
        &WRITE_LINE,
        &COUNT_DESCRIPTORS,
        &WRITE_BYTE,
        &WRITE_LEN,
    ]);
    let args = libtest_mimic::Arguments::from_args();
    let tests = vec![
        test(
            "many_producers_and_consumers_among_pool_workers_and_processes",
            many_producers_and_consumers_among_pool_workers_and_processes,
        ),
        test("timeouts_say_full_and_empty", timeouts_say_full_and_empty),
        test(
            "a_producer_that_dies_disconnects_the_consumers",
            a_producer_that_dies_disconnects_the_consumers,
        ),
        test(
            "a_consumer_that_dies_disconnects_a_blocked_producer",
            a_consumer_that_dies_disconnects_a_blocked_producer,
        ),
        test(
            "large_messages_cross_queues_and_pipes",
            large_messages_cross_queues_and_pipes,
        ),
        test(
            "an_end_travels_inside_a_message",
            an_end_travels_inside_a_message,
        ),
        test(
            "a_pipe_whose_other_end_dies_is_disconnected",
            a_pipe_whose_other_end_dies_is_disconnected,
        ),
        test(
            "shared_memory_is_one_memory_across_processes",
            shared_memory_is_one_memory_across_processes,
        ),
        test(
            "a_lock_whose_holder_dies_is_released_poisoned",
            a_lock_whose_holder_dies_is_released_poisoned,
        ),
        test(
            "descriptors_are_sent_again_after_a_worker_dies",
            descriptors_are_sent_again_after_a_worker_dies,
        ),
        test(
            "bare_descriptors_travel_as_items_of_a_map",
            bare_descriptors_travel_as_items_of_a_map,
        ),
        test(
            "a_descriptor_travels_beside_a_body_too_large_for_the_socket",
            a_descriptor_travels_beside_a_body_too_large_for_the_socket,
        ),
        test(
            "too_many_descriptors_in_one_chunk_is_an_encode_error",
            too_many_descriptors_in_one_chunk_is_an_encode_error,
        ),
        test(
            "a_descriptor_encoded_elsewhere_is_refused",
            a_descriptor_encoded_elsewhere_is_refused,
        ),
    ];
    libtest_mimic::run(&args, tests).exit();
}

fn many_producers_and_consumers_among_pool_workers_and_processes() {
    let (sender, receiver) = Queue::<u64>::new(4).unwrap().split();
    // Two consumers in processes of their own, one in this process; three producers in a pool.
    let consumers: Vec<_> = (0..2)
        .map(|_| Process::start(&CONSUME, receiver.clone()).unwrap())
        .collect();
    let pool = Pool::new(3).unwrap();
    let producers = pool
        .map_async(&PRODUCE, (0..3).map(|i| (sender.clone(), i * 1000, 500)))
        .unwrap();
    drop(sender);
    let mine = consume(receiver).unwrap();
    for produced in producers.get().unwrap() {
        produced.unwrap();
    }
    let (mut count, mut sum) = mine;
    for consumer in consumers {
        let (c, s) = consumer.join().unwrap().unwrap();
        (count, sum) = (count + c, sum + s);
    }
    let expected: u64 = (0..3).flat_map(|i| i * 1000..i * 1000 + 500).sum();
    assert_eq!(
        (count, sum),
        (1500, expected),
        "every item taken exactly once"
    );
}

fn timeouts_say_full_and_empty() {
    let queue = Queue::<u64>::new(2).unwrap();
    assert!(matches!(
        queue.get_timeout(Duration::from_millis(20)),
        Err(IpcError::Empty)
    ));
    queue.put(&1).unwrap();
    queue.put(&2).unwrap();
    assert!(matches!(
        queue.put_timeout(&3, Duration::from_millis(20)),
        Err(IpcError::Full)
    ));
    assert_eq!(queue.get().unwrap(), 1);
    queue.put_timeout(&3, Duration::ZERO).unwrap();
    assert_eq!([queue.get().unwrap(), queue.get().unwrap()], [2, 3]);
    assert!(Queue::<u64>::new(0).is_err());
}

fn a_producer_that_dies_disconnects_the_consumers() {
    let (sender, receiver) = Queue::<u64>::new(8).unwrap().split();
    let child = Process::start(&PUT_THEN_DIE, (sender, 3)).unwrap();
    // The parent's copy of the sender went with the task; the child is the last sender.
    let got: Vec<u64> = (0..3)
        .map(|_| receiver.get_timeout(PATIENCE).unwrap())
        .collect();
    assert_eq!(got, [0, 1, 2], "what was sent before the death arrives");
    assert!(matches!(
        receiver.get_timeout(PATIENCE),
        Err(IpcError::Disconnected)
    ));
    assert!(matches!(child.join(), Err(Error::WorkerDied { .. })));

    // A producer killed while it waits in `put` on a full queue: the same.
    let (sender, receiver) = Queue::<u64>::new(1).unwrap().split();
    let child = Process::start(&PUT_THEN_DIE, (sender, 1000)).unwrap();
    assert_eq!(receiver.get_timeout(PATIENCE).unwrap(), 0);
    child.kill().unwrap();
    child.wait();
    let mut drained = 0;
    loop {
        match receiver.get_timeout(PATIENCE) {
            Ok(_) => drained += 1,
            Err(IpcError::Disconnected) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(drained <= 3, "at most the queue's contents, got {drained}");
}

fn a_consumer_that_dies_disconnects_a_blocked_producer() {
    let (sender, receiver) = Queue::<u64>::new(1).unwrap().split();
    let (said, hear) = Pipe::<u64>::pair().unwrap();
    let child = Process::start(&GET_ONE_THEN_DIE, (receiver, said)).unwrap();
    sender.put(&7).unwrap();
    assert_eq!(hear.recv_timeout(PATIENCE).unwrap(), 7);
    child.wait();
    // No receiver is left: a put that finds the queue full, or one that sends, says so.
    let mut outcome = Ok(());
    for n in 0..3 {
        outcome = sender.put_timeout(&n, PATIENCE);
        if outcome.is_err() {
            break;
        }
    }
    assert!(
        matches!(outcome, Err(IpcError::Disconnected)),
        "{outcome:?}"
    );
}

fn large_messages_cross_queues_and_pipes() {
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let (ours, theirs) = Pipe::<Vec<u8>>::pair().unwrap();
    let child = Process::start(&ECHO_BIG, theirs).unwrap();
    for size in [0, 10, 40_000, big.len()] {
        ours.send(&big[..size].to_vec()).unwrap();
        let back = ours.recv_timeout(PATIENCE).unwrap();
        assert!(back.iter().eq(big[..size].iter().rev()), "size {size}");
    }
    drop(ours);
    child.join().unwrap().unwrap();

    let queue = Queue::<Vec<u8>>::new(2).unwrap();
    queue.put(&big).unwrap();
    assert_eq!(queue.get().unwrap(), big);
}

fn an_end_travels_inside_a_message() {
    let queue = Queue::<u64>::new(4).unwrap();
    let (ours, theirs) = Pipe::<(), QueueSender<u64>>::pair().unwrap();
    let child = Process::start(&HAND_OVER, (theirs, queue.clone())).unwrap();
    let sender = ours.recv_timeout(PATIENCE).unwrap();
    child.join().unwrap().unwrap();
    sender.put(&42).unwrap();
    assert_eq!(queue.get().unwrap(), 42);
}

fn a_pipe_whose_other_end_dies_is_disconnected() {
    let (ours, theirs) = Pipe::<u64>::pair().unwrap();
    let child = Process::start(&SLEEP_FOREVER, theirs).unwrap();
    assert!(matches!(
        ours.recv_timeout(Duration::from_millis(20)),
        Err(IpcError::Empty)
    ));
    child.kill().unwrap();
    assert!(matches!(
        ours.recv_timeout(PATIENCE),
        Err(IpcError::Disconnected)
    ));
    assert!(matches!(ours.send(&1), Err(IpcError::Disconnected)));
}

fn shared_memory_is_one_memory_across_processes() {
    let pool = Pool::new(3).unwrap();
    let counter = SharedAtomic::new(AtomicU64::new(0)).unwrap();
    pool.map(&ADD_ATOMICALLY, (0..6).map(|_| (counter.clone(), 10_000)))
        .unwrap();
    assert_eq!(counter.load(Ordering::Relaxed), 60_000);

    let value = Value::new(0u64).unwrap();
    pool.map(&ADD_UNDER_LOCK, (0..3).map(|_| (value.clone(), 2_000)))
        .unwrap();
    assert_eq!(
        value.get(),
        6_000,
        "the lock made every read-and-write one step"
    );

    let array = Array::<u8>::new(1 << 20).unwrap();
    Process::start(&FILL, (array.clone(), 9))
        .unwrap()
        .join()
        .unwrap();
    assert!(array.to_vec().iter().all(|&b| b == 9));
}

fn a_lock_whose_holder_dies_is_released_poisoned() {
    let lock = Lock::new().unwrap();
    let (said, hear) = Pipe::<u64>::pair().unwrap();
    let holder = Process::start(&DIE_HOLDING, (lock.clone(), said)).unwrap();
    hear.recv_timeout(PATIENCE).unwrap(); // it holds the lock now
    // A waiter in another process, started while the lock is held.
    let waiter = Process::start(&WAIT_FOR_LOCK, lock.clone()).unwrap();
    assert!(matches!(
        lock.lock_timeout(Duration::from_millis(20)),
        Err(TryLockError::WouldBlock)
    ));
    hear.send(&0).unwrap(); // die now
    assert!(matches!(holder.join(), Err(Error::WorkerDied { .. })));
    assert_eq!(waiter.join().unwrap(), "poisoned");
    assert!(lock.is_poisoned());
    lock.clear_poison();
    assert!(lock.try_lock().is_ok());
}

fn descriptors_are_sent_again_after_a_worker_dies() {
    let pool = Pool::new(1).unwrap();
    let mut readers = Vec::new();
    let items: Vec<(Descriptor, u32)> = (0..4)
        .map(|i| {
            let (reader, writer) = std::io::pipe().unwrap();
            readers.push(reader);
            (Descriptor::from(writer), i)
        })
        .collect();
    // One chunk of four; item 1 aborts its worker after writing: item 0's result is lost and it
    // runs again on a new worker, which must get its descriptor again.
    let results: Vec<_> = pool.chunksize(4).imap(&WRITE_LINE, items).collect();
    assert!(matches!(results[1], Err(Error::WorkerDied { .. })));
    for i in [0, 2, 3] {
        assert_eq!(*results[i as usize].as_ref().unwrap(), i);
    }
    drop(pool);
    for (i, mut reader) in readers.into_iter().enumerate() {
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        assert!(text.starts_with(&format!("item {i}\n")), "{i}: {text:?}");
    }
}

fn bare_descriptors_travel_as_items_of_a_map() {
    // A descriptor alone encodes as one number (its id), so a chunk of them is laid out as
    // words: the id must still find its descriptor on the other side.
    let pool = Pool::new(2).unwrap();
    let (mut readers, writers): (Vec<_>, Vec<_>) = (0..6)
        .map(|_| {
            let (reader, writer) = std::io::pipe().unwrap();
            (reader, Descriptor::from(writer))
        })
        .unzip();
    assert_eq!(pool.chunksize(3).map(&WRITE_BYTE, writers).unwrap(), [1; 6]);
    drop(pool);
    for reader in &mut readers {
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        assert_eq!(text, "!");
    }
}

fn a_descriptor_travels_beside_a_body_too_large_for_the_socket() {
    // A body of 64 KiB or more goes through the shared file; the descriptor still rides on the
    // frame's first byte, on the socket.
    let pool = Pool::new(1).unwrap();
    let (mut reader, writer) = std::io::pipe().unwrap();
    let body = vec![7u8; 1 << 20];
    let arg = (Descriptor::from(writer), body);
    assert_eq!(pool.apply(&WRITE_LEN, arg).unwrap(), 1 << 20);
    drop(pool);
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap();
    assert_eq!(text, format!("{}\n", 1 << 20));
}

fn too_many_descriptors_in_one_chunk_is_an_encode_error() {
    let pool = Pool::new(1).unwrap();
    let (_reader, writer) = std::io::pipe().unwrap();
    let fd = std::os::fd::OwnedFd::from(writer);
    let many = |n| {
        (0..n)
            .map(|_| Descriptor::from(fd.try_clone().unwrap()))
            .collect::<Vec<_>>()
    };
    assert_eq!(pool.apply(&COUNT_DESCRIPTORS, many(200)).unwrap(), 200);
    let err = pool.apply(&COUNT_DESCRIPTORS, many(300)).unwrap_err();
    assert!(
        matches!(&err, Error::Encode { message, .. } if message.contains("253")),
        "{err}"
    );
}

fn a_descriptor_encoded_elsewhere_is_refused() {
    let lock = Lock::new().unwrap();
    let err = serde_json::to_string(&lock).unwrap_err();
    assert!(err.to_string().contains("task argument"), "{err}");
}
