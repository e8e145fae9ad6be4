//! One thread per worker slot: it spawns the worker, feeds it jobs from the shared queue,
//! notices its death or overrun, replaces it, and reaps it at the end.
//!
//! A dedicated thread per worker keeps every step a plain blocking call, and it is also what the
//! worker's parent-death signal is tied to: the thread lives exactly as long as its worker.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;

use crossbeam_channel::Sender;

use super::job::Job;
use super::shared::{Shared, SupervisorGuard};
use super::slots::Wakeup;
use crate::error::{Error, Result};
use crate::link::{Link, Reply, RunOptions};
use crate::progress::Position;

/// A worker that dies before starting (or after finishing) a chunk is not the chunk's fault, so
/// the chunk is retried; this many times, in case something keeps killing fresh workers.
const RETRIES: u32 = 3;

pub(crate) struct Supervisor {
    shared: Arc<Shared>,
    slot: usize,
    link: Option<Link>,
}

impl Supervisor {
    /// The thread body: start a worker, report readiness, then serve jobs until the pool
    /// closes.
    pub(crate) fn run(
        shared: Arc<Shared>,
        slot: usize,
        ready: Sender<Result<()>>,
        _running: SupervisorGuard,
    ) {
        let mut this = Supervisor {
            shared,
            slot,
            link: None,
        };
        match this.start_worker() {
            Ok(()) => drop(ready.send(Ok(()))),
            Err(e) => return drop(ready.send(Err(e))),
        }
        drop(ready);
        loop {
            // While waiting, the idle worker may serve an `apply` directly (see `slots`).
            let (wakeup, link) = this.shared.slots.wait(this.slot, this.link.take());
            this.link = link;
            match wakeup {
                Wakeup::Closed => break,
                Wakeup::Replace => this.replace_worker(),
                Wakeup::Job(job) if this.shared.is_terminated() => {
                    job.fail(0..job.len(), Error::PoolTerminated);
                }
                Wakeup::Job(job) if job.call.wants(job.first) => this.run_job(&job),
                Wakeup::Job(_) => {} // cancelled by its call
            }
        }
        this.stop_worker();
    }

    /// Keeps the pool at full strength, as Python does: replace a dead or retired worker now
    /// rather than when the next job arrives. If that fails, the next job retries and reports
    /// the error.
    fn replace_worker(&mut self) {
        if self.link.is_none() && !self.shared.is_terminated() {
            let _ = self.start_worker();
        }
    }

    fn start_worker(&mut self) -> Result<()> {
        let mut link = Link::spawn()?;
        self.shared.count_spawn();
        // Publish the child before anything can block, so `terminate` can always reach it.
        self.shared
            .slots
            .publish(self.slot, Some(Arc::clone(link.child())));
        if self.shared.is_terminated() {
            link.child().kill_and_wait();
            self.shared.slots.publish(self.slot, None);
            return Err(Error::PoolTerminated);
        }
        link.ready()?;
        if let Some(init) = &self.shared.initializer {
            let outcome = link
                .run(init.task, &init.arg, 1, RunOptions::default())
                .into_single::<()>();
            if let Err(e) = outcome {
                link.child().kill_and_wait();
                self.shared.slots.publish(self.slot, None);
                return Err(Error::InitializerFailed(Box::new(e)));
            }
        }
        self.link = Some(link);
        Ok(())
    }

    /// Ends the current worker: gracefully if the pool is closing, at once if terminated.
    fn stop_worker(&mut self) {
        if let Some(link) = self.link.take() {
            if self.shared.is_terminated() {
                link.child().kill_and_wait();
            } else {
                link.shutdown();
            }
        }
        self.shared.slots.publish(self.slot, None);
    }

    /// Runs every item of `job`, answering each exactly once.
    fn run_job(&mut self, job: &Job) {
        // Ranges of the job still to run. A death in the middle of a range splits it: the item
        // that was running fails, the rest run again on a fresh worker.
        let mut todo: VecDeque<Range<usize>> = VecDeque::new();
        todo.push_back(0..job.len());
        let mut retries = 0;
        while let Some(range) = todo.pop_front() {
            if self.shared.is_terminated() {
                job.fail(range.start..job.len(), Error::PoolTerminated);
                return;
            }
            if self.link.is_none()
                && let Err(e) = self.start_worker()
            {
                job.fail(range, e);
                continue;
            }
            let link = self.link.as_mut().expect("a worker was just started");
            let (args, count) = job.slice(range.clone());
            let options = RunOptions {
                limit: job.limit,
                traced: job.trace.is_some(),
                ..RunOptions::default()
            };
            let reply = link.run(job.task, args, count, options);
            let item_failed = match reply {
                Reply::Done { frame, times } => {
                    if let Some(trace) = &job.trace {
                        trace.record_times(job.first + range.start, link.pid(), &times);
                    }
                    job.done(range, frame);
                    continue;
                }
                Reply::Failed(e) => {
                    self.lost_worker();
                    job.fail(range, e);
                    continue;
                }
                // ANCHOR: death
                Reply::TimedOut { item, started_ns } => {
                    let limit = job.limit.expect("only timed jobs time out");
                    trace_killed(job, range.start + item, link.pid(), started_ns);
                    (item, Error::TaskTimeout { index: None, limit })
                }
                Reply::Died { pid, exit, at } => match at {
                    Position::Running { item, started_ns } => {
                        trace_killed(job, range.start + item, pid, started_ns);
                        (
                            item,
                            Error::WorkerDied {
                                index: None,
                                pid,
                                exit,
                            },
                        )
                    }
                    // Nothing of the chunk ran: not its fault, so it runs again.
                    Position::NotStarted if retries < RETRIES => {
                        retries += 1;
                        self.lost_worker();
                        todo.push_front(range);
                        continue;
                    }
                    // `Finished`: every item ran, but the results died with the worker. They
                    // fail rather than run twice: a task is never run again after it finished
                    // (see "A task may run twice" in the Pool docs).
                    Position::NotStarted | Position::Finished => {
                        self.lost_worker();
                        job.fail(
                            range,
                            Error::WorkerDied {
                                index: None,
                                pid,
                                exit,
                            },
                        );
                        continue;
                    }
                },
            };
            self.lost_worker();
            let (item, error) = item_failed;
            let failed = range.start + item;
            let error = if self.shared.is_terminated() {
                Error::PoolTerminated
            } else {
                error.at(job.first + failed)
            };
            job.fail(failed..failed + 1, error);
            // Items before the failed one finished, but their results died with the worker.
            todo.push_front(failed + 1..range.end);
            todo.push_front(range.start..failed);
            todo.retain(|r| !r.is_empty());
            // ANCHOR_END: death
        }
        let max = self.shared.max_tasks_per_child;
        if let Some(link) = &mut self.link {
            link.tasks_done += 1;
            if max.is_some_and(|max| link.tasks_done >= max) {
                self.stop_worker();
            }
        }
        self.replace_worker();
    }

    /// The worker is gone (already reaped by the link); forget it.
    fn lost_worker(&mut self) {
        self.link = None;
        self.shared.slots.publish(self.slot, None);
    }
}

/// Records in the job's trace, if any, that item `item` (an offset into the job) was killed with
/// its worker.
fn trace_killed(job: &Job, item: usize, pid: u32, started_ns: u64) {
    if let Some(trace) = &job.trace {
        trace.record_killed(
            job.first + item,
            pid,
            started_ns,
            crate::sys::monotonic_nanos(),
        );
    }
}
