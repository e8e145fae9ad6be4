//! Exercise 5.1 (change it): map a different function on the pool: n! = Γ(n + 1), for n = 0 to
//! 10, with the gamma function of this question.
//!
//! `cargo run -p q5_pool --example factorial`

use common::{Pool, Registered, Task, task};
use q5_pool::gamma::{MathError, gamma};

// ANCHOR: solution
/// n!, as the gamma function gives it.
fn factorial(n: u32) -> Result<f64, MathError> {
    gamma(f64::from(n) + 1.0)
}
const FACTORIAL: Task<u32, Result<f64, MathError>> = task!(factorial);
static TASKS: &[&dyn Registered] = &[&FACTORIAL];

fn main() -> common::Result<()> {
    common::init(TASKS);
    let pool = Pool::new(4)?;
    for (n, result) in (0..=10).zip(pool.map(&FACTORIAL, 0..=10)?) {
        match result {
            Ok(value) => println!("{n}! = {value}"),
            Err(e) => println!("{n}!: {e}"),
        }
    }
    Ok(())
}
// ANCHOR_END: solution
