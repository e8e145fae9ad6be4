//! `--pool`: the same map, and the same fault, on `common::Pool`, to compare with the cluster.
//!
//! The pool's supervisor hears of a killed worker from the kernel (its socket closes), blames
//! the one value it was running, starts a new worker and finishes the rest. A stopped worker
//! says nothing, as a stopped timely process does; the pool's answer is the same as any
//! distributed engine's, a time limit (`task_timeout`, here `--timeout`).

use std::time::Duration;

use common::Pool;
use q5_pool::number::Number;
use q5_pool::{GAMMA, SET_WORK_MS, gamma_line};
use support::{errln, outln};

use crate::Error;
use crate::launch::{Fault, FaultKind};

/// Runs the map on a pool of `workers` processes, hitting worker `fault.process` once
/// `fault.after_lines` lines are printed. Returns whether every value succeeded.
pub fn run(
    values: &[Number],
    workers: usize,
    work_ms: u64,
    timeout: Duration,
    mut fault: Option<Fault>,
) -> Result<bool, Error> {
    let pool = Pool::builder()
        .workers(workers)
        .initializer(&SET_WORK_MS, work_ms)
        .build()?;
    let xs = values.iter().map(|v| v.as_f64());
    let mut all_ok = true;
    let mut printed = 0;
    for (value, result) in values
        .iter()
        .zip(pool.task_timeout(timeout).imap(&GAMMA, xs))
    {
        all_ok &= matches!(result, Ok(Ok(_)));
        match result {
            Ok(gamma) => outln!("{}", gamma_line(value, &gamma))?,
            Err(e) => outln!("{}", gamma_line(value, &Err::<f64, _>(e)))?,
        }
        printed += 1;
        if let Some(f) = fault
            && printed >= f.after_lines
        {
            hit(&pool, f, work_ms);
            fault = None;
        }
    }
    if let Some(f) = fault {
        errln!(
            "beyond_one_machine: fewer than {} lines were printed: worker {} was left alone",
            f.after_lines,
            f.process
        );
    }
    Ok(all_ok)
}

/// Hits worker `fault.process` halfway through its next value. Right after a line prints, the
/// worker that computed it is between two values, holding none: the pool would replace it
/// and lose nothing, which is not the experiment.
fn hit(pool: &Pool, fault: Fault, work_ms: u64) {
    std::thread::sleep(Duration::from_millis(work_ms / 2));
    let Some(&pid) = pool.pids().get(fault.process) else {
        return;
    };
    let (signal, what) = match fault.kind {
        FaultKind::Kill => (libc::SIGKILL, "killed"),
        FaultKind::Stop => (libc::SIGSTOP, "stopped"),
    };
    support::proc::signal(pid, signal);
    errln!(
        "beyond_one_machine: {what} worker {} (pid {pid}) with {}",
        fault.process,
        common::signal_name(signal).unwrap_or("a signal")
    );
}
