//! What a run measured: a value per workload key, one map for each side.

use std::collections::BTreeMap;

use crate::measure::Stats;

/// A measured value: a time per call, or a size in KiB.
#[derive(Debug, Clone, Copy)]
pub(super) enum Measured {
    Time(Stats),
    Kib(u64),
}

impl Measured {
    pub(super) fn stats(&self) -> Option<Stats> {
        match self {
            Measured::Time(s) => Some(*s),
            Measured::Kib(_) => None,
        }
    }

    /// The median time per call, in seconds.
    pub(super) fn seconds(&self) -> Option<f64> {
        self.stats().map(|s| s.median.as_secs_f64())
    }

    pub(super) fn kib(&self) -> Option<u64> {
        match self {
            Measured::Kib(k) => Some(*k),
            Measured::Time(_) => None,
        }
    }
}

/// One side's measurements, by workload key (`spawn.thread`, `map.1000.pool`, …).
pub(super) type Results = BTreeMap<String, Measured>;

/// `n ÷ d` when both were measured and `d` is positive.
pub(super) fn ratio(n: Option<f64>, d: Option<f64>) -> Option<f64> {
    match (n, d) {
        (Some(n), Some(d)) if d > 0.0 => Some(n / d),
        _ => None,
    }
}
