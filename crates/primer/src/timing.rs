//! One workload timed in a debug and a release build, by running both builds for real.

use std::hint::black_box;
use std::time::{Duration, Instant};

// ANCHOR: workloads
/// The total number of Collatz steps of every number in `1..=limit`: a plain loop of
/// arithmetic and branches, which the optimiser cannot replace by a formula.
pub fn collatz_steps(limit: u64) -> u64 {
    (1..=limit)
        .map(|mut n| {
            let mut steps = 0;
            while n != 1 {
                n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
                steps += 1;
            }
            steps
        })
        .sum()
}

/// Sorts `numbers` and returns the middle one: the standard library's sort, generic code made
/// of many small functions that a debug build does not inline.
pub fn sort_and_median(mut numbers: Vec<u64>) -> u64 {
    numbers.sort_unstable();
    numbers.get(numbers.len() / 2).copied().unwrap_or(0)
}
// ANCHOR_END: workloads

/// `count` pseudo-random numbers (xorshift), the same on every run.
pub fn numbers(count: u64) -> Vec<u64> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..count)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        })
        .collect()
}

/// The build this code was compiled in: `debug` (no optimisation, with debug assertions and
/// overflow checks) or `release`.
pub const BUILD: &str = if cfg!(debug_assertions) {
    "debug"
} else {
    "release"
};

/// A workload: its name, and a function that runs it at a size and returns a number that
/// depends on all its work.
pub type Workload = (&'static str, fn(u64) -> u64);

/// The workloads `workloads` times.
pub const WORKLOADS: [Workload; 2] = [
    ("collatz", |size| collatz_steps(black_box(size))),
    ("sort", |size| sort_and_median(black_box(numbers(size)))),
];

/// The fastest of `runs` runs of `work` at `size`. (The sort's input is made inside the timed
/// run; it costs a small part of the sort.)
pub fn best_of(runs: u32, size: u64, work: fn(u64) -> u64) -> Duration {
    (0..runs.max(1))
        .map(|_| {
            let started = Instant::now();
            black_box(work(size));
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// The line `workloads` prints for one workload, which [`millis_of`] reads back.
pub fn report(name: &str, best: Duration, runs: u32) -> String {
    format!(
        "{name:<8} {BUILD} build: {:.1} ms (best of {runs})",
        best.as_secs_f64() * 1e3
    )
}

/// The workload name and the milliseconds in a line made by [`report`].
pub fn millis_of(line: &str) -> Option<(&str, f64)> {
    let name = line.split_whitespace().next()?;
    let (_, rest) = line.split_once(" build: ")?;
    Some((name, rest.split_once(" ms")?.0.parse().ok()?))
}

/// The sentence that compares the two builds of one workload, from their times.
pub fn comparison(name: &str, debug_ms: f64, release_ms: f64) -> String {
    let ratio = debug_ms / release_ms;
    if ratio >= 1.5 {
        format!("{name}: the release build ran {ratio:.0} times as fast as the debug build.")
    } else if ratio > 1.0 / 1.5 {
        format!("{name}: the two builds ran about as fast as each other.")
    } else {
        format!(
            "{name}: the release build ran {:.1} times slower than the debug build.",
            1.0 / ratio
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workloads_compute_what_they_say() {
        // 1: 0 steps, 2: 1, 3: 7 (3 10 5 16 8 4 2 1), 4: 2.
        assert_eq!(collatz_steps(4), 10);
        assert_eq!(sort_and_median(vec![5, 1, 4, 2, 3]), 3);
        assert_eq!(sort_and_median(Vec::new()), 0);
        let mut sorted = numbers(1000);
        sorted.sort_unstable();
        assert_eq!(sort_and_median(numbers(1000)), sorted[500]);
        assert_eq!(numbers(5), numbers(5), "the same numbers every run");
    }

    #[test]
    fn a_report_is_read_back() {
        let line = report("sort", Duration::from_micros(12_345), 3);
        assert!(line.contains(BUILD), "{line}");
        assert_eq!(millis_of(&line), Some(("sort", 12.3)));
        assert_eq!(millis_of("nothing here"), None);
    }

    #[test]
    fn the_sentence_follows_the_numbers() {
        assert_eq!(
            comparison("sort", 400.0, 20.0),
            "sort: the release build ran 20 times as fast as the debug build."
        );
        assert_eq!(
            comparison("sort", 21.0, 20.0),
            "sort: the two builds ran about as fast as each other."
        );
        assert_eq!(
            comparison("sort", 20.0, 40.0),
            "sort: the release build ran 2.0 times slower than the debug build."
        );
    }
}
