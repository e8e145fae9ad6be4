//! `cost`: McSherry, Isard and Murray's question, *Scalability! But at what COST?*, asked of the
//! gamma map on this machine. The same map runs sequentially on one thread, on `common`'s
//! thread pool and process pool, and on a timely cluster over loopback, in one run; every way
//! must print the same table, bit for bit, and the readings under the table are computed from
//! the timings, never typed.

use std::ffi::OsString;
use std::time::{Duration, Instant};

use clap::Args;
use common::{Pool, ThreadPool};
use q2_processes_vs_threads::machine::Machine;
use q5_pool::number::Number;
use q5_pool::{GAMMA, SET_WORK_MS, gamma_line};
use support::out::OutputError;
use support::units::seconds;
use support::{errln, outln};

use crate::Error;
use crate::launch::{self, Launch};

/// The version of timely this crate is built with (checked against Cargo.lock by a test).
pub const TIMELY_VERSION: &str = "0.32.0";

#[derive(Debug, Clone, Args)]
pub struct CostArgs {
    /// Busy work per value in the heavy workload, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub work_ms: u64,
    /// How many copies of the reference list the heavy workload maps
    #[arg(long, value_name = "K", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub copies: u16,
    /// Worker threads, worker processes and timely processes of each parallel way
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(2..=16))]
    pub workers: u16,
    /// Runs of every measurement; the table shows the median
    #[arg(long, value_name = "R", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=21))]
    pub runs: u16,
}

/// How many copies of the reference list the workload without work maps that measures the cost
/// per value: enough values that their cost stands out of the noise of the fixed cost.
const MANY_COPIES: usize = 100;

/// One workload: a list of values and the busy work per value.
#[derive(Debug, Clone)]
struct Workload {
    name: String,
    values: Vec<Number>,
    work_ms: u64,
}

/// The ways to run the map, in the table's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Sequential,
    Threads,
    Processes,
    Timely,
}

const WAYS: [Way; 4] = [Way::Sequential, Way::Threads, Way::Processes, Way::Timely];

impl Way {
    fn label(self, workers: usize) -> String {
        match self {
            Way::Sequential => "sequential, one thread".into(),
            Way::Threads => format!("common::ThreadPool, {workers} threads"),
            Way::Processes => format!("common::Pool, {workers} worker processes"),
            Way::Timely => format!("timely, {workers} processes over TCP"),
        }
    }
}

// ANCHOR: ways
/// Runs `workload` one way, from nothing to the last result with every worker gone again
/// (start-up and shutdown included: a user waits for both). Returns the table's lines.
fn run_once(way: Way, workload: &Workload, workers: usize) -> Result<Vec<String>, String> {
    let xs = || workload.values.iter().map(|v| v.as_f64());
    let lines = |results: Vec<_>| {
        workload
            .values
            .iter()
            .zip(results)
            .map(|(value, result)| gamma_line(value, &result))
            .collect()
    };
    SET_WORK_MS.call(workload.work_ms); // for the ways that run here
    match way {
        Way::Sequential => Ok(lines(xs().map(|x| GAMMA.call(x)).collect())),
        Way::Threads => {
            let threads = ThreadPool::new(workers).map_err(|e| e.to_string())?;
            Ok(lines(threads.map(&GAMMA, xs()).map_err(|e| e.to_string())?))
        }
        Way::Processes => {
            let pool = Pool::builder()
                .workers(workers)
                .initializer(&SET_WORK_MS, workload.work_ms)
                .build()
                .map_err(|e| e.to_string())?;
            let results = pool.map(&GAMMA, xs()).map_err(|e| e.to_string())?;
            pool.close();
            pool.join();
            Ok(lines(results))
        }
        Way::Timely => {
            let mut args: Vec<OsString> = vec![
                "--work-ms".into(),
                workload.work_ms.to_string().into(),
                "--".into(),
            ];
            args.extend(workload.values.iter().map(|v| v.to_string().into()));
            let launch = Launch {
                processes: workers,
                args,
                timeout: Duration::from_secs(60),
                fault: None,
                forward: false,
            };
            let attempt = launch::launch(&launch).map_err(|e| e.to_string())?;
            if !attempt.completed(workload.values.len()) {
                let how: Vec<String> = (attempt.ended.iter().enumerate())
                    .map(|(process, ended)| format!("process {process} {ended}"))
                    .collect();
                return Err(format!("the cluster failed: {}", how.join("; ")));
            }
            Ok(attempt.lines)
        }
    }
}
// ANCHOR_END: ways

/// The median of some durations.
fn median(mut times: Vec<Duration>) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

/// Runs the measurements and prints the table and its readings. Returns whether every way
/// printed the same table.
pub fn run(args: &CostArgs) -> Result<bool, Error> {
    let workers = usize::from(args.workers);
    let heavy_values: Vec<Number> = (0..args.copies)
        .flat_map(|_| q5_pool::default_values())
        .collect();
    let many_values: Vec<Number> = (0..MANY_COPIES)
        .flat_map(|_| q5_pool::default_values())
        .collect();
    let workloads = [
        // One value, not none: an empty list on the command line means the reference list.
        Workload {
            name: "one value".into(),
            values: vec![Number::Float(0.5)],
            work_ms: 0,
        },
        Workload {
            name: "the reference list (11 values)".into(),
            values: q5_pool::default_values(),
            work_ms: 0,
        },
        Workload {
            name: format!("{} values, no work", many_values.len()),
            values: many_values,
            work_ms: 0,
        },
        Workload {
            name: format!(
                "{} values, {} ms of work each",
                heavy_values.len(),
                args.work_ms
            ),
            values: heavy_values,
            work_ms: args.work_ms,
        },
    ];
    // times[workload][way]: every run of every way, interleaved so that a burst of load from
    // elsewhere falls on all ways alike.
    let mut times = vec![vec![Vec::new(); WAYS.len()]; workloads.len()];
    let mut same = true;
    for (w, workload) in workloads.iter().enumerate() {
        let mut reference: Option<Vec<String>> = None;
        for _ in 0..args.runs {
            for (k, way) in WAYS.iter().enumerate() {
                let started = Instant::now();
                let lines = run_once(*way, workload, workers).map_err(|cause| Error::Measure {
                    way: way.label(workers),
                    workload: workload.name.clone(),
                    cause,
                })?;
                times[w][k].push(started.elapsed());
                match &reference {
                    None => reference = Some(lines),
                    Some(reference) if *reference != lines => {
                        errln!(
                            "beyond_one_machine: {} printed a different table for {}",
                            way.label(workers),
                            workload.name
                        );
                        same = false;
                    }
                    Some(_) => {}
                }
            }
        }
    }
    let medians: Vec<Vec<Duration>> = times
        .into_iter()
        .map(|row| row.into_iter().map(median).collect())
        .collect();
    let machine = Machine::detect();
    outln!("Machine: {machine}; timely {TIMELY_VERSION}.")?;
    outln!(
        "Wall time from start to finish, start-up and shutdown included; the median of {} run{}.",
        args.runs,
        if args.runs == 1 { "" } else { "s" }
    )?;
    outln!()?;
    print_table(&workloads, &medians, workers)?;
    outln!()?;
    outln!(
        "Every way printed the same table, bit for bit: {}.",
        if same { "yes" } else { "NO" }
    )?;
    for reading in readings(&workloads, &medians, workers, machine.cores) {
        outln!("{reading}")?;
    }
    if let Some(caution) = machine.load_caution() {
        outln!("{caution}")?;
    }
    Ok(same)
}

fn print_table(
    workloads: &[Workload],
    medians: &[Vec<Duration>],
    workers: usize,
) -> Result<(), OutputError> {
    let labels: Vec<String> = WAYS.iter().map(|w| w.label(workers)).collect();
    let first = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let widths: Vec<usize> = workloads
        .iter()
        .map(|w| w.name.chars().count().max(9))
        .collect();
    let mut header = format!("{:first$}", "");
    for (workload, width) in workloads.iter().zip(&widths) {
        header.push_str(&format!("  {:>width$}", workload.name));
    }
    outln!("{}", header.trim_end())?;
    for (k, label) in labels.iter().enumerate() {
        let mut row = format!("{label:first$}");
        for (w, width) in widths.iter().enumerate() {
            row.push_str(&format!(
                "  {:>width$}",
                seconds(medians[w][k].as_secs_f64())
            ));
        }
        outln!("{row}")?;
    }
    Ok(())
}

/// The sentences under the table, each computed from the medians: what the cluster costs on
/// one machine (a fixed cost, a cost per value), how well that model predicts the heavy
/// workload, and when the cluster pays.
fn readings(
    workloads: &[Workload],
    medians: &[Vec<Duration>],
    workers: usize,
    cores: usize,
) -> Vec<String> {
    let t = |w: usize, way: Way| {
        medians[w][WAYS.iter().position(|&x| x == way).expect("a way")].as_secs_f64()
    };
    let (one, small, many, heavy) = (0, 1, 2, 3);
    let fixed = t(one, Way::Timely);
    let mut out = Vec::new();
    let (small_timely, small_sequential) = (t(small, Way::Timely), t(small, Way::Sequential));
    out.push(format!(
        "Reading: on the reference list, timely took {} to the sequential loop's {} ({} its \
         time); with one value it took {}{}",
        seconds(small_timely),
        seconds(small_sequential),
        times(small_timely / small_sequential),
        seconds(fixed),
        // Said only when the data says it: the run with nothing to do is most of the time.
        if small_timely <= 1.25 * fixed {
            ", so nearly all of it is start-up and coordination, not work."
        } else {
            "."
        }
    ));
    let ratio = |way| t(heavy, way) / t(heavy, Way::Sequential);
    out.push(format!(
        "Reading: on {}, timely took {} the sequential time, common::Pool {} and \
         common::ThreadPool {}.",
        workloads[heavy].name,
        times(ratio(Way::Timely)),
        times(ratio(Way::Processes)),
        times(ratio(Way::Threads)),
    ));
    // The cost per value, from the runs without work: what the values beyond the first added.
    // Less than nothing is the noise of the fixed cost, and counts as nothing.
    let many_timely = t(many, Way::Timely);
    let more = (workloads[many].values.len() - workloads[one].values.len()) as f64;
    let per_value = ((many_timely - fixed) / more).max(0.0);
    out.push(format!(
        "Reading: the cluster's fixed cost is its time with one value, {}; on {}, it took {}, {}.",
        seconds(fixed),
        workloads[many].name,
        seconds(many_timely),
        if per_value > 0.0 {
            format!("so each value costs about {} more", seconds(per_value))
        } else {
            "so a value costs nothing measurable".to_owned()
        }
    ));
    let parallel = workers.min(cores);
    if parallel <= 1 {
        out.push(format!(
            "Reading: this machine has {cores} core, so no cluster of processes on it can beat \
             one thread."
        ));
        return out;
    }
    let k = parallel as f64;
    let per_value_part = if per_value > 0.0 {
        format!(", plus {} per value", seconds(per_value))
    } else {
        String::new()
    };
    let values = workloads[heavy].values.len() as f64;
    let work = values * workloads[heavy].work_ms as f64 / 1000.0;
    out.push(format!(
        "Reading: with {parallel} of its processes on a core each, the cluster's time is then \
         about {}{per_value_part}, plus the work divided by {parallel}: {} for {}, which took {} \
         in this run.",
        seconds(fixed),
        seconds(fixed + values * per_value + work / k),
        workloads[heavy].name,
        seconds(t(heavy, Way::Timely)),
    ));
    // fixed + n·c + W/k < W, so W > (fixed + n·c)·k/(k-1).
    let pays = k / (k - 1.0);
    out.push(format!(
        "Reading: so it beats one thread once the whole map takes more than about {} of \
         work{}.",
        seconds(fixed * pays),
        if per_value > 0.0 {
            format!(
                ", plus {} for each of its values",
                seconds(per_value * pays)
            )
        } else {
            String::new()
        }
    ));
    out
}

/// A ratio as "N×", with three significant digits (two decimals below 1).
fn times(ratio: f64) -> String {
    if ratio >= 1000.0 {
        format!("{ratio:.0}×")
    } else if ratio >= 1.0 {
        format!("{}×", support::units::significant(ratio))
    } else {
        format!("{ratio:.2}×")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The four workloads of `run`, with the timely way taking `timely` (one value, the
    /// reference list, 1100 values without work, the heavy one) and every other way 1 ms,
    /// 1 ms, 2 ms and 900 ms.
    fn readings_for(timely: [f64; 4], cores: usize) -> Vec<String> {
        let workload = |name: &str, values: Vec<Number>, work_ms| Workload {
            name: name.into(),
            values,
            work_ms,
        };
        let heavy: Vec<Number> = (0..4).flat_map(|_| q5_pool::default_values()).collect();
        let workloads = [
            workload("one value", vec![Number::Float(0.5)], 0),
            workload("the reference list", q5_pool::default_values(), 0),
            workload(
                "1100 values, no work",
                (0..100).flat_map(|_| q5_pool::default_values()).collect(),
                0,
            ),
            workload("44 values, 20 ms of work each", heavy, 20),
        ];
        let medians: Vec<Vec<Duration>> = [0.001, 0.001, 0.002, 0.9]
            .iter()
            .zip(timely)
            .map(|(&other, timely)| {
                [other, other, other, timely]
                    .map(Duration::from_secs_f64)
                    .to_vec()
            })
            .collect();
        readings(&workloads, &medians, 2, cores)
    }

    #[test]
    fn the_model_counts_the_cost_per_value_the_runs_measured() {
        // 10 µs for each of the 1099 values after the first.
        let readings = readings_for([0.010, 0.012, 0.02099, 0.470], 2);
        assert_eq!(readings.len(), 5, "{readings:#?}");
        assert_eq!(
            readings[2],
            "Reading: the cluster's fixed cost is its time with one value, 10.0 ms; on 1100 \
             values, no work, it took 21.0 ms, so each value costs about 10.0 µs more."
        );
        // 10 ms + 44 × 10 µs + 880 ms / 2
        assert!(
            readings[3].contains(
                "about 10.0 ms, plus 10.0 µs per value, plus the work divided by 2: 450 ms for \
                 44 values, 20 ms of work each, which took 470 ms in this run."
            ),
            "{}",
            readings[3]
        );
        assert!(
            readings[4]
                .ends_with("more than about 20.0 ms of work, plus 20.0 µs for each of its values."),
            "{}",
            readings[4]
        );
    }

    #[test]
    fn more_values_taking_less_time_is_noise_not_a_negative_cost() {
        let readings = readings_for([0.010, 0.012, 0.009, 0.460], 2);
        assert!(
            readings[2].ends_with("it took 9.00 ms, so a value costs nothing measurable."),
            "{}",
            readings[2]
        );
        assert!(!readings[3].contains("per value"), "{}", readings[3]);
        assert!(
            readings[3].contains("about 10.0 ms, plus the work divided by 2: 450 ms"),
            "{}",
            readings[3]
        );
        assert!(
            readings[4].ends_with("more than about 20.0 ms of work."),
            "{}",
            readings[4]
        );
    }

    #[test]
    fn one_core_can_only_lose() {
        let readings = readings_for([0.010, 0.012, 0.021, 0.470], 1);
        assert_eq!(readings.len(), 4, "{readings:#?}");
        assert!(
            readings[3].contains("1 core, so no cluster"),
            "{}",
            readings[3]
        );
    }

    #[test]
    fn the_timely_version_is_the_one_in_the_lock_file() {
        let lock =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock"))
                .expect("Cargo.lock at the workspace root");
        let entry = format!("name = \"timely\"\nversion = \"{}\"", super::TIMELY_VERSION);
        assert!(
            lock.contains(&entry),
            "Cargo.lock has another timely: update TIMELY_VERSION"
        );
    }
}
