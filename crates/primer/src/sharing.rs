//! Sharing between threads: `Arc` to share ownership, `Mutex` or atomics to share changes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

// ANCHOR: arc
/// Shares one vector with `threads` threads without copying it: each thread gets its own
/// `Arc`, a pointer that counts its owners, and the vector is freed when the last one goes.
/// Returns how many elements each thread saw above its threshold (its index times 10).
pub fn shared_without_copying(numbers: Vec<u64>, threads: u64) -> Vec<usize> {
    let numbers = Arc::new(numbers);
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let numbers = Arc::clone(&numbers); // a second owner, not a second vector
            thread::spawn(move || numbers.iter().filter(|&&n| n > i * 10).count())
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}
// ANCHOR_END: arc

// ANCHOR: mutex
/// Collects lines from `threads` threads into one vector. The `Mutex` lets one thread at a time
/// reach the vector: `lock` waits for its turn and returns a guard, and the lock is released
/// when the guard is dropped, at the end of the statement.
pub fn collect_from_threads(threads: usize) -> Vec<String> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let lines = Arc::clone(&lines);
            thread::spawn(move || lines.lock().unwrap().push(format!("thread {i} was here")))
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let mut lines = lines.lock().unwrap().clone();
    lines.sort(); // the threads ran in any order
    lines
}
// ANCHOR_END: mutex

// ANCHOR: atomic
/// Counts the words of `texts`, one thread per text, in one shared counter. An atomic needs no
/// lock: `fetch_add` reads, adds and writes back as one indivisible step.
pub fn count_words(texts: &[&str]) -> usize {
    let words = AtomicUsize::new(0);
    thread::scope(|s| {
        for text in texts {
            let words = &words;
            s.spawn(move || words.fetch_add(text.split_whitespace().count(), Ordering::Relaxed));
        }
    });
    words.into_inner()
}
// ANCHOR_END: atomic

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_thread_reads_the_one_shared_vector() {
        assert_eq!(shared_without_copying(vec![5, 15, 25], 3), [3, 2, 1]);
    }

    #[test]
    fn every_thread_gets_its_turn_at_the_vector() {
        let lines = collect_from_threads(4);
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0], "thread 0 was here");
        assert_eq!(lines[3], "thread 3 was here");
    }

    #[test]
    fn no_count_is_lost() {
        let texts = ["one two", "three", "", "four five six"];
        assert_eq!(count_words(&texts), 6);
        let many: Vec<&str> = std::iter::repeat_n("a b c", 64).collect();
        assert_eq!(count_words(&many), 192);
    }
}
