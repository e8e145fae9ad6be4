//! The targets section: each goal the pool was built to meet, what this run measured against
//! it, met or missed, and the other numbers of the run that explain it (floors, comparisons).

use std::fmt::Write as _;

use super::results::{Measured, Results, ratio};
use super::units::human_time;
use crate::work::POOL_WORKERS;

/// Appends the targets section to `out`. With `filtered` (`--only`), targets this run did not
/// measure are left out instead of listed as "not measured".
pub(super) fn render(out: &mut String, rust: &Results, py: &Results, cores: usize, filtered: bool) {
    let _ = writeln!(out, "\n## Targets\n");
    let _ = writeln!(
        out,
        "| target | measured | goal | | evidence from this run |"
    );
    let _ = writeln!(out, "|---|---:|---:|---|---|");
    for t in targets(rust, py, cores) {
        if filtered && t.verdict == "not measured" {
            continue; // left out with --only
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            t.what, t.measured, t.goal, t.verdict, t.evidence
        );
    }
}

/// One target of the issue, as measured in this run.
#[derive(Debug)]
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
    let forked = secs(rust, "spawn.process[forkserver]");
    let spawned = secs(rust, "spawn.process[spawn]");
    let reexec = secs(rust, "spawn.reexec");
    let fork = secs(py, "spawn.process[fork]");
    rows.push(ratio_target(
        "Process start+join ÷ Python fork (Rust: forkserver, the default)",
        ratio(forked, fork),
        0.4,
        true,
        format!(
            "floor: a bare fork of this runner {} of Python's fork; by spawn instead: {}, of \
             which the bare re-exec is {}",
            times(ratio(secs(rust, "spawn.fork"), fork)),
            times(ratio(spawned, fork)),
            times(ratio(reexec, fork))
        ),
    ));
    rows.push(ratio_target(
        "Process start+join by spawn ÷ bare re-exec",
        ratio(spawned, reexec),
        1.3,
        true,
        format!(
            "start + reap of `/bin/true` = {} the bare re-exec",
            times(ratio(secs(rust, "spawn.true"), reexec))
        ),
    ));
    let ready = |k: &str| secs(rust, &format!("pool.ready.4[{k}]"));
    rows.push(ratio_target(
        "Pool(4) ready ÷ Python Pool(4), fork (Rust: forkserver)",
        ratio(ready("forkserver"), secs(py, "pool.ready.4[fork]")),
        0.3,
        true,
        format!(
            "by spawn instead: {} (4 bare re-execs shared by {cores} cores would take {}); \
             Pool(1) ready ÷ Python's: {}",
            times(ratio(ready("spawn"), secs(py, "pool.ready.4[fork]"))),
            times(ratio(
                reexec.map(|r| r * 4.0 / cores as f64),
                secs(py, "pool.ready.4[fork]")
            )),
            times(ratio(
                secs(rust, "pool.ready.1[forkserver]"),
                secs(py, "pool.ready.1[fork]")
            ))
        ),
    ));
    rows.push(ratio_target(
        "the default start method: forkserver ÷ spawn, Process start+join",
        ratio(forked, spawned),
        1.0,
        true,
        format!(
            "Pool(4) ready: {}; an idle worker's VmRSS: {}",
            times(ratio(ready("forkserver"), ready("spawn"))),
            times(
                kib_of(rust, "rss.idle_worker[forkserver]")
                    .zip(kib_of(rust, "rss.idle_worker[spawn]"))
                    .map(|(f, s)| f as f64 / s as f64)
            )
        ),
    ));
    let map = |k: &str| secs(rust, &format!("map.1000000.{k}"));
    rows.push(ratio_target(
        "map square 10⁶, default chunks ÷ Python Pool(4).map",
        ratio(map("pool"), secs(py, "map.1000000.pool")),
        0.05,
        true,
        {
            let per_item = |k: &str| map(k).map_or("—".into(), |s| format!("{:.1}", s * 1e3));
            format!(
                "Rust pool: {} ns per item; sequential Rust: {} ns per item",
                per_item("pool"),
                per_item("sequential")
            )
        },
    ));
    rows.push(ratio_target(
        &format!("map square 10⁶, Pool(4) ÷ rayon `par_iter`, {cores} threads"),
        ratio(map("pool"), map("rayon")),
        10.0,
        true,
        format!(
            "÷ rayon on an owned Vec: {}; ÷ sequential Rust: {}",
            times(ratio(map("pool"), map("rayon_owned"))),
            times(ratio(map("pool"), map("sequential")))
        ),
    ));
    rows.push(ratio_target(
        &format!("ThreadPool({cores}).map ÷ rayon `into_par_iter().map().collect()`, {cores} threads, 10⁶ ints"),
        ratio(map(&format!("thread_pool.{cores}")), map("rayon_owned")),
        1.5,
        true,
        format!(
            "from a borrowed slice (`ThreadPool` copies it first) ÷ rayon's `par_iter`: {}; \
             `imap`, every result in order, ÷ `map`: {}",
            times(ratio(map(&format!("thread_pool_copied.{cores}")), map("rayon"))),
            times(ratio(
                map(&format!("thread_pool_imap.{cores}")),
                map(&format!("thread_pool.{cores}"))
            ))
        ),
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
                    .and_then(Measured::stats)
                    .map_or("—".into(), |s| human_time(s.min.as_secs_f64())),
                secs(rust, "roundtrip.pipe").map_or("—".into(), human_time),
                secs(rust, "roundtrip.socket").map_or("—".into(), human_time)
            ),
        });
    }
    let echo = secs(rust, "payload.67108864");
    let floor = secs(rust, "payload.67108864.fresh_copies");
    let rate = |s: Option<f64>| s.map(|s| (64u64 << 20) as f64 / s / 1e9);
    let gbs = |r: Option<f64>| r.map_or("—".to_owned(), |r| format!("{r:.2} GB/s"));
    rows.push(Target {
        what: "echo 64 MiB through Pool(1).apply (64 MiB ÷ the round trip)".into(),
        measured: gbs(rate(echo)),
        goal: "≥ 1.00 GB/s".into(),
        verdict: match rate(echo) {
            Some(r) if r >= 1.0 => "met",
            Some(_) => "MISSED",
            None => "not measured",
        },
        evidence: format!(
            "floor: the two copies in fresh memory that any echo through a process makes (the \
             worker's argument, the caller's result) alone run at {} here; Python: {}",
            gbs(rate(floor)),
            gbs(rate(secs(py, "payload.67108864")))
        ),
    });
    let kib = |k: &str| kib_of(rust, k);
    // The exercise's own worker when it was measured (the runner's binary is larger).
    let (whose, prefix) = if kib("rss.q5_idle_worker").is_some() {
        ("`q5_pool`'s", "rss.q5_idle_worker")
    } else {
        ("this runner's", "rss.idle_worker[forkserver]")
    };
    let rss = kib(prefix);
    let mb = |k: u64| format!("{:.2} MB", k as f64 * 1024.0 / 1e6);
    let anon = if prefix.ends_with(']') {
        "rss.idle_worker.anon[forkserver]".to_owned()
    } else {
        format!("{prefix}.anon")
    };
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
             (libc, the binary's code); this runner's worker: {} forked, {} spawned; an idle \
             `/bin/sleep`: {}",
            kib(&anon).map_or("—".into(), |k| k.to_string()),
            kib("rss.idle_worker[forkserver]").map_or("—".into(), mb),
            kib("rss.idle_worker[spawn]").map_or("—".into(), mb),
            kib("rss.sleep").map_or("—".into(), mb)
        ),
    });
    rows
}

/// A memory reading of this run, in KiB.
fn kib_of(results: &Results, key: &str) -> Option<u64> {
    results.get(key).and_then(Measured::kib)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::measure::Stats;

    fn time(us: u64) -> Measured {
        let d = Duration::from_micros(us);
        Measured::Time(Stats {
            min: d / 2,
            ..Stats::exact(d)
        })
    }

    #[test]
    fn verdicts_compare_with_the_goal() {
        let rust = Results::from([
            ("spawn.process[spawn]".to_owned(), time(1200)),
            ("spawn.process[forkserver]".to_owned(), time(1200)),
            ("spawn.reexec".to_owned(), time(1000)),
            ("roundtrip.apply.1".to_owned(), time(12)),
        ]);
        let py = Results::from([("spawn.process[fork]".to_owned(), time(2000))]);
        let all = targets(&rust, &py, 2);
        let verdict = |what: &str| {
            let t = all.iter().find(|t| t.what == what).expect(what);
            (t.measured.as_str(), t.verdict)
        };
        assert_eq!(
            verdict("Process start+join by spawn ÷ bare re-exec"),
            ("1.20×", "met")
        );
        assert_eq!(
            verdict("Process start+join ÷ Python fork (Rust: forkserver, the default)"),
            ("0.60×", "MISSED")
        );
        assert_eq!(
            verdict("warm apply round trip, Pool(1)"),
            ("12.0 µs", "MISSED")
        );
        assert_eq!(
            verdict("warm apply round trip, Pool(4)"),
            ("—", "not measured")
        );

        let mut out = String::new();
        render(&mut out, &rust, &py, 2, true);
        assert!(out.contains("| warm apply round trip, Pool(1) | 12.0 µs | ≤ 10 µs | MISSED | fastest sample 6.0 µs;"), "{out}");
        assert!(!out.contains("not measured"), "{out}");
    }
}
