//! How the side-by-side runner times one workload. `benches/python/side_by_side.py` does
//! exactly the same in Python, so the two columns of the table are measured alike.
//!
//! One call of the workload is timed first (that is also the warm-up). Fast workloads are then
//! run in batches long enough (about 2 ms) for the clock to be precise, and each sample is a
//! batch's mean. Samples are taken until the time budget is spent and at least
//! `min_samples` were taken; the result is their median, which one disturbance (another
//! program taking the core for a moment) does not move much.

use std::time::{Duration, Instant};

/// How long to measure one workload.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Keep sampling until this much time has passed...
    pub time: Duration,
    /// ...and at least this many samples were taken...
    pub min_samples: usize,
    /// ...but never more than this many.
    pub max_samples: usize,
}

impl Budget {
    /// About a second per workload.
    pub const FULL: Budget = Budget {
        time: Duration::from_secs(1),
        min_samples: 7,
        max_samples: 1000,
    };
    /// A fifth of a second per workload, for a first look.
    pub const QUICK: Budget = Budget {
        time: Duration::from_millis(200),
        min_samples: 3,
        max_samples: 1000,
    };
    /// One sample, for tests: does every workload run at all.
    pub const SMOKE: Budget = Budget {
        time: Duration::ZERO,
        min_samples: 1,
        max_samples: 1,
    };
}

/// What [`measure`] found, per call of the workload.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub median: Duration,
    pub min: Duration,
    /// The middle half of the samples lies between these (the first and third quartiles): how
    /// noisy the workload was in this run.
    pub q1: Duration,
    pub q3: Duration,
    pub samples: usize,
}

impl Stats {
    /// Stats of one value (a test's, or a sample of one).
    pub fn exact(d: Duration) -> Stats {
        Stats {
            median: d,
            min: d,
            q1: d,
            q3: d,
            samples: 1,
        }
    }

    /// Half the width of the middle half, as a fraction of the median: `0.05` means most
    /// samples were within about 5% of it.
    pub fn spread(&self) -> f64 {
        let median = self.median.as_secs_f64();
        if median > 0.0 {
            (self.q3.as_secs_f64() - self.q1.as_secs_f64()) / 2.0 / median
        } else {
            0.0
        }
    }

    /// Whether this workload was slower than `other` beyond the noise of both: even its
    /// faster samples (the first quartile) took longer than most of `other`'s (its third
    /// quartile), and the medians differ by more than 5%.
    pub fn clearly_slower_than(&self, other: &Stats) -> bool {
        self.q1 > other.q3 && self.median.as_secs_f64() > other.median.as_secs_f64() * 1.05
    }
}

/// A batch is made at least this long, so the clock's resolution does not matter.
const MIN_BATCH_TIME: Duration = Duration::from_millis(2);

/// Times `run`, which runs the workload `n` times and returns how long that took (so it can
/// leave setup and teardown out, like criterion's `iter_custom`).
pub fn measure(budget: Budget, mut run: impl FnMut(u64) -> Duration) -> Stats {
    let start = Instant::now();
    let first = run(1);
    let batch = batch_size(budget, first, &mut run);
    let mut samples: Vec<Duration> = Vec::new();
    if batch == 1 && budget.max_samples == 1 {
        samples.push(first);
    }
    while samples.len() < budget.max_samples
        && (samples.len() < budget.min_samples || start.elapsed() < budget.time)
    {
        samples.push(run(batch).div_f64(batch as f64));
    }
    summarize(&mut samples)
}

/// Like [`measure`] for several workloads at once, taking one sample of each in turn, so a
/// disturbance (another program's burst of work) hits them all alike. Used where the result
/// that matters is a ratio between them (a process against a bare re-exec, a pool against
/// rayon). The budget is per workload.
pub fn measure_interleaved(
    budget: Budget,
    runs: &mut [&mut dyn FnMut(u64) -> Duration],
) -> Vec<Stats> {
    let start = Instant::now();
    let batches: Vec<u64> = runs
        .iter_mut()
        .map(|run| {
            let first = run(1);
            batch_size(budget, first, run)
        })
        .collect();
    let total = budget.time * runs.len() as u32;
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); runs.len()];
    let mut taken = 0;
    while taken < budget.max_samples && (taken < budget.min_samples || start.elapsed() < total) {
        for ((run, batch), samples) in runs.iter_mut().zip(&batches).zip(&mut samples) {
            samples.push(run(*batch).div_f64(*batch as f64));
        }
        taken += 1;
    }
    samples.iter_mut().map(|s| summarize(s)).collect()
}

/// How many calls make one sample, given that the first call took `first`: one when a call is
/// long enough to time on its own (or one sample is all the budget wants), otherwise enough for
/// [`MIN_BATCH_TIME`], calibrated on a batch of about a millisecond (one call is too noisy to
/// trust).
fn batch_size(budget: Budget, first: Duration, mut run: impl FnMut(u64) -> Duration) -> u64 {
    if first >= MIN_BATCH_TIME || budget.max_samples <= 1 {
        return 1;
    }
    let probe = (Duration::from_millis(1).as_nanos() / first.as_nanos().max(1)).max(1) as u64;
    let per_call = run(probe).as_nanos() as f64 / probe as f64;
    ((MIN_BATCH_TIME.as_nanos() as f64 / per_call.max(1.0)).ceil() as u64).max(1)
}

fn summarize(samples: &mut [Duration]) -> Stats {
    samples.sort();
    let n = samples.len();
    let median = if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2
    };
    Stats {
        median,
        min: samples[0],
        q1: samples[(n - 1) / 4],
        q3: samples[(3 * (n - 1)).div_ceil(4)],
        samples: n,
    }
}

/// Times `f` called `n` times: the usual body of a `run` closure. What `f` returns goes
/// through `black_box`, so the compiler cannot drop work whose result nobody reads.
pub fn time_n<T>(n: u64, mut f: impl FnMut() -> T) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(f());
    }
    start.elapsed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let ms = Duration::from_millis;
        assert_eq!(summarize(&mut [ms(3), ms(1), ms(2)]).median, ms(2));
        let stats = summarize(&mut [ms(4), ms(1), ms(2), ms(3)]);
        assert_eq!(
            (stats.median, stats.min, stats.samples),
            (ms(2) + ms(1) / 2, ms(1), 4)
        );
        assert_eq!((stats.q1, stats.q3), (ms(1), ms(4)));
        let nine: Vec<Duration> = (1..=9).map(ms).collect();
        let stats = summarize(&mut nine.clone());
        assert_eq!((stats.q1, stats.median, stats.q3), (ms(3), ms(5), ms(7)));
        assert!((stats.spread() - 0.4).abs() < 1e-9);
    }

    #[test]
    fn slower_only_beyond_the_noise() {
        let around = |median: u64, half: u64| Stats {
            median: Duration::from_micros(median),
            min: Duration::from_micros(median - half),
            q1: Duration::from_micros(median - half),
            q3: Duration::from_micros(median + half),
            samples: 9,
        };
        assert!(around(100, 5).clearly_slower_than(&around(80, 5)));
        assert!(!around(100, 15).clearly_slower_than(&around(80, 10)));
        assert!(!around(80, 5).clearly_slower_than(&around(100, 5)));
        // Quartiles apart, but by 2%: not a difference worth a word.
        assert!(!around(1020, 1).clearly_slower_than(&around(1000, 1)));
    }

    #[test]
    fn interleaved_runs_take_turns() {
        let order = std::cell::RefCell::new(Vec::new());
        let mut a = |n: u64| {
            order.borrow_mut().push('a');
            Duration::from_millis(3) * n as u32
        };
        let mut b = |n: u64| {
            order.borrow_mut().push('b');
            Duration::from_millis(5) * n as u32
        };
        let budget = Budget {
            time: Duration::ZERO,
            min_samples: 3,
            max_samples: 10,
        };
        let stats = measure_interleaved(budget, &mut [&mut a, &mut b]);
        assert_eq!(stats[0].median, Duration::from_millis(3));
        assert_eq!(stats[1].median, Duration::from_millis(5));
        assert_eq!(stats[0].samples, 3);
        // One warm-up each, then turns.
        assert_eq!(order.borrow().iter().collect::<String>(), "abababab");
    }

    #[test]
    fn fast_work_is_batched_and_smoke_takes_one_sample() {
        let mut calls = 0u64;
        let stats = measure(Budget::QUICK, |n| {
            calls += n;
            time_n(n, || {
                std::hint::black_box(0);
            })
        });
        assert!(stats.samples >= 3);
        assert!(calls > stats.samples as u64, "batched: {calls} calls");
        let mut calls = 0;
        let stats = measure(Budget::SMOKE, |n| {
            calls += n;
            Duration::from_millis(1)
        });
        assert_eq!((stats.samples, calls), (1, 1));
    }
}
