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
    let map = |k: &str| secs(rust, &format!("map.1000000.{k}"));
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
            ("spawn.process".to_owned(), time(1200)),
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
            verdict("Process start+join ÷ bare re-exec"),
            ("1.20×", "met")
        );
        assert_eq!(
            verdict("Process start+join ÷ Python fork"),
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
