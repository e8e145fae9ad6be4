//! `apply` on a borrowed idle worker, from the caller's own thread (see `slots` for why).

use std::time::Duration;

use serde::de::DeserializeOwned;

use super::shared::Shared;
use crate::error::{Error, Result};
use crate::link::{Reply, RunOptions};
use crate::panic;
use crate::progress::Position;
use crate::trace::Trace;
use crate::wire::Outcomes;

/// One encoded task for [`apply`].
#[derive(Debug)]
pub(crate) struct OneTask<'a> {
    pub task: &'static str,
    pub arg: &'a [u8],
    pub limit: Option<Duration>,
    /// Where to record the run, and under which index.
    pub trace: Option<(&'a Trace, usize)>,
}

/// Runs `one` on an idle worker, if there is one. `None` when no worker is idle, or when the
/// worker died before the task started (not the task's fault): the caller then queues the task,
/// and the slot's supervisor, which can spawn, deals with the rest.
pub(crate) fn apply<R: DeserializeOwned + Send + 'static>(
    shared: &Shared,
    one: &OneTask<'_>,
) -> Option<Result<R>> {
    if let Err(e) = shared.accepting() {
        return Some(Err(e));
    }
    let (slot, mut link) = shared.slots.borrow()?;
    let options = RunOptions {
        limit: one.limit,
        traced: one.trace.is_some(),
        exit_after: false,
    };
    match link.run(one.task, one.arg, 1, options) {
        Reply::Done { frame, times } => {
            if let Some((trace, index)) = one.trace {
                trace.record_times(index, link.pid(), &times);
            }
            link.tasks_done += 1;
            if shared
                .max_tasks_per_child
                .is_some_and(|max| link.tasks_done >= max)
            {
                link.shutdown();
                shared.slots.give_back(slot, None);
            } else {
                shared.slots.give_back(slot, Some(link));
            }
            Some(decode_one(frame.body()))
        }
        Reply::Died {
            pid,
            exit,
            at: Position::Running { started_ns, .. },
        } => {
            trace_killed(one, pid, started_ns);
            shared.slots.give_back(slot, None);
            Some(Err(if shared.is_terminated() {
                Error::PoolTerminated
            } else {
                Error::WorkerDied {
                    index: None,
                    pid,
                    exit,
                }
            }))
        }
        Reply::TimedOut { started_ns, .. } => {
            trace_killed(one, link.pid(), started_ns);
            shared.slots.give_back(slot, None);
            let limit = one.limit.expect("only timed tasks time out");
            Some(Err(Error::TaskTimeout { index: None, limit }))
        }
        // Finished: the task ran, but its result died with the worker. It fails rather than
        // runs twice.
        Reply::Died {
            pid,
            exit,
            at: Position::Finished,
        } => {
            shared.slots.give_back(slot, None);
            Some(Err(Error::WorkerDied {
                index: None,
                pid,
                exit,
            }))
        }
        // Not started: not the task's fault; the queue retries it on a fresh worker.
        Reply::Died {
            at: Position::NotStarted,
            ..
        }
        | Reply::Failed(_) => {
            shared.slots.give_back(slot, None);
            None
        }
    }
}

/// Records in the trace, if any, that the task was killed with its worker.
fn trace_killed(one: &OneTask<'_>, pid: u32, started_ns: u64) {
    if let Some((trace, index)) = one.trace {
        trace.record_killed(index, pid, started_ns, crate::sys::monotonic_nanos());
    }
}

/// Decodes a single outcome; a panicking `Deserialize` becomes an error, as in the supervisors.
pub(crate) fn decode_one<R: DeserializeOwned>(body: &[u8]) -> Result<R> {
    panic::catch(|| Outcomes::new(body).next(None))
        .unwrap_or_else(|caught| Err(Error::decode_panicked(None, &caught)))
}
