//! Exercise 1.2 (extend it): a fourth mode without any pool: split the pieces over plain
//! threads with `std::thread::scope`, one per core, and check the count.
//!
//! `cargo run -p q1_why_multiprocessing --example scoped_threads`

use q1_why_multiprocessing::pi::{self, Piece};

// ANCHOR: solution
/// Counts the points inside on `threads` scoped threads, each taking every `threads`-th piece.
/// Scoped threads may borrow `pieces`: the scope waits for all of them before it returns.
fn on_scoped_threads(pieces: &[Piece], threads: usize) -> u64 {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    pieces
                        .iter()
                        .skip(t)
                        .step_by(threads)
                        .map(|&p| pi::count_inside(p))
                        .sum::<u64>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no piece panics"))
            .sum()
    })
}
// ANCHOR_END: solution

fn main() {
    let pieces = pi::plan(2_000_000, 7);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let sequential: u64 = pieces.iter().map(|&p| pi::count_inside(p)).sum();
    let scoped = on_scoped_threads(&pieces, threads);
    println!("sequential: {sequential} inside; {threads} scoped threads: {scoped} inside");
    assert_eq!(sequential, scoped);
    println!("same count");
}
