//! The closing section: every row of this run where Rust was slower than Python, or threads
//! slower than processes, beyond the noise of both, with its measured cause.
//!
//! The rows are found from the numbers, not listed by hand, so a run that turns up a new one
//! shows it. Each cause is a sentence filled in with other measurements of the same run (the
//! floors and pinned rows of the table), so the explanation is evidence, not an excuse. A row
//! with no known cause says so: that is a finding to investigate, not a line to hide.

use std::fmt::Write as _;

use super::results::{Measured, Results};
use super::rows::{Kind, Row, sections};
use super::units::human_time;
use crate::measure::Stats;

/// Appends the section to `out`.
pub(super) fn render(out: &mut String, rust: &Results, py: &Results, cores: usize) {
    let found = anomalies(rust, py, cores);
    let _ = writeln!(
        out,
        "\n## Where Rust is slower, or threads slower than processes\n"
    );
    if found.is_empty() {
        let _ = writeln!(
            out,
            "None in this run: every such difference was within the noise."
        );
        return;
    }
    for a in found {
        let _ = writeln!(out, "- **{}**: {}. {}", a.what, a.numbers, a.cause);
    }
}

/// One row that goes against the lesson, and why.
#[derive(Debug, PartialEq)]
struct Anomaly {
    what: String,
    numbers: String,
    cause: String,
}

fn stats(results: &Results, key: Option<&str>) -> Option<Stats> {
    results.get(key?).and_then(Measured::stats)
}

/// Every anomaly of this run: Rust rows clearly slower than their Python row, then Rust's
/// threads clearly slower than its processes on the same work.
fn anomalies(rust: &Results, py: &Results, cores: usize) -> Vec<Anomaly> {
    let t = |r: &Results, k: &str| time_of(r, k);
    let mut found = Vec::new();
    for row in sections(cores).into_iter().flat_map(|s| s.rows) {
        let Row {
            label,
            python,
            rust: rust_key,
            kind,
        } = &row;
        if !matches!(kind, Kind::Time | Kind::Bytes(_)) {
            continue;
        }
        let (Some(r), Some(p)) = (
            stats(rust, rust_key.as_deref()),
            stats(py, python.as_deref()),
        ) else {
            continue;
        };
        if r.clearly_slower_than(&p) {
            let key = rust_key.as_deref().unwrap_or_default();
            found.push(Anomaly {
                what: format!("{label}: Rust slower"),
                numbers: format!(
                    "Rust {} against Python {}",
                    human_time(r.median.as_secs_f64()),
                    human_time(p.median.as_secs_f64())
                ),
                cause: cause(key, rust, py),
            });
        }
    }
    for (threads, processes, what) in thread_process_pairs(cores) {
        let (Some(th), Some(pr)) = (stats(rust, Some(&threads)), stats(rust, Some(&processes)))
        else {
            continue;
        };
        if th.clearly_slower_than(&pr) {
            found.push(Anomaly {
                what: format!("{what}: Rust's threads slower than its processes"),
                numbers: format!(
                    "threads {} against processes {}",
                    t(rust, &threads),
                    t(rust, &processes)
                ),
                cause: cause(&threads, rust, py),
            });
        }
    }
    found
}

/// The same work on Rust threads and Rust processes: (threads' key, processes' key, label).
fn thread_process_pairs(cores: usize) -> Vec<(String, String, String)> {
    let mut pairs = vec![(
        format!("map.1000000.thread_pool.{}", crate::work::POOL_WORKERS),
        "map.1000000.pool".to_owned(),
        "map(square), n = 1000000, ThreadPool(4) and Pool(4)".to_owned(),
    )];
    for w in 1..=cores {
        pairs.push((
            format!("cpu.coarse.threads.{w}"),
            format!("cpu.coarse.pool.{w}"),
            format!("coarse tasks on {w} worker(s)"),
        ));
    }
    for name in ["threads", "rayon"] {
        pairs.push((
            format!("cpu.coarse_big.{name}.{cores}"),
            format!("cpu.coarse_big.pool.{cores}"),
            format!("big coarse tasks, {name} against a process pool of {cores}"),
        ));
    }
    for (count, ms) in super::DOWNLOADS {
        pairs.push((
            format!("io.{count}x{ms}ms.threads"),
            format!("io.{count}x{ms}ms.processes"),
            format!("{count} downloads × {ms} ms, one thread or one process per URL"),
        ));
    }
    pairs
}

/// The least time a download row `io.{count}x{ms}ms.{how}` can take, in seconds: the latency
/// of each download that must wait for another (sequential: all; a pool of 4: one in four).
fn download_floor(key: &str) -> Option<f64> {
    let rest = key.strip_prefix("io.")?;
    let (shape, how) = rest.split_once("ms.")?;
    let (count, ms) = shape.split_once('x')?;
    let (count, ms): (u64, u64) = (count.parse().ok()?, ms.parse().ok()?);
    let waits = match how {
        "sequential" => count,
        "pool" => count.div_ceil(crate::work::POOL_WORKERS as u64),
        _ => 1,
    };
    Some((waits * ms) as f64 / 1e3)
}

fn time_of(results: &Results, key: &str) -> String {
    results
        .get(key)
        .and_then(Measured::seconds)
        .map_or("—".into(), human_time)
}

/// The measured cause of an anomaly on the row of Rust key `key`, from this run's numbers.
fn cause(key: &str, rust: &Results, py: &Results) -> String {
    let r = |k: &str| time_of(rust, k);
    let p = |k: &str| time_of(py, k);
    if key.starts_with("roundtrip.channel") || key.starts_with("roundtrip.pipe") {
        let kind = if key.starts_with("roundtrip.channel") {
            "roundtrip.channel"
        } else {
            "roundtrip.pipe"
        };
        return format!(
            "A blocking round trip is two wake-ups, and their cost depends on where the \
             scheduler puts the two sides, not on the language. Both sides pinned to one core: \
             Rust {}, Python {}; pinned to two cores: Rust {}, Python {}. The floor, a bare \
             futex wake-up there and back: {} on one core, {} across two (an idle core of this \
             virtual machine must be interrupted awake); two threads spinning instead of \
             sleeping: {}",
            r(&format!("{kind}.one_core")),
            p(&format!("{kind}.one_core")),
            r(&format!("{kind}.two_cores")),
            p(&format!("{kind}.two_cores")),
            r("wake.futex.one_core"),
            r("wake.futex.two_cores"),
            r("wake.spin.two_cores"),
        );
    }
    if let Some(rest) = key
        .strip_prefix("cpu.coarse.threads.")
        .or_else(|| key.strip_prefix("cpu.coarse_big.threads."))
    {
        let big = if key.contains("coarse_big") {
            "coarse_big"
        } else {
            "coarse"
        };
        return format!(
            "`thread::scope` cuts the tasks into one fixed share per thread before it starts; \
             when another program takes a core for a while, the thread on it finishes late and \
             the other waits. The pool and rayon hand out work as workers free up: rayon on \
             the same threads took {} in this run",
            r(&format!("cpu.{big}.rayon.{rest}")),
        );
    }
    if key.starts_with("pool.ready") && key.ends_with("[spawn]") {
        return format!(
            "By \"spawn\", each worker is this binary started again, and the pool is ready once \
             every worker has said hello: at least one bare re-exec ({} in this run) per \
             worker, shared among the cores",
            r("spawn.reexec"),
        );
    }
    if key.starts_with("pool.ready") {
        return format!(
            "Each worker is forked from the fork server and the pool is ready once every \
             worker has said hello: a fork (a bare fork of this runner, larger than the \
             server: {}), the worker's setup, and a wake-up of the server and of the worker \
             each, on a machine where a wake-up across cores takes tens to hundreds of \
             microseconds",
            r("spawn.fork"),
        );
    }
    if key.starts_with("spawn.process") && key.ends_with("[spawn]") {
        return format!(
            "By \"spawn\", a `common::Process` is this binary started again (exec): the new \
             program is loaded and linked before `main`. Floors in this run: a bare re-exec \
             of the same binary {}, starting `/bin/true` {}, against Python's spawn {}",
            r("spawn.reexec"),
            r("spawn.true"),
            p("spawn.process[spawn]"),
        );
    }
    if key.starts_with("spawn.process") {
        return format!(
            "A `common::Process` is forked from the fork server: a fork (a bare fork of this \
             runner: {}), the setup, a hello and the task's answer, each a wake-up across \
             processes, against Python's fork {}",
            r("spawn.fork"),
            p("spawn.process[fork]"),
        );
    }
    if key.starts_with("cpu.gamma") {
        return format!(
            "Both sides run the same Lanczos algorithm in compiled code: CPython's `math.gamma` \
             is C. The bare function: Rust {}, Python's `map(math.gamma, …)` {}, of which \
             Python's loop alone (`map(math.fabs, …)`, a C function that does almost nothing) \
             takes {}",
            r("cpu.gamma.bare"),
            p("cpu.gamma.bare"),
            p("cpu.gamma.loop"),
        );
    }
    if let Some(floor) = download_floor(key) {
        let over = |results: &Results| {
            results
                .get(key)
                .and_then(Measured::seconds)
                .map_or("—".into(), |s| human_time(s - floor))
        };
        return format!(
            "Every download waits for the server's latency: no way of running them can finish \
             this row in less than {}. Above that, Rust spent {} and Python {}: connecting, \
             writing and syncing each file to disk (both sides sync, and a sync's time moves \
             with the machine's load), and starting what runs the downloads. Each Rust process \
             builds its HTTP client once ({} in this run: reqwest reads the system's CA \
             certificates), so one process per URL builds one per URL, where Python's urllib \
             sets up no TLS for an http:// URL; a process start: Rust {}, Python's fork {}",
            human_time(floor),
            over(rust),
            over(py),
            r("io.client"),
            r("spawn.process[forkserver]"),
            p("spawn.process[fork]"),
        );
    }
    "No cause is recorded for this row: a finding to investigate (profile it, and add what \
     explains it to benches/src/runner/explain.rs)"
        .to_owned()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn around(us: u64) -> Measured {
        let d = Duration::from_micros(us);
        Measured::Time(Stats {
            median: d,
            min: d * 9 / 10,
            q1: d * 95 / 100,
            q3: d * 105 / 100,
            samples: 9,
        })
    }

    #[test]
    fn a_download_row_is_measured_against_its_floor() {
        assert_eq!(download_floor("io.12x50ms.sequential"), Some(0.6));
        assert_eq!(download_floor("io.12x50ms.pool"), Some(0.15));
        assert_eq!(download_floor("io.3x200ms.threads"), Some(0.2));
        assert_eq!(download_floor("io.single.200ms"), None);
        let rust = Results::from([("io.12x50ms.threads".to_owned(), around(80_000))]);
        let cause = cause("io.12x50ms.threads", &rust, &Results::new());
        assert!(
            cause.contains("less than 50.00 ms. Above that, Rust spent 30.00 ms"),
            "{cause}"
        );
    }

    #[test]
    fn finds_slower_rust_rows_and_slower_threads_and_explains_them() {
        let rust = Results::from([
            ("roundtrip.pipe".to_owned(), around(300)),
            ("roundtrip.pipe.one_core".to_owned(), around(4)),
            ("wake.futex.two_cores".to_owned(), around(90)),
            ("spawn.thread".to_owned(), around(20)),
            ("cpu.coarse.threads.2".to_owned(), around(900)),
            ("cpu.coarse.pool.2".to_owned(), around(500)),
            ("cpu.coarse.rayon.2".to_owned(), around(450)),
            ("payload.1024".to_owned(), around(30)),
        ]);
        let py = Results::from([
            ("roundtrip.pipe".to_owned(), around(80)),
            ("spawn.thread".to_owned(), around(100)),
            ("payload.1024".to_owned(), around(10)),
        ]);
        let found = anomalies(&rust, &py, 2);
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(
            found[0].what,
            "8 bytes over a pipe to a child and back: Rust slower"
        );
        assert_eq!(found[0].numbers, "Rust 300.0 µs against Python 80.0 µs");
        assert!(
            found[0].cause.contains("one core: Rust 4.0 µs"),
            "{found:?}"
        );
        assert!(found[0].cause.contains("90.0 µs across two"), "{found:?}");
        assert_eq!(found[1].what, "echo 1 KiB: Rust slower");
        assert!(found[1].cause.starts_with("No cause is recorded"));
        assert!(found[2].what.starts_with("coarse tasks on 2 worker(s)"));
        assert!(
            found[2].cause.ends_with("took 450.0 µs in this run"),
            "{found:?}"
        );

        let mut out = String::new();
        render(&mut out, &Results::new(), &Results::new(), 2);
        assert!(out.contains("None in this run"), "{out}");
    }
}
