//! # Question 1: what is multiprocessing? Why is it useful?
//!
//! Multiprocessing is doing a program's work in several operating-system processes at once.
//! The operating system runs each process on a core of its own, so a CPU-bound job cut into
//! independent pieces can finish up to N times sooner on N cores. Processes share no memory:
//! every argument and result is copied between them (here, encoded and sent over a socket), and
//! starting one takes milliseconds. Besides speed, that separation buys isolation: a worker that
//! crashes takes only itself down.
//!
//! In Python, multiprocessing is *the* way to compute on several cores. CPython's global
//! interpreter lock (GIL) lets one thread at a time run Python code, so threads help a program
//! that waits (on disks, networks) but not one that computes. (Optional free-threaded builds of
//! CPython 3.13 and later remove the GIL; the standard build keeps it.) Rust has no GIL: threads
//! run Rust code on every core at once, share memory without copying it, and start in
//! microseconds, so for CPU-bound work they are usually the better tool. Processes remain the
//! tool for isolation: a crash, a leak or a `std::process::exit` in one cannot reach the others.
//!
//! This program shows it with one job, an estimate of π from random points (see [`pi`]), run
//! three ways: sequentially on the main thread, on a [`common::Pool`] of worker processes, and
//! on a [`common::ThreadPool`]. It prints the wall time and speedup of each and checks that all
//! three give the same answer. They must: the job is cut into [`pi::PIECES`] pieces, each with
//! its own seed, so the answer depends on `--size` and `--seed` only, never on the mode or the
//! number of workers. On idle cores both parallel modes approach N times faster; the processes
//! pay a few milliseconds more to start.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod pi;

use std::fmt::Write as _;
use std::num::NonZero;
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use common::{Picture, Pool, Registered, Task, ThreadPool, Trace, task};
use support::cli::{EXIT_CODES_HELP, MAX_WORKERS};
use support::out::OutputError;
use support::{errln, outln};

use crate::pi::Piece;

// ANCHOR: tasks
/// Runs in a worker process: one piece of the job.
pub const COUNT_INSIDE: Task<Piece, u64> = task!(pi::count_inside);
/// Given to [`common::init`] at the top of `main`.
pub static TASKS: &[&dyn Registered] = &[&COUNT_INSIDE];
// ANCHOR_END: tasks

/// One CPU-bound job, run sequentially, on worker processes and on threads (question 1).
#[derive(Debug, Parser)]
#[command(
    version,
    about = "Question 1: why multiprocessing? One CPU-bound job (estimating pi) run \
             sequentially, on worker processes and on threads, timed",
    after_help = format!(
        "Examples:\n  q1_why_multiprocessing                   one worker per core, a fresh seed\n  \
         q1_why_multiprocessing --workers 4       4 processes, then 4 threads\n  \
         q1_why_multiprocessing --size 200M       a bigger job: overheads matter less\n  \
         q1_why_multiprocessing --seed 7          the same points, so the same answer, every run\n  \
         q1_why_multiprocessing --svg pictures    also draw who ran each piece, and when\n\n\
         A debug build (plain `cargo run`) is not optimised: for real times, use\n\
         `cargo run --release -p q1_why_multiprocessing`. All three modes run the same\n\
         code, so the speedups still compare them.\n\n\
         {EXIT_CODES_HELP}"
    )
)]
pub struct Cli {
    /// Worker processes, then threads, to run the job on [default: the number of cores]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=MAX_WORKERS))]
    pub workers: Option<u16>,
    /// Random points to throw: 5000000, 5_000_000 or 5M (k, M, G: thousand, million, billion)
    #[arg(long, value_name = "POINTS", default_value = "20M", value_parser = parse_size)]
    pub size: u64,
    /// Seed of the random points: the same seed gives the same answer [default: a fresh one]
    #[arg(long, value_name = "SEED")]
    pub seed: Option<u64>,
    /// Also draw which worker ran each piece, and when, as an SVG picture:
    /// DIR/processes_threads.svg
    #[arg(long, value_name = "DIR")]
    pub svg: Option<std::path::PathBuf>,
}

/// How one mode went.
#[derive(Debug, Clone, Copy)]
struct Timing {
    /// Time to start the workers (zero for the sequential run).
    startup: Duration,
    /// Wall time from the start, workers' start-up included, to the last result.
    total: Duration,
    /// Points inside the quarter circle: the answer.
    inside: u64,
}

// ANCHOR: three_ways
/// The job on the main thread, one piece after another.
fn sequential(pieces: &[Piece]) -> u64 {
    pieces.iter().map(|&piece| pi::count_inside(piece)).sum()
}

/// The job on a pool of worker processes: each piece is sent to a worker, counted there, and
/// its count sent back.
fn on_processes(pieces: &[Piece], workers: usize, clock: &mut Clock) -> common::Result<u64> {
    let pool = Pool::new(workers)?;
    clock.workers_up();
    // One piece per message: pieces are few and long, so balance matters more than messages.
    let call = pool.trace(clock.trace()).chunksize(1);
    let counts = call.map(&COUNT_INSIDE, pieces.iter().copied())?;
    clock.answer_in(); // `join` is not timed: the answer is in by now
    pool.join();
    Ok(counts.into_iter().sum())
}

/// The same `map` on a pool of threads: nothing is copied or sent, the threads call
/// `count_inside` directly.
fn on_threads(pieces: &[Piece], workers: usize, clock: &mut Clock) -> common::Result<u64> {
    let threads = ThreadPool::new(workers)?;
    clock.workers_up();
    let counts = threads
        .trace(clock.trace())
        .map(&COUNT_INSIDE, pieces.iter().copied())?;
    clock.answer_in();
    Ok(counts.into_iter().sum())
}
// ANCHOR_END: three_ways

/// Times one mode, from its start to its answer, and holds the trace of who counted each piece
/// (made when the mode starts, so its picture begins there).
struct Clock {
    start: Instant,
    trace: Trace,
    startup: Duration,
    total: Option<Duration>,
}

impl Clock {
    fn start(trace: Trace) -> Self {
        Clock {
            start: Instant::now(),
            trace,
            startup: Duration::ZERO,
            total: None,
        }
    }

    fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The workers are up: the start-up ends here.
    fn workers_up(&mut self) {
        self.startup = self.start.elapsed();
    }

    /// The answer is in: the total ends here.
    fn answer_in(&mut self) {
        self.total = Some(self.start.elapsed());
    }

    fn timing(&self, inside: u64) -> Timing {
        Timing {
            startup: self.startup,
            total: self.total.unwrap_or_else(|| self.start.elapsed()),
            inside,
        }
    }
}

/// Runs one parallel `mode` on a fresh clock and `trace`; returns how it went and the trace.
fn timed(
    trace: Trace,
    mode: impl FnOnce(&mut Clock) -> common::Result<u64>,
) -> common::Result<(Timing, Trace)> {
    let mut clock = Clock::start(trace);
    let inside = mode(&mut clock)?;
    Ok((clock.timing(inside), clock.trace))
}

/// What can stop the program: the pool, or output that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Pool(#[from] common::Error),
    // Not transparent: `support::cli::finish` finds an output error among the sources.
    #[error("{0}")]
    Output(#[from] OutputError),
}

/// Runs the program; returns the exit code (see [`support::cli`]).
pub fn run(cli: Cli) -> ExitCode {
    support::cli::finish(env!("CARGO_PKG_NAME"), compare(&cli))
}

// ANCHOR: compare
/// Runs the job three ways, printing a row as each finishes; returns whether they agree.
fn compare(cli: &Cli) -> Result<bool, Error> {
    let cores = thread::available_parallelism().map_or(1, NonZero::get);
    let workers = cli.workers.map_or(cores, usize::from);
    let seed = cli.seed.unwrap_or_else(rand::random);
    let pieces = pi::plan(cli.size, seed);

    outln!(
        "Job: estimate pi from {}, cut into {} (seed {seed}).",
        counted(cli.size, "random point", "random points"),
        counted(pieces.len() as u64, "piece", "pieces")
    )?;
    outln!(
        "Cores found: {cores}. Workers: {}, then {}.",
        counted(workers as u64, "process", "processes"),
        counted(workers as u64, "thread", "threads")
    )?;
    if cfg!(debug_assertions) {
        // `cargo run` builds without optimisations; learners should know what they measure.
        outln!(
            "This is a debug build (plain cargo run): its code is not optimised, so for real \
             times use cargo run --release. All three modes run the same code, so the speedups \
             still compare them."
        )?;
    }
    outln!()?;
    outln!("{}", row_header())?;
    let start = Instant::now();
    let alone = Timing {
        inside: sequential(&pieces),
        total: start.elapsed(),
        startup: Duration::ZERO,
    };
    outln!("{}", row("sequential", 1, &alone, &alone))?;
    let (processes, process_trace) =
        timed(Trace::new(), |clock| on_processes(&pieces, workers, clock))?;
    outln!("{}", row("processes", workers, &processes, &alone))?;
    let (threads, thread_trace) = timed(Trace::of_threads(), |clock| {
        on_threads(&pieces, workers, clock)
    })?;
    outln!("{}", row("threads", workers, &threads, &alone))?;
    outln!()?;
    if let Some(dir) = &cli.svg {
        let file = dir.join("processes_threads.svg");
        let picture = Picture::new()
            .title(&format!("The same {} pieces, one bar each", pieces.len()))
            .panel(&format!("{workers} worker processes"), &process_trace)
            .panel(&format!("{workers} threads"), &thread_trace);
        if let Err(e) = picture.save(&file) {
            errln!(
                "q1_why_multiprocessing: error: cannot write {}: {e}",
                file.display()
            );
            return Ok(false);
        }
    }

    let answers = [alone.inside, processes.inside, threads.inside];
    if answers.iter().any(|&a| a != alone.inside) {
        // Every piece is a pure function of its seed, so this is a bug, not bad luck.
        errln!(
            "q1_why_multiprocessing: error: the three modes disagree \
             (sequential {}, processes {}, threads {})",
            answers[0],
            answers[1],
            answers[2]
        );
        return Ok(false);
    }
    let estimate = pi::estimate(alone.inside, cli.size);
    outln!(
        "All three agree: {} of {} fell inside the quarter circle, so pi ~ {estimate:.6} \
         (off by {:.6}).",
        thousands(alone.inside),
        counted(cli.size, "point", "points"),
        (estimate - std::f64::consts::PI).abs()
    )?;
    outln!(
        "Reading: {}",
        reading(
            cores,
            workers,
            speedup(&alone, &processes),
            speedup(&alone, &threads)
        )
    )?;
    Ok(true)
}
// ANCHOR_END: compare

fn speedup(baseline: &Timing, timing: &Timing) -> f64 {
    baseline.total.as_secs_f64() / timing.total.as_secs_f64().max(f64::MIN_POSITIVE)
}

fn row_header() -> String {
    format!(
        "{:<12}{:>8}{:>11}{:>11}{:>9}{:>16}",
        "mode", "workers", "start-up", "total", "speedup", "points inside"
    )
}

fn row(mode: &str, workers: usize, timing: &Timing, baseline: &Timing) -> String {
    let startup = if timing.startup.is_zero() {
        "-".to_owned()
    } else if timing.startup < Duration::from_millis(1) {
        // Threads start in microseconds: show them, rather than a misleading "0.0 ms".
        format!("{} µs", timing.startup.as_micros())
    } else {
        format!("{:.1} ms", timing.startup.as_secs_f64() * 1e3)
    };
    format!(
        "{mode:<12}{workers:>8}{startup:>11}{:>11}{:>9}{:>16}",
        format!("{:.3} s", timing.total.as_secs_f64()),
        format!("{:.2}x", speedup(baseline, timing)),
        thousands(timing.inside),
    )
}

// ANCHOR: reading
/// Whether a speedup counts as "ran in parallel"; below 1.20x it is overhead or noise. Judged
/// on the two decimals the table shows, so a row reading 1.20x is never called "not scaled".
fn scaled(speedup: f64) -> bool {
    (speedup * 100.0).round() >= 120.0
}

/// One line that reads the two speedups (parallel time over sequential time).
///
/// ```
/// use q1_why_multiprocessing::reading;
/// assert!(reading(4, 4, 3.8, 3.9).contains("no GIL"));
/// assert!(reading(4, 1, 1.0, 1.0).contains("nothing runs in parallel"));
/// ```
pub fn reading(cores: usize, workers: usize, processes: f64, threads: f64) -> String {
    let (p, t) = (scaled(processes), scaled(threads));
    if workers == 1 {
        "one worker runs one piece at a time, so nothing runs in parallel: the three times \
         differ only by overhead. Try --workers 2 or more."
            .into()
    } else if cores == 1 {
        "only one core was found, so the workers take turns on it: processes and threads alike \
         can only add overhead here."
            .into()
    } else if p && t {
        format!(
            "processes ({processes:.2}x) and threads ({threads:.2}x) both computed on several \
             cores at once. Rust has no GIL, so threads run Rust code in parallel; in CPython \
             the GIL lets one thread at a time run Python code, which is why Python needs \
             processes for this."
        )
    } else if p {
        "processes scaled and threads did not: no lock holds Rust threads back, so this is \
         noise (other programs on the cores). Run it again."
            .into()
    } else if t {
        "threads scaled and processes did not: starting processes and sending them work cost \
         more than this job saves. Try a larger --size."
            .into()
    } else {
        "neither processes nor threads beat the sequential run: the job is too small for their \
         overhead, or other programs are busy on the cores. Try a larger --size."
            .into()
    }
}
// ANCHOR_END: reading

/// Parses a number of points: `5000000`, `5_000_000` or `5M` (`k`, `M`, `G`: 10³, 10⁶, 10⁹).
///
/// ```
/// use q1_why_multiprocessing::parse_size;
/// assert_eq!(parse_size("32M"), Ok(32_000_000));
/// assert_eq!(parse_size("1_500k"), Ok(1_500_000));
/// assert!(parse_size("0").is_err());
/// ```
pub fn parse_size(text: &str) -> Result<u64, String> {
    let (digits, scale) = match text.strip_suffix(['k', 'K']) {
        Some(rest) => (rest, 1_000),
        None => match text.strip_suffix('M') {
            Some(rest) => (rest, 1_000_000),
            None => match text.strip_suffix('G') {
                Some(rest) => (rest, 1_000_000_000),
                None => (text, 1),
            },
        },
    };
    // Underscores between digits only, as Python reads `5_000_000` (not `5_000_`).
    let digits = support::python::without_digit_underscores(digits)
        .filter(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
        .ok_or("expected a whole number of points, like 5000000, 5_000_000 or 5M")?;
    let number: u64 = digits.parse().map_err(|_| "too many points".to_owned())?;
    match number.checked_mul(scale) {
        Some(0) => Err("the job needs at least 1 point".into()),
        Some(points) => Ok(points),
        None => Err("too many points".into()),
    }
}

/// `1 thread`, `2 threads`, `1,000 threads`.
fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// `1234567` as `1,234,567`.
///
/// ```
/// assert_eq!(q1_why_multiprocessing::thousands(1234567), "1,234,567");
/// ```
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() * 4 / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        let _ = out.write_char(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_separators_and_suffixes() {
        for (text, want) in [
            ("1", 1),
            ("32M", 32_000_000),
            ("32_000_000", 32_000_000),
            ("5k", 5_000),
            ("5K", 5_000),
            ("2G", 2_000_000_000),
            ("18446744073709551615", u64::MAX),
        ] {
            assert_eq!(parse_size(text), Ok(want), "{text}");
        }
        for text in [
            "",
            "0",
            "0M",
            "M",
            "-5",
            "1.5M",
            "5m",
            "_5",
            "1e6",
            "5 M",
            "x",
            "99999999999G",
            "18446744073709551616",
            "1_000_",
            "1__000",
            "1_k",
        ] {
            assert!(parse_size(text).is_err(), "{text}");
        }
    }

    #[test]
    fn thousands_are_grouped() {
        for (n, want) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (25_132_741, "25,132,741"),
            (u64::MAX, "18,446,744,073,709,551,615"),
        ] {
            assert_eq!(thousands(n), want);
        }
    }

    #[test]
    fn reading_covers_every_outcome() {
        let cases = [
            ((2, 1, 1.0, 1.0), "nothing runs in parallel"),
            ((1, 4, 0.9, 1.0), "only one core"),
            ((2, 2, 1.9, 1.95), "Rust has no GIL"),
            ((2, 2, 1.9, 1.0), "noise"),
            ((2, 2, 0.8, 1.9), "starting processes"),
            ((2, 2, 1.0, 1.1), "neither"),
        ];
        for ((cores, workers, p, t), want) in cases {
            let line = reading(cores, workers, p, t);
            assert!(line.contains(want), "{line}");
            assert!(!line.contains('\n'));
        }
        assert!(reading(2, 2, 1.944, 1.966).contains("(1.94x) and threads (1.97x)"));
        // The line agrees with the table's rounding: 1.197 prints, and counts, as 1.20x.
        assert!(reading(2, 2, 1.197, 1.197).contains("both computed"));
        assert!(reading(2, 2, 1.194, 1.194).contains("neither"));
    }

    #[test]
    fn rows_line_up_with_the_header() {
        let timing = Timing {
            startup: Duration::from_micros(4200),
            total: Duration::from_millis(571),
            inside: 25_132_741,
        };
        let baseline = Timing {
            total: Duration::from_millis(1104),
            ..timing
        };
        let line = row("processes", 2, &timing, &baseline);
        assert_eq!(line.len(), row_header().len());
        assert_eq!(
            line,
            "processes          2     4.2 ms    0.571 s    1.93x      25,132,741"
        );
        let threads = Timing {
            startup: Duration::from_micros(87),
            ..timing
        };
        assert_eq!(
            row("threads", 2, &threads, &baseline),
            "threads            2      87 µs    0.571 s    1.93x      25,132,741"
        );
    }
}
