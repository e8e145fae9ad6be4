//! The pool's board: whether it takes work, the queue of jobs, and where each slot's worker is.
//!
//! A queued task crosses two thread hops besides the process boundary: caller → supervisor and
//! back. For a small synchronous `apply` those hops cost as much as the round trip to the
//! worker, so an idle supervisor parks its worker here, and `apply` borrows it and talks to it
//! directly. One lock guards the pool's state, the queue and the workers' whereabouts together,
//! which is what keeps the shortcut fair: a worker is lent only while the queue is empty, so an
//! `apply` never overtakes work that was queued before it; and a supervisor whose worker is lent
//! out never takes a job it could not start: the job stays in the queue for the others until
//! the worker comes back. Spawning stays with the supervisor (a worker's parent-death signal is
//! tied to the thread that spawned it): a borrower that loses the worker returns the slot empty
//! and asks its supervisor for a replacement.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::job::Job;
use crate::child::Child;
use crate::error::{Error, Result};
use crate::link::Link;

/// Whether the pool takes work: the one place that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Running,
    /// No new work; queued work still runs.
    Closed,
    /// No work at all: queued jobs were failed, workers killed.
    Terminated,
}

impl State {
    /// `Ok` while the pool takes work, else the error a new submission gets.
    pub(crate) fn accepting(self) -> Result<()> {
        match self {
            State::Running => Ok(()),
            State::Closed => Err(Error::PoolClosed),
            State::Terminated => Err(Error::PoolTerminated),
        }
    }
}

/// Where a slot's worker is.
#[derive(Debug)]
enum Lent {
    /// With its supervisor (or there is none).
    Home,
    /// Parked by its idle supervisor, free to borrow.
    Parked(Link),
    /// Borrowed by a caller of `apply`.
    Out,
}

#[derive(Debug)]
struct Board {
    state: State,
    queue: VecDeque<Job>,
    lent: Vec<Lent>,
    /// Slots whose worker is parked.
    idle: Vec<usize>,
    /// Slots whose borrowed worker was lost: their supervisor starts a new one.
    replace: Vec<bool>,
    /// Slots whose supervisor is asleep in [`Slots::wait`].
    sleeping: Vec<bool>,
}

impl Board {
    /// Takes slot `slot`'s parked worker back to its supervisor.
    fn take_home(&mut self, slot: usize) -> Option<Link> {
        match std::mem::replace(&mut self.lent[slot], Lent::Home) {
            Lent::Parked(link) => {
                self.idle.retain(|&s| s != slot);
                Some(link)
            }
            Lent::Home => None,
            Lent::Out => unreachable!("a supervisor never takes back a lent worker"),
        }
    }
}

/// Why a supervisor woke up.
#[derive(Debug)]
pub(crate) enum Wakeup {
    Job(Job),
    /// A borrowed worker was lost: start a replacement.
    Replace,
    /// The pool is closed and the queue is empty.
    Closed,
}

#[derive(Debug)]
pub(crate) struct Slots {
    board: Mutex<Board>,
    /// One per slot, to wake just the supervisor that has something to do: one that can take a
    /// new job, the one whose worker came back to a waiting queue, or all when the pool closes.
    wake: Vec<Condvar>,
    /// Each slot's current worker process, so `terminate` can kill it from any thread.
    children: Vec<Mutex<Option<Arc<Child>>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Slots {
    pub(crate) fn new(workers: usize) -> Self {
        let board = Board {
            state: State::Running,
            queue: VecDeque::new(),
            lent: (0..workers).map(|_| Lent::Home).collect(),
            idle: Vec::with_capacity(workers),
            replace: vec![false; workers],
            sleeping: vec![false; workers],
        };
        Slots {
            board: Mutex::new(board),
            wake: (0..workers).map(|_| Condvar::new()).collect(),
            children: (0..workers).map(|_| Mutex::new(None)).collect(),
        }
    }

    /// Records slot `slot`'s current worker process.
    pub(crate) fn publish(&self, slot: usize, child: Option<Arc<Child>>) {
        *lock(&self.children[slot]) = child;
    }

    /// Process ids of the live workers.
    pub(crate) fn pids(&self) -> Vec<u32> {
        self.children
            .iter()
            .filter_map(|c| lock(c).as_ref().map(|c| c.pid()))
            .collect()
    }

    /// Kills every worker, wherever it is.
    pub(crate) fn kill_all(&self) {
        for child in &self.children {
            if let Some(child) = &*lock(child) {
                let _ = child.signal(libc::SIGKILL);
            }
        }
    }

    /// The pool's state now.
    pub(crate) fn state(&self) -> State {
        lock(&self.board).state
    }

    /// Queues a job, unless the pool no longer takes work.
    pub(crate) fn submit(&self, job: Job) -> Result<()> {
        let mut board = lock(&self.board);
        board.state.accepting()?;
        board.queue.push_back(job);
        // Wake one sleeping supervisor whose worker is at hand; a busy one looks at the queue
        // when it is done, and one whose worker is lent when the worker comes back.
        let slot = (0..board.sleeping.len())
            .find(|&s| board.sleeping[s] && !matches!(board.lent[s], Lent::Out));
        if let Some(slot) = slot {
            board.sleeping[slot] = false;
            self.wake[slot].notify_one();
        }
        Ok(())
    }

    /// Takes no more jobs; those queued still run.
    pub(crate) fn close(&self) {
        let mut board = lock(&self.board);
        if board.state == State::Running {
            board.state = State::Closed;
        }
        drop(board);
        self.wake_all();
    }

    fn wake_all(&self) {
        self.wake.iter().for_each(Condvar::notify_all);
    }

    /// Takes no work at all any more, and hands back the queued jobs, to be failed.
    pub(crate) fn terminate(&self) -> Vec<Job> {
        let mut board = lock(&self.board);
        board.state = State::Terminated;
        let jobs = board.queue.drain(..).collect();
        drop(board);
        self.wake_all();
        jobs
    }

    /// Supervisor: parks `link` (its idle worker) where a caller of `apply` can borrow it, and
    /// waits for something to do. Returns why it woke, with the worker taken back (`None` if
    /// there is none, or a borrower lost it).
    pub(crate) fn wait(&self, slot: usize, link: Option<Link>) -> (Wakeup, Option<Link>) {
        let mut board = lock(&self.board);
        if let Some(link) = link {
            board.lent[slot] = Lent::Parked(link);
            board.idle.push(slot);
        }
        loop {
            // A lent worker is not ours to use: leave jobs to the others until it is back.
            if !matches!(board.lent[slot], Lent::Out) {
                if board.replace[slot] {
                    board.replace[slot] = false;
                    return (Wakeup::Replace, board.take_home(slot));
                }
                if let Some(job) = board.queue.pop_front() {
                    return (Wakeup::Job(job), board.take_home(slot));
                }
                if board.state != State::Running {
                    return (Wakeup::Closed, board.take_home(slot));
                }
            }
            board.sleeping[slot] = true;
            board = self.wake[slot]
                .wait(board)
                .unwrap_or_else(|e| e.into_inner());
            board.sleeping[slot] = false;
        }
    }

    /// Caller: an idle worker to use directly, if there is one and nothing waits in the queue
    /// (work queued earlier goes first). An error if the pool takes no work.
    pub(crate) fn borrow(&self) -> Result<Option<(usize, Link)>> {
        let mut board = lock(&self.board);
        board.state.accepting()?;
        if !board.queue.is_empty() {
            return Ok(None);
        }
        let Some(slot) = board.idle.pop() else {
            return Ok(None);
        };
        match std::mem::replace(&mut board.lent[slot], Lent::Out) {
            Lent::Parked(link) => Ok(Some((slot, link))),
            _ => unreachable!("only parked workers are listed as idle"),
        }
    }

    /// Caller: returns a borrowed worker, or `None` if it died or retired, which asks the
    /// supervisor for a replacement.
    pub(crate) fn give_back(&self, slot: usize, link: Option<Link>) {
        let mut board = lock(&self.board);
        match link {
            Some(link) => {
                board.lent[slot] = Lent::Parked(link);
                board.idle.push(slot);
            }
            None => {
                board.lent[slot] = Lent::Home;
                board.replace[slot] = true;
                self.publish(slot, None);
            }
        }
        // The supervisor only needs waking if there is something for it to do now (usually
        // not: an `apply` in a loop would otherwise wake it for nothing every time).
        if board.replace[slot] || !board.queue.is_empty() || board.state != State::Running {
            self.wake[slot].notify_one();
        }
    }
}
