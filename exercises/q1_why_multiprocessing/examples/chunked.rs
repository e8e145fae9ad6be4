//! Exercise 1.1 (change it): send the pieces to the workers 8 at a time instead of one by one,
//! and check that the count of points inside does not change.
//!
//! `cargo run -p q1_why_multiprocessing --example chunked`

use q1_why_multiprocessing::{COUNT_INSIDE, TASKS, pi};

fn main() -> common::Result<()> {
    common::init(TASKS);
    let pieces = pi::plan(2_000_000, 7);
    let one_by_one: u64 = pieces.iter().map(|&p| pi::count_inside(p)).sum();
    // ANCHOR: solution
    let pool = common::Pool::new(2)?;
    // 8 pieces per message: 8 messages instead of 64. The count cannot change, because each
    // piece carries its own seed: where and with which others it runs does not matter.
    let eight_at_a_time: u64 = pool
        .chunksize(8)
        .map(&COUNT_INSIDE, pieces.iter().copied())?
        .into_iter()
        .sum();
    // ANCHOR_END: solution
    println!("sequential: {one_by_one} inside; chunksize 8: {eight_at_a_time} inside");
    assert_eq!(
        one_by_one, eight_at_a_time,
        "the count depends on the seed only"
    );
    println!("same count");
    Ok(())
}
