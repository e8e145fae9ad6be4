//! One thread per worker slot: it spawns the worker, feeds it jobs from the shared queue,
//! notices its death or overrun, replaces it, and reaps it at the end.
//!
//! A dedicated thread per worker keeps every step a plain blocking call, and it is also what the
//! worker's parent-death signal is tied to: the thread lives exactly as long as its worker.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crossbeam_channel::Sender;

use super::job::Job;
use super::shared::{Shared, SupervisorGuard};
use super::slots::Wakeup;
use crate::error::{Error, Result};
use crate::link::{self, AfterLoss, Args, Link, Reply, RunOptions};
use crate::progress::Position;
use crate::wire::Layout;

/// The name of the next pool worker, as Python's `ForkPoolWorker-3`: what `ps` shows after the
/// program's name, and what [`active_children`](crate::active_children) lists.
pub(crate) fn worker_name() -> String {
    static WORKERS: AtomicUsize = AtomicUsize::new(0);
    format!("PoolWorker-{}", WORKERS.fetch_add(1, Ordering::Relaxed) + 1)
}

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
        let method = self.shared.start_method;
        let mut link = Link::spawn(&worker_name(), "pool worker", method)?;
        self.shared.count_spawn();
        // Publish the child before anything can block, so `terminate` can always reach it.
        self.shared
            .slots
            .publish(self.slot, Some(Arc::clone(link.child())));
        let started = self.ready(&mut link);
        if started.is_err() {
            link.child().kill_and_wait();
            self.shared.slots.publish(self.slot, None);
        }
        started?;
        self.link = Some(link);
        Ok(())
    }

    /// Waits for a new worker's hello and runs the pool's initializer in it.
    fn ready(&self, link: &mut Link) -> Result<()> {
        if self.shared.is_terminated() {
            return Err(Error::PoolTerminated);
        }
        link.ready().map_err(|e| match e {
            // Killed before it was ready (by a signal from outside): not a task's death.
            Error::WorkerDied { pid, exit, .. } => Error::spawn(std::io::Error::other(format!(
                "worker {pid} was {exit} before it was ready"
            ))),
            e => e,
        })?;
        if let Some(init) = &self.shared.initializer {
            let options = RunOptions::default();
            link.run(
                init.task,
                Args {
                    bytes: &init.arg,
                    layout: Layout::Encoded,
                    attached: &init.attached,
                },
                1,
                options,
                &mut |_, _, _, _| {},
            )
            .into_single::<()>()
            .map_err(|e| Error::InitializerFailed(Box::new(e)))?;
        }
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
        // Ranges of the job still to run. A lost worker splits a range (see `link::after_loss`).
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
            let pid = link.pid();
            // Results that arrived but could not all be decoded: those after the undecodable
            // one are lost, and run again (see `link::after_loss`).
            let mut lost = Vec::new();
            let mut deliver = |frame, first: usize, count: usize, times: Vec<(u64, u64, bool)>| {
                let start = range.start + first;
                if let Some(trace) = &job.trace {
                    trace.record_times(job.first + start, pid, &times);
                }
                let found = job.done(start..start + count, frame);
                lost.push(start + found..start + count);
            };
            let reply = link.run(job.task, args, count, options, &mut deliver);
            let (at, answered, error) = match reply {
                Reply::Done {
                    frame,
                    first,
                    count,
                    times,
                } => {
                    deliver(frame, first, count, times);
                    // Progress: a later loss starts a new run of retries ("in a row").
                    retries = 0;
                    // Fewer outcomes than items: the worker stopped after one it could not
                    // decode, and the rest never started.
                    todo.push_front(range.start + first + count..range.end);
                    todo.extend(lost);
                    todo.retain(|r| !r.is_empty());
                    continue;
                }
                Reply::Failed(e) => {
                    self.lost_worker();
                    job.fail(range, e);
                    continue;
                }
                Reply::TimedOut {
                    item,
                    started_ns,
                    answered,
                } => {
                    let limit = job.limit.expect("only timed jobs time out");
                    let at = Position::Running { item, started_ns };
                    (at, answered, Error::TaskTimeout { index: None, limit })
                }
                Reply::Died {
                    pid,
                    exit,
                    at,
                    answered,
                } => (
                    at,
                    answered,
                    Error::WorkerDied {
                        index: None,
                        pid,
                        exit,
                    },
                ),
            };
            todo.extend(lost);
            self.lost_worker();
            let error = if self.shared.is_terminated() {
                Error::PoolTerminated
            } else {
                error
            };
            let offset = |r: Range<usize>| range.start + r.start..range.start + r.end;
            match link::after_loss(at, answered, range.len()) {
                AfterLoss {
                    blamed: Some(item),
                    rerun,
                } => {
                    let failed = range.start + item;
                    if let Position::Running { started_ns, .. } = at {
                        trace_killed(job, failed, pid, started_ns);
                    }
                    job.fail(failed..failed + 1, error.at(job.first + failed));
                    todo.push_front(offset(rerun[1].clone()));
                    todo.push_front(offset(rerun[0].clone()));
                }
                // Nobody to blame: run it all again, unless fresh workers keep dying.
                AfterLoss {
                    blamed: None,
                    rerun,
                } if retries < link::RETRIES => {
                    retries += 1;
                    todo.push_front(offset(rerun[0].clone()));
                }
                AfterLoss {
                    blamed: None,
                    rerun,
                } => job.fail(offset(rerun[0].clone()), error),
            }
            todo.retain(|r| !r.is_empty());
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
