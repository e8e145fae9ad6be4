//! One process of a timely cluster: connect to the others, run the gamma map, and (on process
//! 0) print the table. Every process runs this same code; only its index differs.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::Mutex;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use q5_pool::gamma::MathError;
use q5_pool::gamma_line;
use q5_pool::number::Number;
use support::out::OutputError;
use support::{errln, outln};
use timely::WorkerConfig;
use timely::communication::allocator::ProcessBuilder;
use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::{AllocatorBuilder, Hooks};
use timely::container::CapacityContainerBuilder;
use timely::dataflow::StreamVec;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::ToStream;
use timely::dataflow::operators::{Capability, Exchange, Inspect};
use timely::worker::Worker;

use crate::connect::connect_all;

/// What one process is asked to do.
#[derive(Debug, Clone)]
pub struct Job {
    /// This process's index, from 0.
    pub process: usize,
    /// `host:port` of every process, in order: the hostfile's lines.
    pub addresses: Vec<String>,
    /// The values to map (only process 0's list is used: it is the one that feeds the input).
    pub values: Vec<Number>,
    /// Milliseconds of busy work per value, on top of Γ itself (`q5_pool --work-ms`).
    pub work_ms: u64,
    /// The bound on the whole run, connecting included.
    pub timeout: Duration,
    /// After the table, say which process computed each value.
    pub who: bool,
}

/// What the cluster tells this process's main thread.
enum Event {
    /// The worker finished; process 0 says whether every value succeeded, or why its table
    /// could not be printed.
    Done(Result<bool, OutputError>),
    /// A thread panicked: timely's reaction to a lost peer.
    Panicked(String),
    /// Timely's threads have all finished, after `Done`.
    Joined,
}

/// A value's result as it travels back to process 0: its position, the process that computed
/// it, and Γ or the math error.
type Record = (usize, usize, Result<f64, MathError>);

/// Runs this process of the cluster; returns the exit code. Every wait is bounded by
/// `job.timeout`: on a fault this process reports and exits instead of hanging. Output that
/// cannot be written ends it as it ends any exercise ([`support::cli::finish`]), once the
/// cluster has finished cleanly: its peers see nothing wrong.
pub fn run(job: Job) -> ExitCode {
    let started = Instant::now();
    let me = job.process;
    let fail = |what: String| {
        errln!("beyond_one_machine: process {me}: error: {what}");
        ExitCode::from(support::cli::EXIT_FAILURE)
    };
    let sockets = match connect_all(&job.addresses, me, job.timeout) {
        Ok(sockets) => sockets,
        Err(e) => return fail(e.to_string()),
    };
    let (events, received) = mpsc::channel();
    report_panics(events.clone());
    // One worker thread per process, so worker i is process i.
    let built = initialize_networking_from_sockets(
        ProcessBuilder::new_typed_vector(1, Hooks::default().refill, None),
        sockets,
        me,
        1,
        Hooks::default(),
    );
    let (builders, comms) = match built {
        Ok(built) => built,
        Err(e) => return fail(format!("cannot start timely's network threads: {e}")),
    };
    let job_for_worker = job.clone();
    let done = events.clone();
    // When the worker thread cannot start, timely gives up by dropping its network threads'
    // guards, whose `Drop` panics on the threads that failed with it: that panic, caught here,
    // is the error then.
    let guards = panic::catch_unwind(AssertUnwindSafe(|| {
        timely::execute::execute_from(
            builders.into_iter().map(AllocatorBuilder::Tcp).collect(),
            Box::new(comms),
            WorkerConfig::default(),
            move |worker| {
                let outcome = gamma_map(worker, &job_for_worker);
                let _ = done.send(Event::Done(outcome));
            },
        )
    }));
    let guards = match guards {
        Ok(Ok(guards)) => guards,
        Ok(Err(e)) => return fail(format!("cannot start timely: {}", readable(&e))),
        Err(_) => return fail("cannot start timely: its worker thread could not start".into()),
    };
    let waited = || support::units::seconds(started.elapsed().as_secs_f64());
    let gave_up = || {
        format!(
            "no end of the run within {} (--timeout): a peer may be stopped, or its machine \
             gone, and nothing tells a process that; giving up",
            support::units::seconds(job.timeout.as_secs_f64())
        )
    };
    let left = || job.timeout.saturating_sub(started.elapsed());
    // Timely's threads may never finish once a peer is lost (a network thread waits for it
    // forever), so on any failure this process ends without joining them (`exit_now`).
    let outcome = match received.recv_timeout(left()) {
        Ok(Event::Done(outcome)) => outcome,
        Ok(Event::Panicked(message)) => {
            exit_now(fail(format!(
                "the cluster failed after {}: {message}",
                waited()
            )));
        }
        Ok(Event::Joined) | Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
            exit_now(fail(gave_up()));
        }
    };
    // This worker is done. Joining timely's threads sends the peers the end of this process's
    // streams, which is what lets them end cleanly too; a peer lost now still fails the join.
    // The guards go to the joining thread once it runs: should it not start, dropping them
    // here could wait forever.
    let (give, guards_to_join) = mpsc::channel();
    let joiner = thread::Builder::new()
        .name("join timely".into())
        .spawn(move || {
            if let Ok(guards) = guards_to_join.recv() {
                drop(guards);
            }
            let _ = events.send(Event::Joined);
        });
    if let Err(e) = joiner {
        exit_now(fail(format!("could not start a thread: {e}")));
    }
    let _ = give.send(guards);
    match received.recv_timeout(left()) {
        Ok(Event::Joined) => support::cli::finish(env!("CARGO_PKG_NAME"), outcome),
        Ok(Event::Panicked(message)) => exit_now(fail(format!(
            "this process finished its work, but the cluster failed as it shut down, after {}: \
             {message}",
            waited()
        ))),
        Ok(Event::Done { .. })
        | Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
            exit_now(fail(gave_up()))
        }
    }
}

/// Ends the process now, with the failure's exit code: timely's threads, blocked on a lost
/// peer, would keep it alive. `fail` has printed why.
fn exit_now(_failed: ExitCode) -> ! {
    let _ = support::out::flush();
    std::process::exit(i32::from(support::cli::EXIT_FAILURE))
}

/// Timely reports a thread that could not start as the `Debug` form of its `io::Error`
/// (`Os { code: 11, kind: WouldBlock, message: "…" }`): the operating system's words, as every
/// other error here gives them.
fn readable(error: &str) -> String {
    let code = error
        .strip_prefix("Os { code: ")
        .and_then(|rest| rest.split(',').next())
        .and_then(|code| code.parse().ok());
    match code {
        Some(code) => std::io::Error::from_raw_os_error(code).to_string(),
        None => error.to_owned(),
    }
}

// ANCHOR: dataflow
/// The gamma map as a timely dataflow, built the same way on every worker. Worker 0 feeds the
/// values in; `exchange` spreads them over all workers, on every process; each computes Γ with
/// q5_pool's task; a second `exchange` brings every result back to worker 0, which prints the
/// table in order.
fn gamma_map(worker: &mut Worker, job: &Job) -> Result<bool, OutputError> {
    let me = worker.index();
    let inputs: Vec<(usize, f64)> = match me {
        0 => job.values.iter().map(|v| v.as_f64()).enumerate().collect(),
        _ => Vec::new(),
    };
    q5_pool::SET_WORK_MS.call(job.work_ms);
    let table = Rc::new(RefCell::new(Table::new(job)));
    let printer = Rc::clone(&table);
    worker.dataflow::<u64, _, _>(move |scope| {
        let values = inputs.to_stream(scope);
        let spread = values.exchange(|&(i, _)| i as u64); // value i goes to worker i % workers
        one_at_a_time(spread, move |(i, x)| (i, me, q5_pool::GAMMA.call(x)))
            .exchange(|_| 0) // every result goes to worker 0
            .inspect(move |&record| printer.borrow_mut().arrived(record));
    });
    while worker.has_dataflows() {
        worker.step_or_park(None);
    }
    table.borrow().finish(me == 0) // with --who, process 0 says who computed what
}
// ANCHOR_END: dataflow

/// `map`, but one record per activation: timely's own `map` turns a whole batch into a whole
/// batch, so the results of a worker's share would all travel at once, at the end. Sending
/// each as soon as it is computed lets process 0 print the table as it grows, as `q5_pool`
/// does, and shows what a process that dies mid-run had already delivered.
fn one_at_a_time<'scope, D, R>(
    stream: StreamVec<'scope, u64, D>,
    mut logic: impl FnMut(D) -> R + 'static,
) -> StreamVec<'scope, u64, R>
where
    D: 'static,
    R: 'static,
{
    let scope = stream.scope();
    stream.unary::<CapacityContainerBuilder<Vec<R>>, _, _, _>(
        Pipeline,
        "OneAtATime",
        move |_initial, info| {
            let activator = scope.activator_for(info.address);
            let mut queue: VecDeque<(Capability<u64>, D)> = VecDeque::new();
            move |input, output| {
                input.for_each(|cap, data| {
                    if let Some(cap) = cap.retain_least(0) {
                        queue.extend(data.drain(..).map(|d| (cap.clone(), d)));
                    }
                });
                if let Some((cap, datum)) = queue.pop_front() {
                    output.session(&cap).give(logic(datum));
                }
                if !queue.is_empty() {
                    activator.activate(); // the rest next time, after this result has gone
                }
            }
        },
    )
}

/// Worker 0's view of the results: prints each line as soon as every line before it is in.
///
/// A line that cannot be printed stops the printing, not the dataflow: the cluster finishes
/// its run, so the peers end cleanly, and then this process ends by the output rules.
struct Table {
    values: Vec<Number>,
    waiting: BTreeMap<usize, Record>,
    next: usize,
    by_process: BTreeMap<usize, Vec<usize>>,
    who: bool,
    all_ok: bool,
    output: Result<(), OutputError>,
}

impl Table {
    fn new(job: &Job) -> Table {
        Table {
            values: job.values.clone(),
            waiting: BTreeMap::new(),
            next: 0,
            by_process: BTreeMap::new(),
            who: job.who,
            all_ok: true,
            output: Ok(()),
        }
    }

    fn arrived(&mut self, record: Record) {
        self.waiting.insert(record.0, record);
        while let Some((i, process, result)) = self.waiting.remove(&self.next) {
            if self.output.is_ok() {
                self.output = outln!("{}", gamma_line(&self.values[i], &result));
            }
            self.all_ok &= result.is_ok();
            self.by_process.entry(process).or_default().push(i);
            self.next += 1;
        }
    }

    /// After the last result: the `--who` summary if `summary`, and the outcome: whether
    /// every value succeeded, or why the table could not be printed.
    fn finish(&self, summary: bool) -> Result<bool, OutputError> {
        self.output.clone()?;
        if summary && self.who && !self.values.is_empty() {
            outln!()?;
            for (process, positions) in &self.by_process {
                let values: Vec<String> = positions
                    .iter()
                    .map(|&i| self.values[i].to_string())
                    .collect();
                outln!("process {process} computed Gamma of {}", values.join(", "))?;
            }
        }
        Ok(self.all_ok)
    }
}

/// Sends every panic's message to the main thread, as one line; the main thread decides what
/// to do. Timely reacts to a lost peer by panicking in its network thread ("timely
/// communication error: …"), which then poisons the worker's queues.
fn report_panics(events: Sender<Event>) {
    let events = Mutex::new(events);
    panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current();
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("a panic");
        let line = format!("thread {}: {message}", thread.name().unwrap_or("unnamed"));
        if let Ok(events) = events.lock() {
            let _ = events.send(Event::Panicked(line));
        }
    }));
}
