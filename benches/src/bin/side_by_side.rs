//! Rust and Python, same workloads, same machine, same run: one table.
//!
//! ```sh
//! cargo run --release -p benches --bin side_by_side            # 4 to 6 minutes
//! cargo run --release -p benches --bin side_by_side -- --quick # 2 to 3 minutes, noisier
//! ```
//!
//! The runner lives in `benches::runner`; this is its command.

fn main() -> std::process::ExitCode {
    // Workers are this binary started again; in them, this line serves tasks and never returns.
    benches::init();
    benches::runner::run(support::cli::parse())
}
