//! State shared by a pool's handle and its supervisor threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::job::Job;
use super::slots::{Slots, State};
use crate::error::{Error, Result};
use crate::spawn::StartMethod;

/// The encoded initializer every new worker runs first.
#[derive(Debug)]
pub(crate) struct Initializer {
    /// The task's key (see [`Task`](crate::Task)).
    pub task: &'static str,
    pub arg: Vec<u8>,
    /// The descriptors the argument carries (see `attach`), sent to every new worker.
    pub attached: crate::attach::Attachments,
}

#[derive(Debug)]
pub(crate) struct Shared {
    /// Worker processes started so far, replacements included.
    spawned: AtomicUsize,
    /// Whether the pool takes work, the queue of jobs, and where each slot's worker is (lent to
    /// a caller of `apply`, parked, or busy), so `terminate` can kill any of them from any
    /// thread.
    pub slots: Slots,
    /// Supervisor threads still running, so `terminate` can wait until every worker is reaped.
    supervisors: Mutex<usize>,
    supervisors_done: Condvar,
    pub initializer: Option<Initializer>,
    pub max_tasks_per_child: Option<usize>,
    pub task_timeout: Option<Duration>,
    /// How workers start, for good: replacements start the same way.
    pub start_method: StartMethod,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub(crate) fn new(
        workers: usize,
        initializer: Option<Initializer>,
        max_tasks_per_child: Option<usize>,
        task_timeout: Option<Duration>,
        start_method: StartMethod,
    ) -> Self {
        Shared {
            spawned: AtomicUsize::new(0),
            slots: Slots::new(workers),
            supervisors: Mutex::new(0),
            supervisors_done: Condvar::new(),
            initializer,
            max_tasks_per_child,
            task_timeout,
            start_method,
        }
    }

    pub(crate) fn is_terminated(&self) -> bool {
        self.slots.state() == State::Terminated
    }

    /// Queues a job, unless the pool no longer accepts work.
    pub(crate) fn submit(&self, job: Job) -> Result<()> {
        self.slots.submit(job)
    }

    /// Stops accepting work; queued jobs still run.
    pub(crate) fn close(&self) {
        self.slots.close();
    }

    /// Counts slot `slot`'s supervisor thread in; the returned guard counts it out when
    /// dropped (even by a panic), so waiting for the count to reach zero cannot hang.
    pub(crate) fn supervisor_running(self: &Arc<Self>, slot: usize) -> SupervisorGuard {
        *lock(&self.supervisors) += 1;
        SupervisorGuard {
            shared: Arc::clone(self),
            slot,
        }
    }

    /// Stops accepting work, fails queued jobs, kills every worker and waits until all are
    /// reaped.
    pub(crate) fn terminate(&self) {
        for job in self.slots.terminate() {
            job.fail(0..job.len(), Error::PoolTerminated);
        }
        self.slots.kill_all();
        let mut running = lock(&self.supervisors);
        while *running > 0 {
            running = self
                .supervisors_done
                .wait(running)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Counts a worker process started.
    pub(crate) fn count_spawn(&self) {
        self.spawned.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn spawned(&self) -> usize {
        self.spawned.load(Ordering::Relaxed)
    }

    /// Process ids of the live workers.
    pub(crate) fn pids(&self) -> Vec<u32> {
        self.slots.pids()
    }
}

/// Held by a running supervisor thread; see [`Shared::supervisor_running`].
#[derive(Debug)]
pub(crate) struct SupervisorGuard {
    shared: Arc<Shared>,
    slot: usize,
}

impl Drop for SupervisorGuard {
    fn drop(&mut self) {
        // Normally already done; after a panic, this kills and reaps the slot's worker (the
        // last handle to it) so it is neither left running nor listed by `pids`.
        self.shared.slots.publish(self.slot, None);
        let mut running = lock(&self.shared.supervisors);
        *running -= 1;
        if *running == 0 {
            self.shared.supervisors_done.notify_all();
        }
    }
}
