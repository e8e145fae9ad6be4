//! Summaries of repeated timings, and how they are printed.

use std::time::Duration;

use statrs::statistics::{Data, Max, Min, OrderStatistics};
use support::units::{self, seconds};

/// The median and spread of a set of timings, in seconds.
///
/// Medians, not means: a timing on a shared machine is sometimes hit by a context switch or a
/// page fault, and one such outlier would drag a mean far from the typical case.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// How many timings.
    pub n: usize,
    pub median: f64,
    /// First quartile: a quarter of the timings were faster.
    pub q1: f64,
    /// Third quartile: a quarter of the timings were slower.
    pub q3: f64,
    pub min: f64,
    pub max: f64,
}

impl Summary {
    /// Summarises `samples`; `None` if there are none.
    ///
    /// ```
    /// use std::time::Duration;
    /// use q2_processes_vs_threads::stats::Summary;
    ///
    /// let ms = |n| Duration::from_millis(n);
    /// let s = Summary::of(&[ms(3), ms(1), ms(2), ms(100), ms(2)]).unwrap();
    /// assert_eq!((s.n, s.median, s.min, s.max), (5, 0.002, 0.001, 0.1));
    /// ```
    pub fn of(samples: &[Duration]) -> Option<Summary> {
        if samples.is_empty() {
            return None;
        }
        let mut data = Data::new(
            samples
                .iter()
                .map(Duration::as_secs_f64)
                .collect::<Vec<_>>(),
        );
        Some(Summary {
            n: samples.len(),
            median: data.median(),
            q1: data.lower_quartile(),
            q3: data.upper_quartile(),
            min: data.min(),
            max: data.max(),
        })
    }

    /// The middle half of the timings: `q1 – q3`.
    pub fn middle_half(&self) -> String {
        format!("{} – {}", seconds(self.q1), seconds(self.q3))
    }
}

/// `x` (ratio of two timings) as `×`: three significant digits below 100, whole above.
///
/// ```
/// use q2_processes_vs_threads::stats::times;
/// assert_eq!(times(151.9), "152×");
/// assert_eq!(times(2.104), "2.10×");
/// assert_eq!(times(10.55), "10.6×");
/// ```
pub fn times(x: f64) -> String {
    format!("{}×", units::significant(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_bracket_the_median() {
        let samples: Vec<Duration> = (1..=9).map(Duration::from_micros).collect();
        let s = Summary::of(&samples).unwrap();
        assert_eq!(s.median, 5e-6);
        assert!(s.min <= s.q1 && s.q1 <= s.median && s.median <= s.q3 && s.q3 <= s.max);
        assert_eq!(
            s.middle_half(),
            format!("{} – {}", seconds(s.q1), seconds(s.q3))
        );
        assert_eq!(Summary::of(&[]), None);
    }

    #[test]
    fn a_single_timing_is_its_own_summary() {
        let s = Summary::of(&[Duration::from_millis(4)]).unwrap();
        assert_eq!(
            (s.median, s.q1, s.q3, s.min, s.max),
            (0.004, 0.004, 0.004, 0.004, 0.004)
        );
    }
}
