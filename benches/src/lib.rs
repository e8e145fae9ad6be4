//! Measurements: processes against threads in Rust, and the same workloads in Python.
//!
//! Two tools share this crate:
//!
//! - the criterion benchmarks in `benches/benches/` (`cargo bench -p benches`), one per
//!   question a learner asks: how much does a process cost to start (`spawn`), a pool
//!   (`pool_startup`), a message (`round_trip`), a `map` (`map_throughput`); what
//!   speedup do processes and threads give on CPU-bound work (`cpu_bound`) and on waiting
//!   (`io_bound`); how fast do bytes cross (`payload`). HTML reports with plots land in
//!   `target/criterion/report/index.html`;
//! - the side-by-side runner ([`runner`]; `cargo run --release -p benches --bin side_by_side`),
//!   which times the headline workloads here and in `benches/python/side_by_side.py` in the
//!   same run and prints one table.
//!
//! Both call the workloads in [`work`], so they measure the same code. A worker process is the
//! running binary started again, so every binary here calls [`init`] first thing in `main`.
//!
//! Output follows the exercises' rules ([`support::out`]): a reader who goes away ends the
//! runner quietly, a write error is one line and exit code 1.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod child;
pub mod io;
pub mod machine;
pub mod measure;
pub mod runner;
pub mod tasks;
pub mod wake;
pub mod work;

/// Call first thing in `main`: serves a worker's tasks (or a floor child's job) when this
/// process is one, and returns at once otherwise.
pub fn init() {
    child::serve_if_child();
    common::init(tasks::TASKS);
}

/// Whether this benchmark binary was started by `cargo test` (criterion's test mode: every
/// benchmark runs once) rather than by `cargo bench`. Criterion decides the same way: `--bench`
/// without `--test` means measure.
pub fn criterion_test_mode() -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    !has("--bench") || has("--test")
}
