//! Rust and Python, same workloads, same machine, same run: one table.
//!
//! ```sh
//! cargo run --release -p benches --bin side_by_side            # 3 to 5 minutes
//! cargo run --release -p benches --bin side_by_side -- --quick # about 1.5 minutes, noisier
//! ```
//!
//! The Rust workloads are the ones in `benches::work` (the criterion benchmarks call the same
//! functions); the Python ones are in `benches/python/side_by_side.py`, timed the same way
//! (`benches::measure`). Whole programs are compared too: `q5_pool` and `q6_four_processes`
//! (built here with cargo) against the assignment's Python programs in `benches/python/`.
//! Without `python3` the Python column is left empty and the table says so.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use benches::io::{self, Site};
use benches::machine::Machine;
use benches::measure::{Budget, Stats, measure, measure_interleaved, time_n};
use benches::tasks::{ECHO, SQUARE, XORSHIFT};
use benches::work::{self, COARSE_STEPS, COARSE_TASKS, GAMMA_VALUES, POOL_WORKERS};
use clap::Parser;
use common::{Pool, ThreadPool};
use serde_json::Value as Json;
use support::cli::EXIT_CODES_HELP;

/// Steps per coarse task in the Rust-against-Python rows: a tenth of the criterion
/// benchmark's, so that Python's run takes about a second.
const SIDE_COARSE_STEPS: u64 = 100_000;
/// Payloads in the table (the criterion benchmark has more sizes).
const SIDE_PAYLOADS: [usize; 3] = [1 << 10, 1 << 20, 64 << 20];
/// Downloads: (how many, latency of each in ms).
const DOWNLOADS: [(usize, u64); 3] = [(3, 200), (3, 50), (12, 50)];
/// Latencies of the local servers, in ms (one server each: question 3's has one latency).
const LATENCIES: [u64; 2] = [50, 200];

/// Times processes against threads in Rust and the same workloads in Python, and prints one
/// table: workload, Python, Rust, ratio.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = format!(
        "Progress goes to stderr, the table (Markdown) to stdout:\n  \
         cargo run --release -p benches --bin side_by_side > table.md\n\n{EXIT_CODES_HELP}"
    )
)]
struct Cli {
    /// A fifth of a second per workload instead of a second (noisier)
    #[arg(long, conflicts_with = "smoke")]
    quick: bool,
    /// One sample per workload: checks that everything runs, measures nothing
    #[arg(long)]
    smoke: bool,
    /// Only the workloads whose key contains TEXT (repeatable); see --list
    #[arg(long, value_name = "TEXT")]
    only: Vec<String>,
    /// List the workload keys and exit
    #[arg(long)]
    list: bool,
    /// The Python interpreter
    #[arg(long, default_value = "python3", value_name = "PATH")]
    python: String,
    /// Leave the Python column empty
    #[arg(long)]
    no_python: bool,
    /// Skip the whole-program comparison (which builds q5_pool and q6_four_processes)
    #[arg(long)]
    no_programs: bool,
}

fn main() -> ExitCode {
    // Workers are this binary started again; in them, this line serves tasks and never returns.
    benches::init();
    let cli: Cli = support::cli::parse();
    let cores = work::cores();
    if cli.list {
        for section in sections(cores) {
            for row in section.rows {
                let keys = [row.rust.as_deref(), row.python.as_deref()];
                println!(
                    "{:<40} {}",
                    keys.iter().flatten().next().unwrap_or(&""),
                    row.label
                );
            }
        }
        return ExitCode::SUCCESS;
    }
    let budget = if cli.smoke {
        Budget::SMOKE
    } else if cli.quick {
        Budget::QUICK
    } else {
        Budget::FULL
    };
    let machine = Machine::read();
    let python = if cli.no_python {
        Err("left out (--no-python)".to_owned())
    } else {
        find_python(&cli.python)
    };
    let mut sites = Vec::new();
    for ms in LATENCIES {
        match Site::start(Duration::from_millis(ms), 12) {
            Ok(site) => sites.push((ms, site)),
            Err(e) => {
                eprintln!("side_by_side: error: cannot start the local HTTP server: {e}");
                return ExitCode::FAILURE;
            }
        }
    }

    let mut rust = Rust {
        budget,
        only: cli.only.clone(),
        results: BTreeMap::new(),
        sites: &sites,
    };
    let started = Instant::now();
    if let Err(e) = rust.run_all(cores) {
        eprintln!("side_by_side: error: {e}");
        return ExitCode::FAILURE;
    }
    let mut notes = Vec::new();
    let mut py = BTreeMap::new();
    if let Ok(python) = &python {
        eprintln!(
            "running Python {} (benches/python/side_by_side.py)…",
            python.version
        );
        match run_python(&cli, python, &sites, cores) {
            Ok((results, checks)) => {
                py = results;
                notes.extend(compare_checks(&checks));
            }
            Err(e) => notes.push(format!("Python column empty: {e}")),
        }
    }
    let mut rust_results = rust.results;
    if !cli.no_programs {
        programs(
            &cli,
            python.as_ref().ok(),
            budget,
            &mut rust_results,
            &mut py,
            &mut notes,
        );
    }
    let end_load = Machine::read().load;

    let report = Report {
        machine,
        python,
        end_load,
        budget,
        rust: rust_results,
        py,
        notes,
        cores,
        filtered: !cli.only.is_empty(),
    };
    print!("{}", report.render());
    eprintln!("done in {:.0} s", started.elapsed().as_secs_f64());
    ExitCode::SUCCESS
}

/// A measured value: a time per call, or a size in KiB.
#[derive(Debug, Clone, Copy)]
enum Measured {
    Time(Stats),
    Kib(u64),
}

impl Measured {
    fn seconds(&self) -> Option<f64> {
        match self {
            Measured::Time(s) => Some(s.median.as_secs_f64()),
            Measured::Kib(_) => None,
        }
    }

    fn kib(&self) -> Option<u64> {
        match self {
            Measured::Kib(k) => Some(*k),
            Measured::Time(_) => None,
        }
    }
}

type Results = BTreeMap<String, Measured>;

/// The Rust half: runs the workloads in `benches::work` and records them by key.
struct Rust<'s> {
    budget: Budget,
    only: Vec<String>,
    results: Results,
    /// A local server per latency: (latency in ms, site).
    sites: &'s [(u64, Site)],
}

type BoxError = Box<dyn std::error::Error>;

/// A workload for `measure` (it runs the workload `n` times and says how long that took),
/// with its key.
type Keyed<'a> = (String, Box<dyn FnMut(u64) -> Duration + 'a>);

impl Rust<'_> {
    fn wants(&self, key: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| key.contains(o.as_str()))
    }

    /// Measures `run` (which runs the workload `n` times and returns how long that took).
    fn time(&mut self, key: &str, run: impl FnMut(u64) -> Duration) {
        if self.wants(key) {
            eprintln!("  {key}");
            let stats = measure(self.budget, run);
            self.results.insert(key.to_owned(), Measured::Time(stats));
        }
    }

    /// Measures several workloads taking turns (see `measure_interleaved`): for the ones
    /// whose ratio is a target.
    fn time_together(&mut self, runs: Vec<Keyed<'_>>) {
        let (keys, mut runs): (Vec<String>, Vec<_>) =
            runs.into_iter().filter(|(key, _)| self.wants(key)).unzip();
        if keys.is_empty() {
            return;
        }
        eprintln!("  {} (taking turns)", keys.join(", "));
        let mut refs: Vec<&mut dyn FnMut(u64) -> Duration> =
            runs.iter_mut().map(|r| &mut **r as _).collect();
        let stats = measure_interleaved(self.budget, &mut refs);
        for (key, stats) in keys.into_iter().zip(stats) {
            self.results.insert(key, Measured::Time(stats));
        }
    }

    fn run_all(&mut self, cores: usize) -> Result<(), BoxError> {
        eprintln!("running Rust…");
        self.spawn();
        self.pool_startup()?;
        self.round_trip()?;
        self.map_throughput()?;
        self.cpu_bound(cores)?;
        self.io_bound()?;
        self.payload()?;
        self.memory()?;
        Ok(())
    }

    fn spawn(&mut self) {
        self.time_together(vec![
            (
                "spawn.thread".into(),
                Box::new(|n| time_n(n, work::thread_start_join)),
            ),
            (
                "spawn.process".into(),
                Box::new(|n| time_n(n, || work::process_start_join().expect("a process starts"))),
            ),
            (
                "spawn.reexec".into(),
                Box::new(|n| time_n(n, || benches::child::reexec().expect("this binary starts"))),
            ),
            (
                "spawn.true".into(),
                Box::new(|n| time_n(n, || benches::child::spawn_true().expect("/bin/true runs"))),
            ),
        ]);
    }

    fn pool_startup(&mut self) -> Result<(), BoxError> {
        for workers in [1, 2, 4] {
            self.time(&format!("pool.ready.{workers}"), |n| {
                let mut total = Duration::ZERO;
                for _ in 0..n {
                    let (ready, pool) = work::pool_ready(workers).expect("workers start");
                    total += ready;
                    drop(pool); // not timed, as in Python
                }
                total
            });
        }
        Ok(())
    }

    fn round_trip(&mut self) -> Result<(), BoxError> {
        for workers in [1, POOL_WORKERS] {
            let key = format!("roundtrip.apply.{workers}");
            if self.wants(&key) {
                let pool = Pool::new(workers)?;
                pool.apply(&SQUARE, 1)?;
                self.time(&key, |n| {
                    time_n(n, || {
                        pool.apply(&SQUARE, std::hint::black_box(7))
                            .expect("answer");
                    })
                });
            }
        }
        if self.wants("roundtrip.channel") {
            let echo = work::ThreadEcho::new();
            self.time("roundtrip.channel", |n| {
                time_n(n, || {
                    echo.round_trip(7);
                })
            });
        }
        for (key, echo) in [
            ("roundtrip.pipe", benches::child::Echo::pipe as fn() -> _),
            ("roundtrip.socket", benches::child::Echo::socket),
        ] {
            if self.wants(key) {
                let mut echo = echo()?;
                let mut reply = [0u8; 8];
                self.time(key, |n| {
                    time_n(n, || {
                        echo.round_trip(&7u64.to_le_bytes(), &mut reply)
                            .expect("echo");
                    })
                });
            }
        }
        Ok(())
    }

    fn map_throughput(&mut self) -> Result<(), BoxError> {
        let wanted = |this: &Self, what: &str| {
            work::MAP_SIZES
                .iter()
                .any(|n| this.wants(&format!("map.{n}.{what}")))
        };
        for n in work::MAP_SIZES {
            let items = work::squares_input(n);
            self.time(&format!("map.{n}.sequential"), |k| {
                time_n(k, || work::map_sequential(&SQUARE, &items))
            });
        }
        if wanted(self, "pool") {
            let pool = Pool::new(POOL_WORKERS)?;
            for n in work::MAP_SIZES {
                let items = work::squares_input(n);
                self.time(&format!("map.{n}.pool"), |k| {
                    time_n(k, || work::map_pool(&pool, &SQUARE, &items, None))
                });
            }
            let items = work::squares_input(10_000);
            self.time("map.10000.pool.chunks1", |k| {
                time_n(k, || work::map_pool(&pool, &SQUARE, &items, Some(1)))
            });
        }
        let items = work::squares_input(1_000_000);
        let cores = work::cores();
        self.time("map.1000000.threads", |k| {
            time_n(k, || work::map_scoped(&SQUARE, &items, cores))
        });
        let rayon = work::rayon_pool(cores);
        self.time("map.1000000.rayon", |k| {
            time_n(k, || work::map_rayon(&rayon, &SQUARE, &items))
        });
        if self.wants("map.1000000.thread_pool") {
            let threads = ThreadPool::new(POOL_WORKERS)?;
            self.time("map.1000000.thread_pool", |k| {
                time_n(k, || work::map_thread_pool(&threads, &SQUARE, &items))
            });
        }
        Ok(())
    }

    fn cpu_bound(&mut self, cores: usize) -> Result<(), BoxError> {
        let gamma = work::gamma_input(GAMMA_VALUES);
        for (name, steps) in [("coarse", SIDE_COARSE_STEPS), ("coarse_big", COARSE_STEPS)] {
            let keys = ["sequential".to_owned()].into_iter().chain(
                (1..=cores).flat_map(|w| ["threads", "rayon", "pool"].map(|a| format!("{a}.{w}"))),
            );
            if !keys
                .into_iter()
                .any(|k| self.wants(&format!("cpu.{name}.{k}")))
            {
                continue;
            }
            let tasks = work::coarse_input(COARSE_TASKS, steps);
            let expected = work::coarse_sequential(&tasks);
            let rayons: Vec<_> = (1..=cores).map(work::rayon_pool).collect();
            let mut pools = Vec::new();
            for workers in 1..=cores {
                let pool = Pool::new(workers)?;
                if work::map_pool(&pool, &XORSHIFT, &tasks, None) != expected {
                    return Err("the pool's xorshift results differ from sequential ones".into());
                }
                pools.push(pool);
            }
            // Taking turns: the speedups are ratios of these times.
            let tasks = &tasks;
            let mut runs: Vec<Keyed<'_>> = vec![(
                format!("cpu.{name}.sequential"),
                Box::new(move |k| time_n(k, || work::coarse_sequential(tasks))),
            )];
            for ((workers, rayon), pool) in (1..=cores).zip(&rayons).zip(&pools) {
                runs.push((
                    format!("cpu.{name}.threads.{workers}"),
                    Box::new(move |k| time_n(k, || work::map_scoped(&XORSHIFT, tasks, workers))),
                ));
                runs.push((
                    format!("cpu.{name}.rayon.{workers}"),
                    Box::new(move |k| time_n(k, || work::map_rayon(rayon, &XORSHIFT, tasks))),
                ));
                runs.push((
                    format!("cpu.{name}.pool.{workers}"),
                    Box::new(move |k| time_n(k, || work::map_pool(pool, &XORSHIFT, tasks, None))),
                ));
            }
            self.time_together(runs);
        }
        self.time("cpu.gamma.sequential", |k| {
            time_n(k, || work::map_sequential(&q5_pool::GAMMA, &gamma))
        });
        for workers in 1..=cores {
            let key = format!("cpu.gamma.pool.{workers}");
            if self.wants(&key) {
                let pool = Pool::new(workers)?;
                self.time(&key, |k| {
                    time_n(k, || work::map_pool(&pool, &q5_pool::GAMMA, &gamma, None))
                });
            }
            let rayon = work::rayon_pool(workers);
            self.time(&format!("cpu.gamma.rayon.{workers}"), |k| {
                time_n(k, || work::map_rayon(&rayon, &q5_pool::GAMMA, &gamma))
            });
        }
        Ok(())
    }

    fn io_bound(&mut self) -> Result<(), BoxError> {
        let pool = if DOWNLOADS
            .iter()
            .any(|(n, ms)| self.wants(&format!("io.{n}x{ms}ms.pool")))
        {
            Some(Pool::new(POOL_WORKERS)?)
        } else {
            None
        };
        for (count, ms) in DOWNLOADS {
            let site = self.sites.iter().find(|(l, _)| *l == ms).map(|(_, s)| s);
            let jobs = site.expect("a site per latency").jobs(count);
            let tag = format!("io.{count}x{ms}ms");
            if count == 3 && ms == 200 && self.wants("io.single.200ms") {
                eprintln!("  io.single.200ms");
                // The slowest of the three downloads, each on its own.
                let slowest = jobs
                    .iter()
                    .map(|job| {
                        measure(self.budget, |k| {
                            time_n(k, || io::sequential(std::slice::from_ref(job)))
                        })
                    })
                    .max_by_key(|s| s.median)
                    .expect("three jobs");
                self.results
                    .insert("io.single.200ms".into(), Measured::Time(slowest));
            }
            self.time(&format!("{tag}.sequential"), |k| {
                time_n(k, || io::sequential(&jobs))
            });
            self.time(&format!("{tag}.threads"), |k| {
                time_n(k, || io::threads(&jobs))
            });
            self.time(&format!("{tag}.processes"), |k| {
                time_n(k, || io::processes(&jobs))
            });
            if let Some(pool) = &pool {
                self.time(&format!("{tag}.pool"), |k| {
                    time_n(k, || io::pool(pool, &jobs))
                });
            }
        }
        Ok(())
    }

    fn payload(&mut self) -> Result<(), BoxError> {
        if !SIDE_PAYLOADS
            .iter()
            .any(|s| self.wants(&format!("payload.{s}")))
        {
            return Ok(());
        }
        let pool = Pool::new(1)?;
        for size in SIDE_PAYLOADS {
            let bytes = work::payload(size);
            if pool.apply(&ECHO, bytes.clone())? != bytes {
                return Err("the payload came back changed".into());
            }
            self.time(&format!("payload.{size}"), |k| {
                // `apply` takes the payload by value: make the copies before the clock starts.
                let copies: Vec<_> = (0..k).map(|_| bytes.clone()).collect();
                let start = Instant::now();
                for copy in copies {
                    std::hint::black_box(pool.apply(&ECHO, copy).expect("echo"));
                }
                start.elapsed()
            });
        }
        Ok(())
    }

    fn memory(&mut self) -> Result<(), BoxError> {
        if self.wants("rss.idle_worker") {
            eprintln!("  rss.idle_worker");
            // As in Python: a pool of one, one task run, a moment's rest, then /proc.
            let pool = Pool::new(1)?;
            pool.apply(&SQUARE, 7)?;
            thread::sleep(Duration::from_millis(100));
            let pid = pool.pids()[0];
            for (key, field) in [
                ("rss.idle_worker", "VmRSS"),
                ("rss.idle_worker.anon", "RssAnon"),
            ] {
                let kib = work::status_kib(pid, field)?;
                self.results.insert(key.into(), Measured::Kib(kib));
            }
            // The floor: any small dynamically linked program, idle.
            let mut sleep = Command::new("/bin/sleep").arg("2").spawn()?;
            thread::sleep(Duration::from_millis(100));
            let floor = work::status_kib(sleep.id(), "VmRSS");
            let _ = sleep.kill();
            let _ = sleep.wait();
            self.results
                .insert("rss.sleep".into(), Measured::Kib(floor?));
        }
        Ok(())
    }
}

/// The Python that `--python` names: its version and the interpreter's own path.
#[derive(Debug, Clone)]
struct Python {
    version: String,
    /// `sys.executable`: `python3` may be a launcher script (pyenv's shims are shell scripts
    /// that take tens of milliseconds), which would be timed with every program run.
    executable: PathBuf,
}

/// Asks `python` for its version and real path, or says why there is none.
fn find_python(python: &str) -> Result<Python, String> {
    let script = "import platform, sys; print(platform.python_version()); print(sys.executable)";
    match Command::new(python).args(["-c", script]).output() {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let mut lines = text.lines();
            let version = lines.next().unwrap_or("?").to_owned();
            let executable = lines.next().filter(|l| !l.is_empty()).unwrap_or(python);
            Ok(Python {
                version,
                executable: PathBuf::from(executable),
            })
        }
        Ok(out) => Err(format!("`{python}` failed ({})", out.status)),
        Err(e) => Err(format!(
            "no `{python}` found ({e}): the Python column is skipped"
        )),
    }
}

fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// Runs side_by_side.py; returns its results and its checks.
fn run_python(
    cli: &Cli,
    python: &Python,
    sites: &[(u64, Site)],
    cores: usize,
) -> Result<(Results, Json), String> {
    let mut command = Command::new(&python.executable);
    command
        .arg(python_dir().join("side_by_side.py"))
        .args(["--cores", &cores.to_string()]);
    for (ms, site) in sites {
        command.args(["--server", &format!("{ms}={}", site.base())]);
    }
    command.stdout(Stdio::piped()).stderr(Stdio::inherit());
    if cli.smoke {
        command.arg("--smoke");
    } else if cli.quick {
        command.arg("--quick");
    }
    for only in &cli.only {
        command.args(["--only", only]);
    }
    let out = command
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.executable.display()))?;
    if !out.status.success() {
        return Err(format!("side_by_side.py failed ({})", out.status));
    }
    let json: Json = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("side_by_side.py printed something other than JSON: {e}"))?;
    let mut results = Results::new();
    for (key, value) in json["results"].as_object().into_iter().flatten() {
        let measured = if let Some(kib) = value["value"].as_u64() {
            Measured::Kib(kib)
        } else {
            let secs = |k: &str| Duration::from_secs_f64(value[k].as_f64().unwrap_or(f64::NAN));
            Measured::Time(Stats {
                median: secs("median"),
                min: secs("min"),
                samples: value["samples"].as_u64().unwrap_or(0) as usize,
            })
        };
        results.insert(key.clone(), measured);
    }
    Ok((results, json["checks"].clone()))
}

/// Checks that Python computed the same numbers as Rust (same workload, same answers).
fn compare_checks(checks: &Json) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(coarse) = checks["coarse"].as_array() {
        let tasks = work::coarse_input(COARSE_TASKS, SIDE_COARSE_STEPS);
        let ours: Vec<String> = work::coarse_sequential(&tasks)
            .iter()
            .map(u64::to_string)
            .collect();
        let theirs: Vec<&str> = coarse.iter().filter_map(Json::as_str).collect();
        if ours != theirs {
            notes.push("WARNING: Python's xorshift results differ from Rust's".into());
        }
    }
    if let Some(gamma) = checks["gamma"].as_array() {
        let values = work::gamma_input(340);
        let ours: Vec<String> = values
            .iter()
            .map(|&x| match q5_pool::gamma::gamma(x) {
                Ok(v) => support::python::repr_f64(v),
                Err(e) => e.to_string(),
            })
            .collect();
        let theirs: Vec<&str> = gamma.iter().filter_map(Json::as_str).collect();
        if ours != theirs {
            notes.push("WARNING: Python's math.gamma results differ from q5_pool's".into());
        } else {
            notes.push(
                "Same answers: the 24 xorshift results and 340 gamma values agree bit for bit."
                    .into(),
            );
        }
    }
    notes
}

/// A whole program: how to run each side and how to compare their outputs.
struct Program {
    name: &'static str,
    /// What is compared: the output cut into records, in a canonical form.
    records: fn(&str) -> Vec<String>,
    /// How the records were made canonical, for the note under the table.
    how: &'static str,
}

const PROGRAMS: [Program; 2] = [
    Program {
        name: "q5_pool",
        records: lines,
        how: "",
    },
    Program {
        name: "q6_four_processes",
        records: q6_records,
        how: " (pids and random numbers masked, order ignored: the children print in any order)",
    },
];

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

/// Every `Process number K … random number generated : M` in the output, as
/// `Process number K, random number generated : N`, sorted. Found in the whole text, not line
/// by line: the Python program's lines can tear (see [`torn_lines`]).
fn q6_records(text: &str) -> Vec<String> {
    let mut records: Vec<String> = text
        .split("Process number ")
        .skip(1)
        .map(|rest| {
            let k: String = rest.chars().take_while(char::is_ascii_digit).collect();
            format!("Process number {k}, random number generated : N")
        })
        .collect();
    records.sort();
    records
}

/// Lines of a q6 output that are not one whole record: Python's `print` writes the text and the
/// newline with two `write` calls, so lines from processes printing at once can interleave.
fn torn_lines(text: &str) -> usize {
    text.lines()
        .filter(|l| l.is_empty() || l.matches("Process number ").count() != 1)
        .count()
}

/// Builds the exercise binaries and times each against its Python reference.
fn programs(
    cli: &Cli,
    python: Option<&Python>,
    budget: Budget,
    rust: &mut Results,
    py: &mut Results,
    notes: &mut Vec<String>,
) {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benches/ is inside the workspace");
    for program in &PROGRAMS {
        let key = format!("program.{}", program.name);
        if !cli.only.is_empty() && !cli.only.iter().any(|o| key.contains(o.as_str())) {
            continue;
        }
        if !workspace
            .join("exercises")
            .join(program.name)
            .join("Cargo.toml")
            .exists()
        {
            notes.push(format!(
                "{}: not in this workspace yet, skipped.",
                program.name
            ));
            continue;
        }
        eprintln!("  {key} (building it first)");
        let exe = match build(workspace, program.name) {
            Ok(exe) => exe,
            Err(e) => {
                notes.push(format!(
                    "{}: could not build it ({e}), skipped.",
                    program.name
                ));
                continue;
            }
        };
        if program.name == "q5_pool" {
            match idle_worker_of(&exe) {
                Ok((vmrss, anon)) => {
                    rust.insert("rss.q5_idle_worker".into(), Measured::Kib(vmrss));
                    rust.insert("rss.q5_idle_worker.anon".into(), Measured::Kib(anon));
                }
                Err(e) => notes.push(format!("q5_pool's idle worker not measured: {e}")),
            }
        }
        let script = python_dir().join(format!("{}.py", program.name));
        let mut rust_runs = Vec::new();
        let stats = measure(budget, |n| {
            let start = Instant::now();
            for _ in 0..n {
                rust_runs.push(run_program(Command::new(&exe)));
            }
            start.elapsed()
        });
        let rust_out = rust_runs.last().cloned().unwrap_or_default();
        rust.insert(key.clone(), Measured::Time(stats));
        let Some(python) = python else {
            continue;
        };
        let mut py_runs = Vec::new();
        let stats = measure(budget, |n| {
            let start = Instant::now();
            for _ in 0..n {
                let mut command = Command::new(&python.executable);
                command.arg(&script);
                py_runs.push(run_program(command));
            }
            start.elapsed()
        });
        let py_out = py_runs.last().cloned().unwrap_or_default();
        py.insert(key, Measured::Time(stats));
        let (ours, theirs) = (
            (program.records)(&String::from_utf8_lossy(&rust_out)),
            (program.records)(&String::from_utf8_lossy(&py_out)),
        );
        let how = program.how;
        if ours == theirs {
            notes.push(format!(
                "{}: same output as the Python program{how}.",
                program.name
            ));
        } else {
            notes.push(format!(
                "{}: OUTPUT DIFFERS from the Python program{how}:\n  Rust:   {ours:?}\n  Python: {theirs:?}",
                program.name
            ));
        }
        if program.name == "q6_four_processes" {
            let torn = |runs: &[Vec<u8>]| {
                runs.iter()
                    .filter(|out| torn_lines(&String::from_utf8_lossy(out)) > 0)
                    .count()
            };
            notes.push(format!(
                "q6_four_processes: runs with torn lines: Python {} of {}, Rust {} of {} \
                 (Python's print writes text and newline separately; Rust's println! writes \
                 each line at once).",
                torn(&py_runs),
                py_runs.len(),
                torn(&rust_runs),
                rust_runs.len()
            ));
        }
    }
}

/// VmRSS and RssAnon (KiB) of an idle worker of `q5_pool`: the program runs with two workers
/// and one value that keeps one of them busy for a second, so the other has started, said
/// hello and waits for work.
fn idle_worker_of(q5_pool: &Path) -> Result<(u64, u64), String> {
    let mut program = Command::new(q5_pool)
        .args(["--workers", "2", "--work-ms", "1000", "0.5"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run it: {e}"))?;
    let pid = program.id();
    let mut idle = None;
    support::proc::eventually(Duration::from_secs(5), || {
        let workers = support::proc::children_of(pid);
        let sleeping: Vec<u32> = workers
            .iter()
            .copied()
            .filter(|&w| support::proc::state(w) == Some('S'))
            .collect();
        // Both started; one runs the busy task, the other sleeps waiting for work.
        if workers.len() == 2 && sleeping.len() == 1 {
            idle = Some(sleeping[0]);
        }
        idle.is_some()
    });
    // A moment's rest, as for the other idle workers, then /proc.
    thread::sleep(Duration::from_millis(100));
    let measured = idle
        .ok_or_else(|| "no idle worker seen".to_owned())
        .and_then(|w| {
            let kib = |field| work::status_kib(w, field).map_err(|e| e.to_string());
            Ok((kib("VmRSS")?, kib("RssAnon")?))
        });
    let _ = program.wait();
    measured
}

/// `cargo build --release -p NAME`, in this run's target directory; returns the binary's path.
fn build(workspace: &Path, name: &str) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(workspace)
        .args([
            "build",
            "--release",
            "--message-format=json-render-diagnostics",
            "-p",
            name,
        ])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo build failed ({})", out.status));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Json>(line).ok())
        .filter(|msg| msg["reason"] == "compiler-artifact" && msg["target"]["name"] == name)
        .find_map(|msg| msg["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo built no executable".to_owned())
}

/// Runs a program to the end; returns its standard output.
fn run_program(mut command: Command) -> Vec<u8> {
    match command.stdin(Stdio::null()).stderr(Stdio::null()).output() {
        Ok(out) => out.stdout,
        Err(e) => format!("cannot run: {e}").into_bytes(),
    }
}

// --- the table -------------------------------------------------------------------------------

/// How a row's values are shown.
#[derive(Debug, Clone)]
enum Kind {
    /// A time per call.
    Time,
    /// A time per round trip of this many bytes; also shown as a rate.
    Bytes(u64),
    /// Resident memory.
    Memory,
    /// Sequential time ÷ this time (`sequential`: the key of the sequential run).
    Speedup { sequential: String },
}

#[derive(Debug, Clone)]
struct Row {
    label: String,
    python: Option<String>,
    rust: Option<String>,
    kind: Kind,
}

struct Section {
    title: &'static str,
    rows: Vec<Row>,
}

fn row(label: impl Into<String>, python: Option<&str>, rust: Option<&str>) -> Row {
    Row {
        label: label.into(),
        python: python.map(str::to_owned),
        rust: rust.map(str::to_owned),
        kind: Kind::Time,
    }
}

fn both(label: impl Into<String>, key: &str) -> Row {
    row(label, Some(key), Some(key))
}

fn sections(cores: usize) -> Vec<Section> {
    let mut sections = vec![
        Section {
            title: "Starting things",
            rows: vec![
                both("thread start + join", "spawn.thread"),
                row(
                    "process start + join of a no-op (Python: fork)",
                    Some("spawn.process[fork]"),
                    Some("spawn.process"),
                ),
                row(
                    "process start + join of a no-op (Python: spawn)",
                    Some("spawn.process[spawn]"),
                    Some("spawn.process"),
                ),
                both(
                    "bare re-exec that exits at once (Python: `python3 -c pass`)",
                    "spawn.reexec",
                ),
                row(
                    "start + reap `/bin/true`: the floor for any new program",
                    None,
                    Some("spawn.true"),
                ),
                row(
                    "Pool(4) constructor returns, workers not yet up (Python, fork)",
                    Some("pool.constructor.4[fork]"),
                    None,
                ),
                row(
                    "Pool(1) ready (Python: fork)",
                    Some("pool.ready.1[fork]"),
                    Some("pool.ready.1"),
                ),
                row(
                    "Pool(2) ready (Python: fork)",
                    Some("pool.ready.2[fork]"),
                    Some("pool.ready.2"),
                ),
                row(
                    "Pool(4) ready (Python: fork)",
                    Some("pool.ready.4[fork]"),
                    Some("pool.ready.4"),
                ),
                row(
                    "Pool(4) ready (Python: spawn)",
                    Some("pool.ready.4[spawn]"),
                    Some("pool.ready.4"),
                ),
            ],
        },
        Section {
            title: "One message there and back",
            rows: vec![
                both("Pool(1).apply(square, 7), warm", "roundtrip.apply.1"),
                both("Pool(4).apply(square, 7), warm", "roundtrip.apply.4"),
                both("channel/queue between two threads", "roundtrip.channel"),
                both("8 bytes over a pipe to a child and back", "roundtrip.pipe"),
                row(
                    "8 bytes over a Unix socket to a child and back",
                    None,
                    Some("roundtrip.socket"),
                ),
            ],
        },
        Section {
            title: "map(square) over n integers",
            rows: {
                let mut rows = Vec::new();
                for n in work::MAP_SIZES {
                    rows.push(both(
                        format!("Pool(4).map, n = {n}, default chunks"),
                        &format!("map.{n}.pool"),
                    ));
                }
                rows.push(both(
                    "Pool(4).map, n = 10000, chunksize 1",
                    "map.10000.pool.chunks1",
                ));
                rows.push(row(
                    "ProcessPoolExecutor(4).map, n = 1000000, chunksize 62500 (Rust: Pool(4).map)",
                    Some("map.1000000.executor"),
                    Some("map.1000000.pool"),
                ));
                rows.push(both("sequential, n = 1000000", "map.1000000.sequential"));
                rows.push(row(
                    format!("thread::scope, {cores} threads, n = 1000000"),
                    None,
                    Some("map.1000000.threads"),
                ));
                rows.push(row(
                    format!("rayon, {cores} threads, n = 1000000"),
                    None,
                    Some("map.1000000.rayon"),
                ));
                rows.push(row(
                    "ThreadPool(4).map, n = 1000000",
                    None,
                    Some("map.1000000.thread_pool"),
                ));
                rows
            },
        },
    ];
    let mut cpu = vec![both(
        format!(
            "{COARSE_TASKS} coarse tasks (xorshift64*, {SIDE_COARSE_STEPS} steps each), sequential"
        ),
        "cpu.coarse.sequential",
    )];
    for w in 1..=cores {
        cpu.push(both(
            format!("… on a process pool of {w}"),
            &format!("cpu.coarse.pool.{w}"),
        ));
        cpu.push(both(
            format!(
                "… on {w} thread{} (Python: ThreadPoolExecutor, under the GIL)",
                if w == 1 { "" } else { "s" }
            ),
            &format!("cpu.coarse.threads.{w}"),
        ));
    }
    for (what, name) in [
        (format!("a process pool of {cores}"), "pool"),
        (format!("{cores} threads"), "threads"),
    ] {
        cpu.push(Row {
            label: format!("… speedup on {what}"),
            python: Some(format!("cpu.coarse.{name}.{cores}")),
            rust: Some(format!("cpu.coarse.{name}.{cores}")),
            kind: Kind::Speedup {
                sequential: "cpu.coarse.sequential".into(),
            },
        });
    }
    cpu.push(both(
        format!("gamma over {GAMMA_VALUES} values, sequential"),
        "cpu.gamma.sequential",
    ));
    for w in 1..=cores {
        cpu.push(both(
            format!("… on a process pool of {w}"),
            &format!("cpu.gamma.pool.{w}"),
        ));
    }
    cpu.push(row(
        format!("… on rayon, {cores} threads"),
        None,
        Some(&format!("cpu.gamma.rayon.{cores}")),
    ));
    let big = |what: &str| format!("cpu.coarse_big.{what}");
    cpu.push(row(
        format!("{COARSE_TASKS} coarse tasks ({COARSE_STEPS} steps each), sequential"),
        None,
        Some(&big("sequential")),
    ));
    for (what, name) in [
        (format!("a process pool of {cores}"), "pool"),
        (format!("rayon, {cores} threads"), "rayon"),
        (format!("thread::scope, {cores} threads"), "threads"),
    ] {
        cpu.push(row(
            format!("… on {what}"),
            None,
            Some(&big(&format!("{name}.{cores}"))),
        ));
        cpu.push(Row {
            label: format!("… speedup on {what}"),
            python: None,
            rust: Some(big(&format!("{name}.{cores}"))),
            kind: Kind::Speedup {
                sequential: big("sequential"),
            },
        });
    }
    sections.push(Section {
        title: "CPU-bound",
        rows: cpu,
    });

    let mut io = vec![both(
        "one download, 200 ms latency (slowest of 3)",
        "io.single.200ms",
    )];
    for (count, ms) in DOWNLOADS {
        for (what, name) in [
            ("sequential", "sequential"),
            ("one thread per URL", "threads"),
            ("one process per URL", "processes"),
            ("Pool(4).map, chunksize 1", "pool"),
        ] {
            io.push(both(
                format!("{count} downloads × {ms} ms, {what}"),
                &format!("io.{count}x{ms}ms.{name}"),
            ));
        }
    }
    sections.push(Section {
        title: "I/O-bound (local HTTP server)",
        rows: io,
    });

    sections.push(Section {
        title: "Bytes through Pool(1).apply (there and back)",
        rows: SIDE_PAYLOADS
            .iter()
            .map(|&size| Row {
                label: format!("echo {}", human_bytes(size as u64)),
                python: Some(format!("payload.{size}")),
                rust: Some(format!("payload.{size}")),
                kind: Kind::Bytes(size as u64),
            })
            .collect(),
    });
    sections.push(Section {
        title: "Memory",
        rows: vec![
            Row {
                label: "one idle pool worker, VmRSS (Python: fork)".into(),
                python: Some("rss.idle_worker[fork]".into()),
                rust: Some("rss.idle_worker".into()),
                kind: Kind::Memory,
            },
            Row {
                label: "one idle pool worker, VmRSS (Python: spawn)".into(),
                python: Some("rss.idle_worker[spawn]".into()),
                rust: Some("rss.idle_worker".into()),
                kind: Kind::Memory,
            },
            Row {
                label: "an idle worker of `q5_pool`, VmRSS (Rust only)".into(),
                python: None,
                rust: Some("rss.q5_idle_worker".into()),
                kind: Kind::Memory,
            },
            Row {
                label: "… of which private, RssAnon (Python: fork)".into(),
                python: Some("rss.idle_worker.anon[fork]".into()),
                rust: Some("rss.idle_worker.anon".into()),
                kind: Kind::Memory,
            },
            Row {
                label: "… of which private, RssAnon (Python: spawn)".into(),
                python: Some("rss.idle_worker.anon[spawn]".into()),
                rust: Some("rss.idle_worker.anon".into()),
                kind: Kind::Memory,
            },
            Row {
                label: "… of which private, RssAnon, `q5_pool`'s worker".into(),
                python: None,
                rust: Some("rss.q5_idle_worker.anon".into()),
                kind: Kind::Memory,
            },
        ],
    });
    sections.push(Section {
        title: "Whole programs (start to exit, output checked)",
        rows: PROGRAMS
            .iter()
            .map(|p| {
                both(
                    format!("{} against benches/python/{}.py", p.name, p.name),
                    &format!("program.{}", p.name),
                )
            })
            .collect(),
    });
    sections
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 => format!("{} KiB", n >> 10),
        n => format!("{n} B"),
    }
}

fn human_time(secs: f64) -> String {
    match secs {
        s if s >= 1.0 => format!("{s:.2} s"),
        s if s >= 1e-3 => format!("{:.2} ms", s * 1e3),
        s if s >= 1e-6 => format!("{:.1} µs", s * 1e6),
        s => format!("{:.0} ns", s * 1e9),
    }
}

fn human_rate(bytes_per_sec: f64) -> String {
    if bytes_per_sec >= 1e9 {
        format!("{:.2} GB/s", bytes_per_sec / 1e9)
    } else {
        format!("{:.0} MB/s", bytes_per_sec / 1e6)
    }
}

/// A cell's text and the number the ratio is taken on.
fn cell(results: &Results, key: Option<&str>, kind: &Kind) -> (String, Option<f64>) {
    let Some(m) = key.and_then(|k| results.get(k)) else {
        return ("—".into(), None);
    };
    match kind {
        Kind::Time => match m.seconds() {
            Some(s) => (human_time(s), Some(s)),
            None => ("?".into(), None),
        },
        Kind::Bytes(n) => match m.seconds() {
            Some(s) => (
                format!("{} ({})", human_time(s), human_rate(*n as f64 / s)),
                Some(s),
            ),
            None => ("?".into(), None),
        },
        Kind::Memory => match m.kib() {
            Some(k) => (format!("{:.1} MiB", k as f64 / 1024.0), Some(k as f64)),
            None => ("?".into(), None),
        },
        Kind::Speedup { sequential } => {
            match (
                results.get(sequential).and_then(Measured::seconds),
                m.seconds(),
            ) {
                (Some(seq), Some(par)) => (format!("{:.2}×", seq / par), None),
                _ => ("—".into(), None),
            }
        }
    }
}

/// Everything one run found, and how to print it.
struct Report {
    machine: Machine,
    python: Result<Python, String>,
    end_load: String,
    budget: Budget,
    rust: Results,
    py: Results,
    notes: Vec<String>,
    cores: usize,
    /// Whether `--only` left workloads out.
    filtered: bool,
}

impl Report {
    fn render(&self) -> String {
        let Report {
            machine,
            python,
            end_load,
            budget,
            rust,
            py,
            notes,
            cores,
            filtered,
        } = self;
        let (budget, cores) = (*budget, *cores);
        let mut out = String::new();
        let python_text = match python {
            Ok(p) => format!(
                "Python {} ({}; `multiprocessing`'s default start method on Linux: fork)",
                p.version,
                p.executable.display()
            ),
            Err(why) => format!("Python: none — {why}"),
        };
        let mode = match budget.max_samples {
            1 => "smoke test (one sample each: not a measurement)",
            _ if budget.time < Duration::from_secs(1) => "--quick (0.2 s per workload)",
            _ => "full (1 s per workload, median of ≥ 7 samples)",
        };
        let _ = writeln!(
            out,
            "# Rust vs Python: processes and threads, side by side\n"
        );
        let _ = writeln!(out, "- date: {}", machine.date);
        let _ = writeln!(
            out,
            "- machine: {} × {} (cores this process may use: {})",
            cpu_count(),
            machine.cpu,
            machine.cores
        );
        let _ = writeln!(out, "- kernel: Linux {}", machine.kernel);
        let _ = writeln!(
            out,
            "- {}{}",
            machine.rustc,
            if machine.optimized {
                ", release build"
            } else {
                ", DEBUG build: Rust numbers are meaningless"
            }
        );
        let _ = writeln!(out, "- {python_text}");
        let _ = writeln!(out, "- mode: {mode}");
        let _ = writeln!(
            out,
            "- load average (1, 5, 15 min): {} at start, {end_load} at end{}",
            machine.load,
            if machine.load_1min() > 0.5 {
                " — a BUSY machine: other programs were running, numbers are noisy"
            } else {
                ""
            }
        );
        let _ = writeln!(
            out,
            "\nTimes are medians per call. Ratio = Rust ÷ Python: below 1, Rust is faster (or smaller).\n"
        );
        let _ = writeln!(out, "| workload | Python | Rust | ratio |");
        let _ = writeln!(out, "|---|---:|---:|---:|");
        for section in sections(cores) {
            let mut title = Some(section.title);
            for row in section.rows {
                let (p, pv) = cell(py, row.python.as_deref(), &row.kind);
                let (r, rv) = cell(rust, row.rust.as_deref(), &row.kind);
                let ratio = match (pv, rv) {
                    (Some(p), Some(r)) if p > 0.0 => format!("{:.2}", r / p),
                    _ => String::new(),
                };
                if p == "—" && r == "—" {
                    continue; // not measured in this run (--only)
                }
                if let Some(title) = title.take() {
                    let _ = writeln!(out, "| **{title}** | | | |");
                }
                let _ = writeln!(out, "| {} | {p} | {r} | {ratio} |", row.label);
            }
        }
        let _ = writeln!(out, "\n## Targets\n");
        let _ = writeln!(
            out,
            "| target | measured | goal | | evidence from this run |"
        );
        let _ = writeln!(out, "|---|---:|---:|---|---|");
        for t in targets(rust, py, cores) {
            if *filtered && t.verdict == "not measured" {
                continue; // left out with --only
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                t.what, t.measured, t.goal, t.verdict, t.evidence
            );
        }
        if !notes.is_empty() {
            let _ = writeln!(out, "\n## Notes\n");
            for note in notes {
                let _ = writeln!(out, "- {note}");
            }
        }
        out
    }
}

/// Logical CPUs on the machine (the affinity mask may allow fewer).
fn cpu_count() -> usize {
    std::fs::read_to_string("/proc/cpuinfo")
        .map(|s| s.lines().filter(|l| l.starts_with("processor")).count())
        .unwrap_or(0)
        .max(1)
}

/// One target of the issue, as measured in this run.
struct Target {
    what: String,
    measured: String,
    goal: String,
    verdict: &'static str,
    /// What else this run measured that explains the number (a floor, a comparison).
    evidence: String,
}

/// Each target of the issue, with what this run measured.
fn targets(rust: &Results, py: &Results, cores: usize) -> Vec<Target> {
    let secs = |r: &Results, k: &str| r.get(k).and_then(Measured::seconds);
    let ratio = |n: Option<f64>, d: Option<f64>| match (n, d) {
        (Some(n), Some(d)) if d > 0.0 => Some(n / d),
        _ => None,
    };
    let times = |x: Option<f64>| x.map_or("—".to_owned(), |r| format!("{r:.2}×"));
    let ratio_target = |what: &str, value: Option<f64>, goal: f64, le: bool, evidence: String| {
        let verdict = match value {
            Some(r) if (le && r <= goal) || (!le && r >= goal) => "met",
            Some(_) => "MISSED",
            None => "not measured",
        };
        Target {
            what: what.to_owned(),
            measured: times(value),
            goal: format!("{} {goal:.2}×", if le { "≤" } else { "≥" }),
            verdict,
            evidence,
        }
    };
    let mut rows = Vec::new();
    let process = secs(rust, "spawn.process");
    let reexec = secs(rust, "spawn.reexec");
    let fork = secs(py, "spawn.process[fork]");
    rows.push(ratio_target(
        "Process start+join ÷ bare re-exec",
        ratio(process, reexec),
        1.3,
        true,
        format!(
            "start + reap of `/bin/true` = {} the bare re-exec",
            times(ratio(secs(rust, "spawn.true"), reexec))
        ),
    ));
    rows.push(ratio_target(
        "Process start+join ÷ Python fork",
        ratio(process, fork),
        0.4,
        true,
        format!(
            "floors, as a fraction of Python fork: bare re-exec {}, `/bin/true` {}",
            times(ratio(reexec, fork)),
            times(ratio(secs(rust, "spawn.true"), fork))
        ),
    ));
    rows.push(ratio_target(
        "Pool(4) ready ÷ Python Pool(4) (fork)",
        ratio(secs(rust, "pool.ready.4"), secs(py, "pool.ready.4[fork]")),
        0.3,
        true,
        format!(
            "4 bare re-execs shared by {cores} cores would take {}; Pool(1) ready ÷ Python's: {}",
            times(ratio(
                reexec.map(|r| r * 4.0 / cores as f64),
                secs(py, "pool.ready.4[fork]")
            )),
            times(ratio(
                secs(rust, "pool.ready.1"),
                secs(py, "pool.ready.1[fork]")
            ))
        ),
    ));
    rows.push(ratio_target(
        "map square 10⁶, default chunks ÷ Python Pool(4).map",
        ratio(secs(rust, "map.1000000.pool"), secs(py, "map.1000000.pool")),
        0.1,
        true,
        {
            let per_item =
                |k: &str| secs(rust, k).map_or("—".into(), |s| format!("{:.1}", s * 1e3));
            format!(
                "Rust pool: {} ns per item; sequential Rust: {} ns per item",
                per_item("map.1000000.pool"),
                per_item("map.1000000.sequential")
            )
        },
    ));
    let big = |k: &str| secs(rust, &format!("cpu.coarse_big.{k}"));
    let seq = big("sequential");
    let pool = big(&format!("pool.{cores}"));
    let speedup = |k: &str| ratio(seq, big(&format!("{k}.{cores}")));
    rows.push(ratio_target(
        &format!("CPU-bound coarse, {cores} workers: speedup ÷ cores"),
        speedup("pool").map(|s| s / cores as f64),
        0.95,
        false,
        format!(
            "speedups in the same run: Pool {}, rayon {}, thread::scope {}",
            times(speedup("pool")),
            times(speedup("rayon")),
            times(speedup("threads"))
        ),
    ));
    rows.push(ratio_target(
        &format!("CPU-bound coarse, {cores} workers: Pool ÷ rayon time"),
        ratio(pool, big(&format!("rayon.{cores}"))),
        1.05,
        true,
        String::new(),
    ));
    rows.push(ratio_target(
        "whole q5_pool run ÷ the Python program",
        ratio(secs(rust, "program.q5_pool"), secs(py, "program.q5_pool")),
        0.2,
        true,
        String::new(),
    ));
    rows.push(ratio_target(
        "3 downloads × 200 ms, one process each ÷ slowest single download",
        ratio(
            secs(rust, "io.3x200ms.processes"),
            secs(rust, "io.single.200ms"),
        ),
        1.15,
        true,
        format!(
            "one thread each: {}",
            times(ratio(
                secs(rust, "io.3x200ms.threads"),
                secs(rust, "io.single.200ms")
            ))
        ),
    ));
    for workers in [1, POOL_WORKERS] {
        let apply = secs(rust, &format!("roundtrip.apply.{workers}"));
        rows.push(Target {
            what: format!("warm apply round trip, Pool({workers})"),
            measured: apply.map_or("—".into(), human_time),
            goal: "≤ 10 µs".into(),
            verdict: match apply {
                Some(s) if s <= 10e-6 => "met",
                Some(_) => "MISSED",
                None => "not measured",
            },
            evidence: format!(
                "fastest sample {}; 8 bytes to a child and back: pipe {}, Unix socket {}",
                rust.get(&format!("roundtrip.apply.{workers}"))
                    .and_then(|m| match m {
                        Measured::Time(s) => Some(human_time(s.min.as_secs_f64())),
                        Measured::Kib(_) => None,
                    })
                    .unwrap_or_else(|| "—".into()),
                secs(rust, "roundtrip.pipe").map_or("—".into(), human_time),
                secs(rust, "roundtrip.socket").map_or("—".into(), human_time)
            ),
        });
    }
    let kib = |k: &str| rust.get(k).and_then(Measured::kib);
    // The exercise's own worker when it was measured (the runner's binary is larger).
    let (whose, prefix) = if kib("rss.q5_idle_worker").is_some() {
        ("`q5_pool`'s", "rss.q5_idle_worker")
    } else {
        ("this runner's", "rss.idle_worker")
    };
    let rss = kib(prefix);
    let mb = |k: u64| format!("{:.2} MB", k as f64 * 1024.0 / 1e6);
    rows.push(Target {
        what: format!("idle worker resident memory (VmRSS), {whose} worker"),
        measured: rss.map_or("—".into(), |k| format!("{k} kB = {}", mb(k))),
        goal: "≤ 3 MB".into(),
        verdict: match rss {
            Some(k) if k as f64 * 1024.0 <= 3e6 => "met",
            Some(_) => "MISSED",
            None => "not measured",
        },
        evidence: format!(
            "private to it (RssAnon): {} kB, the rest is file pages shared with every process \
             (libc, the binary's code); this runner's worker: {}; an idle `/bin/sleep`: {}",
            kib(&format!("{prefix}.anon")).map_or("—".into(), |k| k.to_string()),
            kib("rss.idle_worker").map_or("—".into(), mb),
            kib("rss.sleep").map_or("—".into(), mb)
        ),
    });
    rows
}
