//! # Beyond one machine: question 5's map on a distributed engine
//!
//! A program that outgrows one machine moves to an existing distributed engine, not to a bigger
//! home-made pool. This crate runs `q5_pool`'s gamma map on [timely dataflow](timely): every
//! process of the cluster runs this same binary, builds the same dataflow, and talks to the
//! others over TCP. Process 0 feeds the values in, timely spreads them over every process, each
//! computes Γ with `q5_pool`'s own task, and the results travel back to process 0, which prints
//! the same table as `cargo run -p q5_pool`, bit for bit.
//!
//! With no `--process`, the program is its own launcher: it finds free ports on 127.0.0.1,
//! writes a hostfile and starts `--processes` copies of itself ([`launch`]). With `--process I`
//! it is one process of a cluster started by hand, one terminal (or machine) per process, as
//! timely's own examples run (`-n`, `-p`, a hostfile).
//!
//! What the engine costs, and what it does when a process dies, are measured, not told:
//!
//! - `cost` runs the map sequentially, on `common`'s pools and on timely over loopback, in one
//!   run, and prints what the cluster costs on one machine and when it pays (McSherry, Isard and
//!   Murray's COST).
//! - `--kill I` and `--stop I` kill or freeze process I in the middle of the run; `--pool` runs
//!   the same map and the same fault on `common::Pool`, for comparison; `--rerun N` starts the
//!   cluster again after a failure, the way timely jobs recover.
//!
//! Every wait is bounded (`--timeout`): connecting to a peer that never comes, a peer that
//! freezes, a port already in use all end in a one-line error, never in a hang.
//!
//! Output follows every exercise's rules ([`support::out`]): the launcher forwards process 0's
//! table with `outln!`, so a reader who goes away (`| head`) ends the launcher quietly and the
//! cluster with it, and a write error is one line and exit code 1.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod cluster;
pub mod connect;
pub mod cost;
pub mod launch;
pub mod pool_side;

use std::ffi::OsString;
use std::io;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use common::Registered;
use q5_pool::number::Number;
use support::cli::{EXIT_CODES_HELP, usage_error};
use support::errln;
use support::out::OutputError;

use crate::launch::{Fault, FaultKind, Launch};

/// The functions `common::Pool`'s workers can run, by name (for `cost` and `--pool`): q5's own.
pub static TASKS: &[&dyn Registered] = &[&q5_pool::GAMMA, &q5_pool::SET_WORK_MS];

/// The first port of the default hostfile, as in timely's own examples.
pub const DEFAULT_PORT: u16 = 2101;

/// Question 5's gamma map on a cluster of timely dataflow processes.
#[derive(Debug, Parser)]
#[command(
    version,
    about = "Question 5's gamma map on timely dataflow: a cluster of processes over TCP",
    after_help = format!(
        "Examples:\n  \
           beyond_one_machine                                     the table, from 2 processes on 127.0.0.1\n  \
           beyond_one_machine --who                               ... and which process computed each value\n  \
           beyond_one_machine -n 2 -p 0 --hostfile hosts.txt      process 0 of a cluster started by hand\n  \
           beyond_one_machine -n 2 -p 1 --hostfile hosts.txt      process 1, in another terminal or machine\n  \
           beyond_one_machine --work-ms 300 --kill 1              kill process 1 mid-run\n  \
           beyond_one_machine --work-ms 300 --kill 1 --pool       the same fault on common::Pool\n  \
           beyond_one_machine --work-ms 300 --stop 1 --timeout 5  freeze process 1: a peer that says nothing\n  \
           beyond_one_machine --work-ms 300 --kill 1 --rerun 1    recover as timely jobs do: run again\n  \
           beyond_one_machine cost                                the map four ways, timed in one run\n\n\
         A hostfile has one host:port per line, in process order.\n\n{EXIT_CODES_HELP}"
    ),
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    // q5_pool's values, and its default list.
    #[command(flatten)]
    pub values: q5_pool::Values,
    #[command(flatten)]
    pub options: Options,
}

/// How the cluster is made and what happens to it.
#[derive(Debug, Clone, Args)]
pub struct Options {
    /// Number of processes in the cluster (worker processes with --pool), at most 16
    #[arg(short = 'n', long, value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u16).range(1..=16))]
    pub processes: u16,
    /// Be process I of a cluster started by hand (one per terminal or machine), not the launcher
    #[arg(short = 'p', long, value_name = "I")]
    pub process: Option<u16>,
    /// With --process: the cluster's addresses, one host:port per line, in process order
    /// [default: 127.0.0.1:2101, 127.0.0.1:2102, ...]
    #[arg(long, value_name = "FILE")]
    pub hostfile: Option<PathBuf>,
    // q5_pool's --work-ms, here at most a minute per value; not `global` as in q5_pool, since
    // `cost` has a --work-ms of its own.
    #[arg(long, value_name = "MS", default_value_t = 0, help = q5_pool::WORK_MS_HELP,
          value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub work_ms: u64,
    /// Give up on any wait after this many seconds: connecting, and the whole run
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// After the table, say which process computed each value
    #[arg(long, conflicts_with = "pool")]
    pub who: bool,
    /// Kill process I (with SIGKILL) once process 0 has printed --after lines
    #[arg(long, value_name = "I", conflicts_with_all = ["process", "stop"])]
    pub kill: Option<u16>,
    /// Stop process I (SIGSTOP: it freezes, its sockets stay open) once --after lines are printed
    #[arg(long, value_name = "I", conflicts_with = "process")]
    pub stop: Option<u16>,
    /// How many table lines to wait for before --kill or --stop
    #[arg(long, value_name = "LINES", default_value_t = 2)]
    pub after: usize,
    /// After a failed run, start the whole cluster again, up to N times (timely's recovery)
    #[arg(long, value_name = "N", default_value_t = 0, conflicts_with_all = ["process", "pool"],
          value_parser = clap::value_parser!(u8).range(0..=5))]
    pub rerun: u8,
    /// Run the same map, and the same fault, on common::Pool's worker processes instead
    #[arg(long, conflicts_with = "process")]
    pub pool: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// COST: the same map sequentially, on common's pools and on timely, timed in one run
    Cost(cost::CostArgs),
}

/// What can stop the launcher: the cluster, a thread or the pool cannot start, a measurement
/// failed, or output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `what` could not be done: no free port, no hostfile, a process that cannot start.
    #[error("cannot start the cluster: {what}: {cause}")]
    Launch { what: String, cause: io::Error },
    #[error("could not start a thread: {0}")]
    Thread(io::Error),
    #[error(transparent)]
    Pool(#[from] common::Error),
    /// A hostfile that cannot be used.
    #[error("{0}")]
    Hostfile(String),
    /// `cost`: one way of running the map failed.
    #[error("{way} on {workload}: {cause}")]
    Measure {
        way: String,
        workload: String,
        cause: String,
    },
    // Not transparent: `support::cli::finish` finds an output error among the sources.
    #[error("{0}")]
    Output(#[from] OutputError),
}

/// Runs the program; returns the exit code (see [`support::cli`]).
pub fn run(cli: Cli) -> ExitCode {
    let outcome = match cli.command {
        Some(Command::Cost(args)) => cost::run(&args),
        None => {
            let values = cli.values.or_default();
            match cli.options.process {
                // One process of a cluster started by hand: it reports in its own words.
                Some(process) => return by_hand(usize::from(process), values, &cli.options),
                None => match launched(&values, &cli.options) {
                    Ok(outcome) => outcome,
                    Err(Checked(message)) => return usage_error(message),
                },
            }
        }
    };
    support::cli::finish(env!("CARGO_PKG_NAME"), outcome)
}

/// A usage error found after parsing (a check clap cannot make).
struct Checked(String);

/// `--process I`: this process of a cluster started by hand.
fn by_hand(process: usize, values: Vec<Number>, options: &Options) -> ExitCode {
    let processes = usize::from(options.processes);
    if process >= processes {
        return usage_error(format!(
            "--process {process} is not below --processes {processes}"
        ));
    }
    match addresses(options.hostfile.as_ref(), processes) {
        Ok(addresses) => cluster::run(cluster::Job {
            process,
            addresses,
            values,
            work_ms: options.work_ms,
            timeout: Duration::from_secs(options.timeout),
            who: options.who,
        }),
        Err(e) => support::cli::finish(env!("CARGO_PKG_NAME"), Err::<bool, _>(Error::Hostfile(e))),
    }
}

/// The launcher: the whole cluster (or, with `--pool`, the pool) on this machine. `Ok` is
/// whether every value succeeded, as far as the run went.
fn launched(values: &[Number], options: &Options) -> Result<Result<bool, Error>, Checked> {
    let processes = usize::from(options.processes);
    let timeout = Duration::from_secs(options.timeout);
    if options.hostfile.is_some() {
        return Err(Checked(
            "--hostfile is for a process started by hand: give its --process too".into(),
        ));
    }
    let fault = fault(options, processes).map_err(Checked)?;
    if options.pool {
        return Ok(pool_side::run(
            values,
            processes,
            options.work_ms,
            timeout,
            fault,
        ));
    }
    let mut args: Vec<OsString> = vec!["--work-ms".into(), options.work_ms.to_string().into()];
    if options.who {
        args.push("--who".into());
    }
    // `--` so that negative values are not read as options; Display gives back what was typed.
    args.push("--".into());
    args.extend(values.iter().map(|v| OsString::from(v.to_string())));
    let launch = Launch {
        processes,
        args,
        timeout,
        fault,
        forward: true,
    };
    Ok(rerun(&launch, usize::from(options.rerun), values.len()))
}

/// `--kill`/`--stop` as a [`Fault`], checked against the cluster's size.
fn fault(options: &Options, processes: usize) -> Result<Option<Fault>, String> {
    let (kind, process, flag) = match (options.kill, options.stop) {
        (Some(p), _) => (FaultKind::Kill, usize::from(p), "--kill"),
        (None, Some(p)) => (FaultKind::Stop, usize::from(p), "--stop"),
        (None, None) => return Ok(None),
    };
    if process >= processes {
        return Err(format!(
            "{flag} {process}: there are only {processes} processes (0 to {})",
            processes - 1
        ));
    }
    if process == 0 && !options.pool {
        return Err(format!(
            "{flag} 0: process 0 prints the table; pick another process"
        ));
    }
    Ok(Some(Fault {
        kind,
        process,
        after_lines: options.after,
    }))
}

// ANCHOR: rerun
/// Runs the cluster, and after a failure runs it again from the start, up to `reruns` times.
/// Timely recovers a lost process no other way: every value runs again, so values that had
/// already run, run twice (at least once, never exactly once).
fn rerun(launch: &Launch, reruns: usize, values: usize) -> Result<bool, Error> {
    let mut printed: Vec<Vec<String>> = Vec::new();
    let mut launch = launch.clone();
    for attempt in 0..=reruns {
        if attempt > 0 {
            errln!(
                "beyond_one_machine: run {} of {}: starting the whole cluster again",
                attempt + 1,
                reruns + 1
            );
            launch.fault = None; // the fault was the experiment; the rerun is the recovery
        }
        let outcome = launch::launch(&launch)?;
        printed.push(outcome.lines.clone());
        if outcome.completed(values) {
            if attempt > 0 {
                report_reruns(&printed);
            }
            return Ok(outcome.succeeded());
        }
        report(&outcome);
    }
    Ok(false)
}
// ANCHOR_END: rerun

/// After a failed run: how each process ended, one line each.
fn report(outcome: &launch::Attempt) {
    for (process, ended) in outcome.ended.iter().enumerate() {
        errln!("beyond_one_machine: process {process} {ended}");
    }
    errln!(
        "beyond_one_machine: the run failed after {}, with {} line{} of the table printed",
        support::units::seconds(outcome.elapsed.as_secs_f64()),
        outcome.lines.len(),
        if outcome.lines.len() == 1 { "" } else { "s" }
    );
}

/// After a successful rerun: which lines the failed runs had printed already, so which values
/// ran more than once.
fn report_reruns(printed: &[Vec<String>]) {
    let (last, failed) = printed.split_last().expect("at least one run");
    let again: Vec<&str> = last
        .iter()
        .filter(|line| failed.iter().any(|run| run.contains(line)))
        .filter_map(|line| line.split([' ', ':']).next())
        .collect();
    if again.is_empty() {
        errln!("beyond_one_machine: no value had printed before the failure");
    } else {
        errln!(
            "beyond_one_machine: computed in the failed run and again in the rerun: {} (at least \
             once: harmless for a pure function, twice the side effects for any other)",
            again.join(", ")
        );
    }
}

/// The cluster's addresses: the hostfile's lines (blank lines and `#` comments skipped), or
/// 127.0.0.1 from port 2101 up.
fn addresses(hostfile: Option<&PathBuf>, processes: usize) -> Result<Vec<String>, String> {
    let Some(path) = hostfile else {
        return Ok((0..processes)
            .map(|i| format!("127.0.0.1:{}", usize::from(DEFAULT_PORT) + i))
            .collect());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read hostfile {}: {e}", path.display()))?;
    let lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    if lines.len() < processes {
        return Err(format!(
            "hostfile {} has {} address{}, but --processes is {processes}",
            path.display(),
            lines.len(),
            if lines.len() == 1 { "" } else { "es" }
        ));
    }
    Ok(lines.into_iter().take(processes).collect())
}
