//! Which rows the table has, section by section: each row's label, the workload key on each
//! side, and how its values are shown. `--list` prints the keys from here too.

use std::fmt::Write as _;

use super::programs::PROGRAMS;
use super::units::human_bytes;
use super::{DOWNLOADS, SIDE_COARSE_STEPS, SIDE_PAYLOADS};
use crate::work::{self, COARSE_STEPS, COARSE_TASKS, GAMMA_VALUES, POOL_WORKERS};

/// How a row's values are shown.
#[derive(Debug, Clone)]
pub(super) enum Kind {
    /// A time per call.
    Time,
    /// A time per round trip of this many bytes; also shown as a rate.
    Bytes(u64),
    /// Resident memory.
    Memory,
    /// Sequential time ÷ this time (`sequential`: the key of the sequential run).
    Speedup { sequential: String },
}

/// One row: its label, the key of its workload on each side (`None`: that side has none).
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub(super) label: String,
    pub(super) python: Option<String>,
    pub(super) rust: Option<String>,
    pub(super) kind: Kind,
}

/// Rows under a title.
#[derive(Debug)]
pub(super) struct Section {
    pub(super) title: &'static str,
    pub(super) rows: Vec<Row>,
}

/// A row of times.
fn row(label: impl Into<String>, python: Option<&str>, rust: Option<&str>) -> Row {
    Row {
        label: label.into(),
        python: python.map(str::to_owned),
        rust: rust.map(str::to_owned),
        kind: Kind::Time,
    }
}

/// A row of times, the same key on both sides.
fn both(label: impl Into<String>, key: &str) -> Row {
    row(label, Some(key), Some(key))
}

/// Every row, in order, for a machine with `cores` cores.
pub(super) fn sections(cores: usize) -> Vec<Section> {
    let mut sections = vec![
        Section {
            title: "Starting things",
            rows: vec![
                both("thread start + join", "spawn.thread"),
                row(
                    "process start + join of a no-op (Rust: forkserver, the default; Python: fork)",
                    Some("spawn.process[fork]"),
                    Some("spawn.process[forkserver]"),
                ),
                both("… forkserver on both sides", "spawn.process[forkserver]"),
                both("… spawn on both sides", "spawn.process[spawn]"),
                row(
                    "bare fork of this process + waitpid: the floor under a forked worker",
                    None,
                    Some("spawn.fork"),
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
                    "Pool(1) ready (Rust: forkserver; Python: fork)",
                    Some("pool.ready.1[fork]"),
                    Some("pool.ready.1[forkserver]"),
                ),
                row(
                    "Pool(2) ready (Rust: forkserver; Python: fork)",
                    Some("pool.ready.2[fork]"),
                    Some("pool.ready.2[forkserver]"),
                ),
                row(
                    "Pool(4) ready (Rust: forkserver; Python: fork)",
                    Some("pool.ready.4[fork]"),
                    Some("pool.ready.4[forkserver]"),
                ),
                both("… forkserver on both sides", "pool.ready.4[forkserver]"),
                both("… spawn on both sides", "pool.ready.4[spawn]"),
            ],
        },
        Section {
            title: "One message there and back",
            rows: vec![
                both("Pool(1).apply(square, 7), warm", "roundtrip.apply.1"),
                both("Pool(4).apply(square, 7), warm", "roundtrip.apply.4"),
                both("channel/queue between two threads", "roundtrip.channel"),
                both(
                    "… both threads pinned to one core",
                    "roundtrip.channel.one_core",
                ),
                both(
                    "… pinned to two different cores",
                    "roundtrip.channel.two_cores",
                ),
                both("8 bytes over a pipe to a child and back", "roundtrip.pipe"),
                both(
                    "… both processes pinned to one core",
                    "roundtrip.pipe.one_core",
                ),
                both(
                    "… pinned to two different cores",
                    "roundtrip.pipe.two_cores",
                ),
                row(
                    "8 bytes over a Unix socket to a child and back",
                    None,
                    Some("roundtrip.socket"),
                ),
                row(
                    "floor: one thread wakes another (futex) and is woken back, one core",
                    None,
                    Some("wake.futex.one_core"),
                ),
                row(
                    "floor: the same wake-ups across two cores",
                    None,
                    Some("wake.futex.two_cores"),
                ),
                row(
                    "floor: two threads spinning on one shared word, two cores (no sleep)",
                    None,
                    Some("wake.spin.two_cores"),
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
                    format!("rayon, {cores} threads, n = 1000000: `par_iter` of a borrowed slice"),
                    None,
                    Some("map.1000000.rayon"),
                ));
                rows.push(row(
                    format!("rayon, {cores} threads, n = 1000000: `into_par_iter` of an owned Vec"),
                    None,
                    Some("map.1000000.rayon_owned"),
                ));
                let mut counts = vec![cores, POOL_WORKERS];
                counts.dedup();
                for n in counts {
                    rows.push(row(
                        format!("ThreadPool({n}).map, n = 1000000, an owned Vec"),
                        None,
                        Some(&format!("map.1000000.thread_pool.{n}")),
                    ));
                }
                rows.push(row(
                    format!(
                        "ThreadPool({cores}).map, n = 1000000, `slice.iter().copied()`: copies the input first"
                    ),
                    None,
                    Some(&format!("map.1000000.thread_pool_copied.{cores}")),
                ));
                rows.push(row(
                    format!("ThreadPool({cores}).imap, n = 1000000, every result in order"),
                    None,
                    Some(&format!("map.1000000.thread_pool_imap.{cores}")),
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
    cpu.push(both(
        "… the bare function, no task around it (Python: `map(math.gamma, …)`)",
        "cpu.gamma.bare",
    ));
    cpu.push(row(
        "… Python's loop alone: `map(math.fabs, …)`, a C function that does almost nothing",
        Some("cpu.gamma.loop"),
        None,
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

    let mut io = vec![
        both(
            "one download, 200 ms latency (slowest of 3)",
            "io.single.200ms",
        ),
        row(
            "build an HTTP client (reqwest: reads the system's CA certificates), once per process",
            None,
            Some("io.client"),
        ),
    ];
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
            .flat_map(|&size| {
                [
                    Row {
                        label: format!("echo {}", human_bytes(size as u64)),
                        python: Some(format!("payload.{size}")),
                        rust: Some(format!("payload.{size}")),
                        kind: Kind::Bytes(size as u64),
                    },
                    Row {
                        label: "… floor: two copies of it into fresh memory".into(),
                        python: None,
                        rust: Some(format!("payload.{size}.fresh_copies")),
                        kind: Kind::Bytes(size as u64),
                    },
                ]
            })
            .collect(),
    });
    sections.push(Section {
        title: "Memory",
        rows: vec![
            Row {
                label: "one idle pool worker, VmRSS (Rust: forkserver; Python: fork)".into(),
                python: Some("rss.idle_worker[fork]".into()),
                rust: Some("rss.idle_worker[forkserver]".into()),
                kind: Kind::Memory,
            },
            Row {
                label: "… forkserver on both sides".into(),
                python: Some("rss.idle_worker[forkserver]".into()),
                rust: Some("rss.idle_worker[forkserver]".into()),
                kind: Kind::Memory,
            },
            Row {
                label: "… spawn on both sides".into(),
                python: Some("rss.idle_worker[spawn]".into()),
                rust: Some("rss.idle_worker[spawn]".into()),
                kind: Kind::Memory,
            },
            Row {
                label: "an idle worker of `q5_pool`, VmRSS (Rust only)".into(),
                python: None,
                rust: Some("rss.q5_idle_worker".into()),
                kind: Kind::Memory,
            },
            Row {
                label: "… of which private, RssAnon (Rust: forkserver; Python: fork)".into(),
                python: Some("rss.idle_worker.anon[fork]".into()),
                rust: Some("rss.idle_worker.anon[forkserver]".into()),
                kind: Kind::Memory,
            },
            Row {
                label: "… of which private, RssAnon, forkserver on both sides".into(),
                python: Some("rss.idle_worker.anon[forkserver]".into()),
                rust: Some("rss.idle_worker.anon[forkserver]".into()),
                kind: Kind::Memory,
            },
            Row {
                label: "… of which private, RssAnon, spawn on both sides".into(),
                python: Some("rss.idle_worker.anon[spawn]".into()),
                rust: Some("rss.idle_worker.anon[spawn]".into()),
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

/// `--list`: each row's key (Rust's, else Python's) and label, one a line.
pub(super) fn listing(cores: usize) -> String {
    let mut out = String::new();
    for section in sections(cores) {
        for row in section.rows {
            let keys = [row.rust.as_deref(), row.python.as_deref()];
            let _ = writeln!(
                out,
                "{:<40} {}",
                keys.iter().flatten().next().unwrap_or(&""),
                row.label
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_a_key_and_list_shows_one() {
        let rows: Vec<Row> = sections(2).into_iter().flat_map(|s| s.rows).collect();
        assert!(rows.iter().all(|r| r.rust.is_some() || r.python.is_some()));
        let listing = listing(2);
        assert_eq!(listing.lines().count(), rows.len());
        assert!(listing.starts_with(&format!("{:<40} thread start + join\n", "spawn.thread")));
        // A Python-only row is listed by its Python key.
        assert!(listing.contains(&format!(
            "{:<40} Pool(4) constructor",
            "pool.constructor.4[fork]"
        )));
    }
}
