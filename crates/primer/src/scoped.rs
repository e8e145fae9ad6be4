//! Scoped threads: threads that may borrow, because they end before the borrow does.

use std::thread;

// ANCHOR: scoped
/// Sums `numbers` in `parts` pieces at once. Each thread borrows its slice of `numbers`: no
/// copy, no `Arc`, no `move` of the vector. `thread::scope` joins every thread before it
/// returns, so the borrows cannot outlive `numbers`.
pub fn sum_in_parts(numbers: &[u64], parts: usize) -> u64 {
    let size = numbers.len().div_ceil(parts.max(1)).max(1);
    thread::scope(|s| {
        let handles: Vec<_> = numbers
            .chunks(size)
            .map(|part| s.spawn(move || part.iter().sum::<u64>()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })
}
// ANCHOR_END: scoped

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_add_up_to_the_whole() {
        let numbers: Vec<u64> = (1..=100).collect();
        for parts in [0, 1, 3, 7, 100, 200] {
            assert_eq!(sum_in_parts(&numbers, parts), 5050, "{parts} parts");
        }
        assert_eq!(sum_in_parts(&[], 4), 0);
    }
}
