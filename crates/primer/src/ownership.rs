//! Ownership and `move`: a thread gets what it needs, and keeps it.

use std::thread;

// ANCHOR: move_into_thread
/// Sums `numbers` on a new thread. `move` hands the vector to the thread, which owns it from
/// then on; `join` waits for the thread and hands back what its closure returned.
pub fn sum_on_a_thread(numbers: Vec<u64>) -> u64 {
    let handle = thread::spawn(move || numbers.iter().sum::<u64>());
    handle.join().expect("summing does not panic")
}
// ANCHOR_END: move_into_thread

// ANCHOR: clone_then_move
/// Gives each of `threads` threads its own copy of `numbers`, and returns each thread's sum of
/// the numbers times its index. Cloning before the `move` keeps the original here.
pub fn copies_for_each_thread(numbers: &[u64], threads: u64) -> Vec<u64> {
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let mine = numbers.to_vec(); // a copy, moved into the thread below
            thread::spawn(move || mine.iter().map(|n| n * i).sum::<u64>())
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}
// ANCHOR_END: clone_then_move

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_sums_what_it_was_given() {
        assert_eq!(sum_on_a_thread(vec![1, 2, 3, 4]), 10);
        assert_eq!(sum_on_a_thread(Vec::new()), 0);
    }

    #[test]
    fn every_thread_works_on_its_own_copy() {
        assert_eq!(copies_for_each_thread(&[1, 2, 3], 3), [0, 6, 12]);
    }
}
