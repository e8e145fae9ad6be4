//! Exercise 1.3 (break it): make one piece panic, on the process pool and on the thread pool.
//! What does `map` return? Does the program survive?
//!
//! `cargo run -p q1_why_multiprocessing --example panicking_piece`

use common::{Pool, Registered, Task, ThreadPool, task};
use q1_why_multiprocessing::pi::{self, Piece};

// ANCHOR: solution
/// `count_inside`, except that the piece of 100 003 points panics.
fn fragile_count(piece: Piece) -> u64 {
    assert!(piece.points != 100_003, "this piece is cursed");
    pi::count_inside(piece)
}
const FRAGILE: Task<Piece, u64> = task!(fragile_count);
static TASKS: &[&dyn Registered] = &[&FRAGILE];

fn main() -> common::Result<()> {
    common::init(TASKS);
    // 64 pieces of 100 003 or 100 004 points: the first ones have the extra point.
    let pieces = pi::plan(64 * 100_003 + 10, 7);
    let on_processes = Pool::new(2)?.map(&FRAGILE, pieces.iter().copied());
    let on_threads = ThreadPool::new(2)?.map(&FRAGILE, pieces.iter().copied());
    // Both return the error of the lowest failing piece; the program goes on either way,
    // because a panic is caught where the task runs (in the worker, or on the thread).
    for (mode, result) in [("processes", on_processes), ("threads", on_threads)] {
        match result {
            Ok(counts) => println!("{mode}: {} inside", counts.iter().sum::<u64>()),
            Err(e) => println!("{mode}: map failed on piece {:?}: {e}", e.index()),
        }
    }
    Ok(())
}
// ANCHOR_END: solution
