//! The thread rows: the same echoes on a thread of this process.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::{self, JoinHandle};

use super::processes::{BULK_BIT, poll_requests};
use super::{Echo, bulk_block, wait_for};
use crate::Error;

/// A thread echo over a channel pair: `send` and `recv` given as functions, so one type
/// serves `std::sync::mpsc` and `crossbeam_channel`.
enum ThreadAsk {
    PlusOne(u64),
    Bulk,
    /// The block, back to the thread that lends it (untimed).
    Return(Vec<u8>),
}

enum ThreadAnswer {
    PlusOne(u64),
    Bulk(Vec<u8>),
}

/// The body of a thread echo: answers until the asking side hangs up. Lends its one block
/// (moved, not copied) and gets it back after each bulk transfer.
fn thread_echo(
    len: usize,
    recv: impl Fn() -> Option<ThreadAsk>,
    send: impl Fn(ThreadAnswer) -> bool,
) {
    let mut block = Some(bulk_block(len));
    while let Some(ask) = recv() {
        let answer = match ask {
            ThreadAsk::PlusOne(n) => ThreadAnswer::PlusOne(n + 1),
            ThreadAsk::Bulk => ThreadAnswer::Bulk(block.take().expect("given back after use")),
            ThreadAsk::Return(given) => {
                block = Some(given);
                continue;
            }
        };
        if !send(answer) {
            return;
        }
    }
}

struct ChannelEcho<S: Fn(ThreadAsk) -> bool, R: Fn() -> Option<ThreadAnswer>> {
    send: S,
    recv: R,
    thread: Option<JoinHandle<()>>,
}

impl<S: Fn(ThreadAsk) -> bool, R: Fn() -> Option<ThreadAnswer>> Echo for ChannelEcho<S, R> {
    fn round_trip(&mut self, n: u64) -> Result<u64, Error> {
        let hung_up = || Error::failed("the thread echo", "it hung up".into());
        if !(self.send)(ThreadAsk::PlusOne(n)) {
            return Err(hung_up());
        }
        match (self.recv)() {
            Some(ThreadAnswer::PlusOne(n)) => Ok(n),
            _ => Err(hung_up()),
        }
    }

    fn bulk(&mut self) -> Result<Vec<u8>, Error> {
        let hung_up = || Error::failed("the thread echo", "it hung up".into());
        if !(self.send)(ThreadAsk::Bulk) {
            return Err(hung_up());
        }
        match (self.recv)() {
            Some(ThreadAnswer::Bulk(block)) => Ok(block),
            _ => Err(hung_up()),
        }
    }

    fn give_back(&mut self, block: Vec<u8>) {
        (self.send)(ThreadAsk::Return(block));
    }

    fn stop(mut self: Box<Self>) -> Result<(), Error> {
        let thread = self.thread.take();
        drop(self); // hangs up: the echo's `recv` ends
        if let Some(thread) = thread {
            thread.join().expect("the echo does not panic");
        }
        Ok(())
    }
}

pub(super) fn mpsc_echo(len: usize) -> Result<Box<dyn Echo>, Error> {
    let (asks, their_asks) = mpsc::channel::<ThreadAsk>();
    let (their_answers, answers) = mpsc::channel::<ThreadAnswer>();
    let thread = thread::Builder::new()
        .spawn(move || {
            thread_echo(
                len,
                || their_asks.recv().ok(),
                |a| their_answers.send(a).is_ok(),
            )
        })
        .map_err(Error::thread)?;
    Ok(Box::new(ChannelEcho {
        send: move |ask| asks.send(ask).is_ok(),
        recv: move || answers.recv().ok(),
        thread: Some(thread),
    }))
}

pub(super) fn crossbeam_echo(len: usize) -> Result<Box<dyn Echo>, Error> {
    let (asks, their_asks) = crossbeam_channel::bounded::<ThreadAsk>(16);
    let (their_answers, answers) = crossbeam_channel::bounded::<ThreadAnswer>(16);
    let thread = thread::Builder::new()
        .spawn(move || {
            thread_echo(
                len,
                || their_asks.recv().ok(),
                |a| their_answers.send(a).is_ok(),
            )
        })
        .map_err(Error::thread)?;
    Ok(Box::new(ChannelEcho {
        send: move |ask| asks.send(ask).is_ok(),
        recv: move || answers.recv().ok(),
        thread: Some(thread),
    }))
}

/// Shared memory between threads: the same protocol as [`SharedMemory`], on an `Arc`.
pub(super) struct ThreadShared {
    words: Arc<[AtomicU64; 2]>,
    array: Arc<Mutex<Vec<u8>>>,
    thread: JoinHandle<()>,
    sequence: u64,
    buffer: Vec<u8>,
}

impl ThreadShared {
    pub(super) fn start(len: usize) -> Result<Box<dyn Echo>, Error> {
        let words = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
        let array = Arc::new(Mutex::new(vec![0u8; len]));
        let (w, a) = (Arc::clone(&words), Arc::clone(&array));
        let thread = thread::Builder::new()
            .spawn(move || {
                let block = bulk_block(len);
                poll_requests(&w, || a.lock().unwrap().copy_from_slice(&block));
            })
            .map_err(Error::thread)?;
        let buffer = vec![0u8; len];
        Ok(Box::new(ThreadShared {
            words,
            array,
            thread,
            sequence: 0,
            buffer,
        }))
    }
}

impl Echo for ThreadShared {
    fn round_trip(&mut self, n: u64) -> Result<u64, Error> {
        self.sequence += 1;
        self.words[0].store(self.sequence, Ordering::Release);
        let thread = &self.thread;
        wait_for(&self.words[1], self.sequence + 1, || !thread.is_finished())?;
        Ok(n + 1)
    }

    fn bulk(&mut self) -> Result<Vec<u8>, Error> {
        self.sequence += 1;
        self.words[0].store(self.sequence | BULK_BIT, Ordering::Release);
        let thread = &self.thread;
        wait_for(&self.words[1], (self.sequence | BULK_BIT) + 1, || {
            !thread.is_finished()
        })?;
        let mut block = std::mem::take(&mut self.buffer);
        block.copy_from_slice(&self.array.lock().unwrap());
        Ok(block)
    }

    fn give_back(&mut self, block: Vec<u8>) {
        self.buffer = block;
    }

    fn stop(self: Box<Self>) -> Result<(), Error> {
        self.words[0].store(0, Ordering::Release);
        self.thread.join().expect("the echo does not panic");
        Ok(())
    }
}
