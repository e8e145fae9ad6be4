//! State shared by a pool's handle and its supervisor threads.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crossbeam_channel::Sender;

use super::job::Job;
use crate::child::Child;
use crate::error::{Error, Result};

const RUNNING: u8 = 0;
const CLOSED: u8 = 1;
const TERMINATED: u8 = 2;

/// The encoded initializer every new worker runs first.
#[derive(Debug)]
pub(crate) struct Initializer {
    pub task: &'static str,
    pub arg: Vec<u8>,
}

#[derive(Debug)]
pub(crate) struct Shared {
    state: AtomicU8,
    /// The queue's only sender. Dropping it (close, terminate) lets supervisors drain the
    /// queue and stop.
    queue: Mutex<Option<Sender<Job>>>,
    /// Each slot's current worker, so `terminate` can kill it from any thread.
    workers: Vec<Mutex<Option<Arc<Child>>>>,
    pub initializer: Option<Initializer>,
    pub max_tasks_per_child: Option<usize>,
    pub task_timeout: Option<Duration>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub(crate) fn new(
        queue: Sender<Job>,
        workers: usize,
        initializer: Option<Initializer>,
        max_tasks_per_child: Option<usize>,
        task_timeout: Option<Duration>,
    ) -> Self {
        Shared {
            state: AtomicU8::new(RUNNING),
            queue: Mutex::new(Some(queue)),
            workers: (0..workers).map(|_| Mutex::new(None)).collect(),
            initializer,
            max_tasks_per_child,
            task_timeout,
        }
    }

    pub(crate) fn is_terminated(&self) -> bool {
        self.state.load(Ordering::SeqCst) == TERMINATED
    }

    /// Queues a job, unless the pool no longer accepts work.
    pub(crate) fn submit(&self, job: Job) -> Result<()> {
        let queue = lock(&self.queue);
        match (&*queue, self.state.load(Ordering::SeqCst)) {
            (Some(queue), RUNNING) => queue.send(job).map_err(|_| Error::PoolTerminated),
            (_, TERMINATED) => Err(Error::PoolTerminated),
            _ => Err(Error::PoolClosed),
        }
    }

    /// Stops accepting work; queued jobs still run.
    pub(crate) fn close(&self) {
        let mut queue = lock(&self.queue);
        let _ = self
            .state
            .compare_exchange(RUNNING, CLOSED, Ordering::SeqCst, Ordering::SeqCst);
        queue.take();
    }

    /// Stops accepting work, fails queued jobs and kills every worker.
    pub(crate) fn terminate(&self) {
        {
            let mut queue = lock(&self.queue);
            self.state.store(TERMINATED, Ordering::SeqCst);
            queue.take();
        }
        for worker in &self.workers {
            if let Some(child) = &*lock(worker) {
                let _ = child.signal(libc::SIGKILL);
            }
        }
    }

    /// Records slot `slot`'s current worker.
    pub(crate) fn publish(&self, slot: usize, child: Option<Arc<Child>>) {
        *lock(&self.workers[slot]) = child;
    }

    /// Process ids of the live workers.
    pub(crate) fn pids(&self) -> Vec<u32> {
        self.workers
            .iter()
            .filter_map(|w| lock(w).as_ref().map(|c| c.pid()))
            .collect()
    }
}
