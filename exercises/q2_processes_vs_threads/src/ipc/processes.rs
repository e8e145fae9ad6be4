//! The process rows: each echo is a task that runs in a `common::Process` child, and the
//! parent's side of it.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use common::{
    Array, Descriptor, IpcError, Pipe, Pool, Process, Queue, QueueReceiver, QueueSender,
    SharedAtomic, Task, task,
};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use super::{Echo, broke, bulk_block, wait_for};
use crate::{Error, PLUS_ONE};

/// What this side asks an echo, and what it answers, over a `common::Pipe` or `Queue`.
#[derive(Debug, Serialize, Deserialize)]
pub enum Ask {
    PlusOne(u64),
    Bulk,
}

#[derive(Debug, Serialize, Deserialize)]
pub enum Answer {
    PlusOne(u64),
    Bulk(ByteBuf),
}

/// What an echo answers `ask` with; `bulk` is its block, made once (`put` and `send` take a
/// reference: they encode a copy, so the block is never copied twice).
fn answer<'a>(ask: Ask, bulk: &'a Answer, plus_one: &'a mut Answer) -> &'a Answer {
    match ask {
        Ask::PlusOne(n) => {
            *plus_one = Answer::PlusOne(n.wrapping_add(1));
            plus_one
        }
        Ask::Bulk => bulk,
    }
}

// ANCHOR: pipe_child
/// The request that asks a raw-pipe echo for the bulk block instead of `n + 1`.
const BULK: u64 = u64::MAX;

/// In the child: answers every `u64` read from one pipe with the number plus one on the
/// other (or with the bulk block), until the parent closes its end.
fn pipe_echo((requests, answers, len): (Descriptor, Descriptor, usize)) -> Result<(), String> {
    let block = bulk_block(len);
    let mut requests = std::io::PipeReader::from(requests.into_owned());
    let mut answers = std::io::PipeWriter::from(answers.into_owned());
    let mut n = [0u8; 8];
    while requests.read_exact(&mut n).is_ok() {
        let written = match u64::from_ne_bytes(n) {
            BULK => answers.write_all(&block),
            n => answers.write_all(&(n + 1).to_ne_bytes()),
        };
        written.map_err(|e| e.to_string())?;
    }
    Ok(())
}
// ANCHOR_END: pipe_child

// ANCHOR: queue_child
/// In the child: answers every request from one queue on the other, until every sender of
/// requests is gone.
fn queue_echo((requests, answers, len): QueueEnds) -> Result<(), IpcError> {
    let (bulk, mut plus_one) = (
        Answer::Bulk(ByteBuf::from(bulk_block(len))),
        Answer::PlusOne(0),
    );
    loop {
        match requests.get() {
            Ok(ask) => answers.put(answer(ask, &bulk, &mut plus_one))?,
            Err(IpcError::Disconnected) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}
// ANCHOR_END: queue_child

/// The same over a `common::Pipe`, both ways on one connection.
fn common_pipe_echo((end, len): (Pipe<Answer, Ask>, usize)) -> Result<(), IpcError> {
    let (bulk, mut plus_one) = (
        Answer::Bulk(ByteBuf::from(bulk_block(len))),
        Answer::PlusOne(0),
    );
    loop {
        match end.recv() {
            Ok(ask) => end.send(answer(ask, &bulk, &mut plus_one))?,
            Err(IpcError::Disconnected) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// Request words with this bit set ask for the bulk block.
pub(super) const BULK_BIT: u64 = 1 << 63;

// ANCHOR: shared_child
/// Watches `words[0]` for a new request and answers in `words[1]` (the request plus one),
/// after `on_bulk` when the request asks for the block. No system call, no sleep: it polls, and
/// so takes a core while it waits. A request of 0 stops it.
pub(super) fn poll_requests(words: &[AtomicU64; 2], mut on_bulk: impl FnMut()) {
    let mut seen = 0;
    loop {
        let request = words[0].load(Ordering::Acquire);
        if request == seen {
            thread::yield_now();
            continue;
        }
        if request == 0 {
            return;
        }
        if request & BULK_BIT != 0 {
            on_bulk();
        }
        seen = request;
        words[1].store(request + 1, Ordering::Release); // publishes the copy too
    }
}

/// In the child: answers through shared memory, copying its block into the array when asked.
fn shared_echo((words, array): (SharedAtomic<[AtomicU64; 2]>, Array<u8>)) {
    let block = bulk_block(array.len());
    poll_requests(&words, || array.lock().unwrap().copy_from_slice(&block));
}
// ANCHOR_END: shared_child

/// In a pool worker: the bulk block as a result (made once per worker, then kept).
fn bulk_result(len: usize) -> ByteBuf {
    static BLOCK: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    ByteBuf::from(BLOCK.get_or_init(|| bulk_block(len)).clone())
}

pub const PIPE_ECHO: Task<(Descriptor, Descriptor, usize), Result<(), String>> = task!(pipe_echo);
/// A queue echo's ends: requests in, answers out, and the block's length.
pub type QueueEnds = (QueueReceiver<Ask>, QueueSender<Answer>, usize);

pub const QUEUE_ECHO: Task<QueueEnds, Result<(), IpcError>> = task!(queue_echo);
pub const COMMON_PIPE_ECHO: Task<(Pipe<Answer, Ask>, usize), Result<(), IpcError>> =
    task!(common_pipe_echo);
pub const SHARED_ECHO: Task<(SharedAtomic<[AtomicU64; 2]>, Array<u8>), ()> = task!(shared_echo);
pub const BULK_RESULT: Task<usize, ByteBuf> = task!(bulk_result);

/// Joins a child echo and checks that its task returned `Ok`.
fn joined<E: std::fmt::Display + serde::de::DeserializeOwned + Send + 'static>(
    child: Process<Result<(), E>>,
    what: &'static str,
) -> Result<(), Error> {
    child.join()?.map_err(broke(what))
}
pub(super) struct RawPipe {
    requests: std::io::PipeWriter,
    answers: std::io::PipeReader,
    child: Process<Result<(), String>>,
    /// Where the block is read into: kept from one transfer to the next.
    buffer: Vec<u8>,
}

impl RawPipe {
    // ANCHOR: pipe_start
    pub(super) fn start(len: usize) -> Result<Box<dyn Echo>, Error> {
        let (their_requests, requests) = std::io::pipe().map_err(Error::io("a pipe"))?;
        let (answers, their_answers) = std::io::pipe().map_err(Error::io("a pipe"))?;
        // The child's ends go with the task (their descriptors, beside its argument).
        let ends = (their_requests.into(), their_answers.into(), len);
        let child = Process::start(&PIPE_ECHO, ends)?;
        let buffer = vec![0u8; len]; // where the block is read into, kept from run to run
        let pipe = RawPipe {
            requests,
            answers,
            child,
            buffer,
        };
        Ok(Box::new(pipe))
    }
    // ANCHOR_END: pipe_start
}

impl Echo for RawPipe {
    fn round_trip(&mut self, n: u64) -> Result<u64, Error> {
        self.requests
            .write_all(&n.to_ne_bytes())
            .map_err(Error::io("the pipe"))?;
        let mut answer = [0u8; 8];
        self.answers
            .read_exact(&mut answer)
            .map_err(Error::io("the pipe"))?;
        Ok(u64::from_ne_bytes(answer))
    }

    fn bulk(&mut self) -> Result<Vec<u8>, Error> {
        self.requests
            .write_all(&BULK.to_ne_bytes())
            .map_err(Error::io("the pipe"))?;
        let mut block = std::mem::take(&mut self.buffer);
        self.answers
            .read_exact(&mut block)
            .map_err(Error::io("the pipe"))?;
        Ok(block)
    }

    fn give_back(&mut self, block: Vec<u8>) {
        self.buffer = block;
    }

    fn stop(self: Box<Self>) -> Result<(), Error> {
        let RawPipe {
            requests, child, ..
        } = *self;
        drop(requests); // end of file for the child
        joined(child, "the pipe echo")
    }
}

pub(super) struct CommonPipe {
    end: Pipe<Ask, Answer>,
    child: Process<Result<(), IpcError>>,
}

impl CommonPipe {
    pub(super) fn start(len: usize) -> Result<Box<dyn Echo>, Error> {
        let (end, theirs) = Pipe::pair().map_err(broke("a common::Pipe"))?;
        let child = Process::start(&COMMON_PIPE_ECHO, (theirs, len))?;
        Ok(Box::new(CommonPipe { end, child }))
    }
}

impl Echo for CommonPipe {
    fn round_trip(&mut self, n: u64) -> Result<u64, Error> {
        self.end.send(&Ask::PlusOne(n)).map_err(broke("the pipe"))?;
        plus_one(self.end.recv().map_err(broke("the pipe"))?)
    }

    fn bulk(&mut self) -> Result<Vec<u8>, Error> {
        self.end.send(&Ask::Bulk).map_err(broke("the pipe"))?;
        bulk(self.end.recv().map_err(broke("the pipe"))?)
    }

    fn stop(self: Box<Self>) -> Result<(), Error> {
        let CommonPipe { end, child } = *self;
        drop(end);
        joined(child, "the common::Pipe echo")
    }
}

fn plus_one(answer: Answer) -> Result<u64, Error> {
    match answer {
        Answer::PlusOne(n) => Ok(n),
        Answer::Bulk(_) => Err(Error::failed(
            "an echo",
            "answered the wrong request".into(),
        )),
    }
}

fn bulk(answer: Answer) -> Result<Vec<u8>, Error> {
    match answer {
        Answer::Bulk(block) => Ok(block.into_vec()),
        Answer::PlusOne(_) => Err(Error::failed(
            "an echo",
            "answered the wrong request".into(),
        )),
    }
}

pub(super) struct QueueEcho {
    requests: QueueSender<Ask>,
    answers: QueueReceiver<Answer>,
    child: Process<Result<(), IpcError>>,
}

impl QueueEcho {
    pub(super) fn start(len: usize) -> Result<Box<dyn Echo>, Error> {
        let (requests, their_requests) = Queue::new(16).map_err(broke("a queue"))?.split();
        let (their_answers, answers) = Queue::new(16).map_err(broke("a queue"))?.split();
        let child = Process::start(&QUEUE_ECHO, (their_requests, their_answers, len))?;
        Ok(Box::new(QueueEcho {
            requests,
            answers,
            child,
        }))
    }
}

impl Echo for QueueEcho {
    fn round_trip(&mut self, n: u64) -> Result<u64, Error> {
        self.requests
            .put(&Ask::PlusOne(n))
            .map_err(broke("the queue"))?;
        plus_one(self.answers.get().map_err(broke("the queue"))?)
    }

    fn bulk(&mut self) -> Result<Vec<u8>, Error> {
        self.requests.put(&Ask::Bulk).map_err(broke("the queue"))?;
        bulk(self.answers.get().map_err(broke("the queue"))?)
    }

    fn stop(self: Box<Self>) -> Result<(), Error> {
        let QueueEcho {
            requests, child, ..
        } = *self;
        drop(requests); // the last sender of requests: the child's `get` says Disconnected
        joined(child, "the queue echo")
    }
}

pub(super) struct SharedMemory {
    words: SharedAtomic<[AtomicU64; 2]>,
    array: Array<u8>,
    child: Process<()>,
    sequence: u64,
    /// Where the block is copied out to: kept from one transfer to the next.
    buffer: Vec<u8>,
}

impl Echo for SharedMemory {
    fn round_trip(&mut self, n: u64) -> Result<u64, Error> {
        // The request word must change every time, so it carries a sequence number, not n.
        self.sequence += 1;
        self.words[0].store(self.sequence, Ordering::Release);
        let child = &self.child;
        wait_for(&self.words[1], self.sequence + 1, || child.is_alive())?;
        Ok(n + 1)
    }

    fn bulk(&mut self) -> Result<Vec<u8>, Error> {
        self.sequence += 1;
        self.words[0].store(self.sequence | BULK_BIT, Ordering::Release);
        let child = &self.child;
        wait_for(&self.words[1], (self.sequence | BULK_BIT) + 1, || {
            child.is_alive()
        })?;
        let mut block = std::mem::take(&mut self.buffer);
        block.copy_from_slice(&self.array.lock().unwrap()); // copied out, as a pipe's reader
        Ok(block)
    }

    fn give_back(&mut self, block: Vec<u8>) {
        self.buffer = block;
    }

    fn stop(self: Box<Self>) -> Result<(), Error> {
        self.words[0].store(0, Ordering::Release);
        self.child.join()?;
        Ok(())
    }
}

impl SharedMemory {
    pub(super) fn start(len: usize) -> Result<Box<dyn Echo>, Error> {
        let words = SharedAtomic::new([AtomicU64::new(0), AtomicU64::new(0)])
            .map_err(Error::io("shared memory"))?;
        let array = Array::new(len).map_err(Error::io("shared memory"))?;
        let child = Process::start(&SHARED_ECHO, (words.clone(), array.clone()))?;
        let buffer = vec![0u8; len];
        Ok(Box::new(SharedMemory {
            words,
            array,
            child,
            sequence: 0,
            buffer,
        }))
    }
}

/// The pool's own channel: `apply` on a warm pool of one worker.
pub(super) struct PoolEcho {
    pool: Pool,
    len: usize,
}

impl PoolEcho {
    pub(super) fn start(len: usize) -> Result<Box<dyn Echo>, Error> {
        let pool = Pool::new(1)?;
        Ok(Box::new(PoolEcho { pool, len }))
    }
}

impl Echo for PoolEcho {
    fn round_trip(&mut self, n: u64) -> Result<u64, Error> {
        Ok(self.pool.apply(&PLUS_ONE, n)?)
    }

    fn bulk(&mut self) -> Result<Vec<u8>, Error> {
        Ok(self.pool.apply(&BULK_RESULT, self.len)?.into_vec())
    }

    fn stop(self: Box<Self>) -> Result<(), Error> {
        self.pool.join();
        Ok(())
    }
}
