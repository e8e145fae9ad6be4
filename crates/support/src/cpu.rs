//! Keeping a core busy: the stand-in for CPU-bound work in the exercises.

use std::time::{Duration, Instant};

/// Spins on this thread until `duration` has passed.
///
/// Spins rather than sleeps: the thread stays runnable the whole time, so it competes for a
/// core with every other busy thread or process, and shows as busy in `top`. That is what
/// CPU-bound work does, and what the exercises want to show (a sleep would let any number of
/// workers "run" at once on one core).
///
/// ```
/// use std::time::Duration;
/// support::cpu::busy_wait(Duration::from_millis(1));
/// ```
pub fn busy_wait(duration: Duration) {
    // No clock read for no wait: q5's gamma task calls this on every value, and two reads of
    // the clock (about 25 ns each on a virtual machine) cost as much as the gamma function.
    if duration.is_zero() {
        return;
    }
    let start = Instant::now();
    while start.elapsed() < duration {
        std::hint::spin_loop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_once_the_time_has_passed_never_before() {
        // A lower bound the loop guarantees on a monotonic clock, not a claim about speed.
        let start = Instant::now();
        busy_wait(Duration::from_millis(5));
        assert!(start.elapsed() >= Duration::from_millis(5));
        busy_wait(Duration::ZERO);
    }
}
