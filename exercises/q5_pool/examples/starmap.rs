//! Exercise 5.2 (extend it): a task of two arguments, mapped with `starmap` as Python's
//! `pool.starmap(pow, [(2, 10), (3, 4), (10, 3)])`.
//!
//! `cargo run -p q5_pool --example starmap`

use common::{Pool, Registered, Task, task};

// ANCHOR: solution
fn power(base: u64, exponent: u32) -> u64 {
    base.pow(exponent)
}
/// Several parameters: the task takes them as one tuple.
const POWER: Task<(u64, u32), u64> = task!(power(base, exponent));
static TASKS: &[&dyn Registered] = &[&POWER];

fn main() -> common::Result<()> {
    common::init(TASKS);
    let pool = Pool::new(3)?;
    let powers = pool.starmap(&POWER, [(2, 10), (3, 4), (10, 3)])?;
    println!("{powers:?}");
    Ok(())
}
// ANCHOR_END: solution
