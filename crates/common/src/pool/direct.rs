//! `apply` on a borrowed idle worker, from the caller's own thread (see `slots` for why).

use std::time::Duration;

use serde::de::DeserializeOwned;

use super::shared::Shared;
use crate::attach::Attachments;
use crate::error::{Error, Result};
use crate::link::{self, Args, Reply, RunOptions};
use crate::progress::Position;
use crate::trace::Trace;
use crate::wire::{self, Layout};

/// One encoded task for [`apply`].
#[derive(Debug)]
pub(crate) struct OneTask<'a> {
    /// The task's key.
    pub task: &'static str,
    pub arg: &'a [u8],
    /// The descriptors the argument carries (see `attach`).
    pub attached: &'a Attachments,
    pub limit: Option<Duration>,
    /// Where to record the run, and under which index.
    pub trace: Option<(&'a Trace, usize)>,
}

/// Runs `one` on an idle worker, if there is one and nothing is queued before it. `None` when
/// not, or when the worker was lost with no one to blame (see [`link::after_loss`]): the caller
/// then queues the task, and the slot's supervisor, which can spawn, deals with the rest.
pub(crate) fn apply<R: DeserializeOwned + Send + 'static>(
    shared: &Shared,
    one: &OneTask<'_>,
) -> Option<Result<R>> {
    let (slot, mut link) = match shared.slots.borrow() {
        Err(e) => return Some(Err(e)),
        Ok(None) => return None,
        Ok(Some(lent)) => lent,
    };
    let options = RunOptions {
        limit: one.limit,
        traced: one.trace.is_some(),
        exit_after: false,
    };
    let pid = link.pid();
    // One item fits one message: no part comes before `Done`.
    let args = Args {
        bytes: one.arg,
        layout: Layout::Encoded,
        attached: one.attached,
    };
    let ran = link.run(one.task, args, 1, options, &mut |_, _, _, _| {});
    let (at, error) = match ran {
        Reply::Done { frame, times, .. } => {
            if let Some((trace, index)) = one.trace {
                trace.record_times(index, pid, &times);
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
            return Some(wire::decode_single(frame.body()));
        }
        Reply::Failed(_) => {
            shared.slots.give_back(slot, None);
            return None;
        }
        Reply::TimedOut {
            item, started_ns, ..
        } => {
            let limit = one.limit.expect("only timed tasks time out");
            let at = Position::Running { item, started_ns };
            (at, Error::TaskTimeout { index: None, limit })
        }
        Reply::Died { pid, exit, at, .. } => (
            at,
            Error::WorkerDied {
                index: None,
                pid,
                exit,
            },
        ),
    };
    shared.slots.give_back(slot, None);
    link::after_loss(at, 0, 1).blamed?;
    if let (Some((trace, index)), Position::Running { started_ns, .. }) = (one.trace, at) {
        trace.record_killed(index, pid, started_ns, crate::sys::monotonic_nanos());
    }
    Some(Err(if shared.is_terminated() {
        Error::PoolTerminated
    } else {
        error
    }))
}
