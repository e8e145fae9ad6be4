//! The side-by-side runner: Rust and Python, same workloads, same machine, same run: one table.
//!
//! ```sh
//! cargo run --release -p benches --bin side_by_side            # 4 to 6 minutes
//! cargo run --release -p benches --bin side_by_side -- --quick # 2 to 3 minutes, noisier
//! ```
//!
//! The Rust workloads are the ones in [`crate::work`] and [`crate::io`] (the criterion
//! benchmarks call the same functions); the Python ones are in `benches/python/side_by_side.py`,
//! timed the same way ([`crate::measure`]). Whole programs are compared too: `q5_pool` and
//! `q6_four_processes` (built here with cargo) against the assignment's Python programs in
//! `benches/python/`. Without `python3` the Python column is left empty and the table says so.
//!
//! One module per job:
//!
//! - `cli`: the command line, the time budget it asks for, and the `--only` filter;
//! - `rust`: measures the Rust column;
//! - `python`: finds the interpreter, runs `side_by_side.py`, reads its JSON and checks its
//!   answers against Rust's;
//! - `programs`: times whole programs against the Python ones and compares their outputs
//!   (`cargo` builds the Rust ones);
//! - `results`: what a run measured, by workload key;
//! - `rows`: which rows the table has, section by section: label and the key on each side;
//! - `table`: renders those rows, `units` the numbers in them;
//! - `targets`: the targets section: each goal, what this run measured, met or missed;
//! - `explain`: the closing section: each row where Rust is slower than Python (or threads
//!   than processes) beyond the noise, with its cause measured in the same run;
//! - `report`: the whole document: machine header, table, targets, notes.

mod cargo;
mod cli;
mod explain;
mod programs;
mod python;
mod report;
mod results;
mod rows;
mod rust;
mod table;
mod targets;
mod units;

use std::process::ExitCode;
use std::time::{Duration, Instant};

pub use cli::Cli;

use crate::io::Site;
use crate::machine::{self, Machine};
use crate::work;
use report::Report;
use results::Results;

/// Steps per coarse task in the Rust-against-Python rows: a tenth of the criterion
/// benchmark's, so that Python's run takes about a second.
const SIDE_COARSE_STEPS: u64 = 100_000;
/// Payloads in the table (the criterion benchmark has more sizes).
const SIDE_PAYLOADS: [usize; 3] = [1 << 10, 1 << 20, 64 << 20];
/// Downloads: (how many, latency of each in ms).
const DOWNLOADS: [(usize, u64); 3] = [(3, 200), (3, 50), (12, 50)];
/// Latencies of the local servers, in ms (one server each: question 3's has one latency).
const LATENCIES: [u64; 2] = [50, 200];
/// Files on each local server: the most downloads one row makes.
const SITE_FILES: usize = 12;

/// Runs both sides and prints the table (or, with `--list`, the workload keys).
pub fn run(cli: Cli) -> ExitCode {
    let cores = work::cores();
    if cli.list {
        return support::cli::finish(
            "side_by_side",
            support::out!("{}", rows::listing(cores)).map(|()| true),
        );
    }
    let budget = cli.budget();
    let machine = Machine::read();
    let python = if cli.no_python {
        Err("left out (--no-python)".to_owned())
    } else {
        python::find(&cli.python)
    };
    let sites = match start_sites() {
        Ok(sites) => sites,
        Err(e) => {
            support::errln!("side_by_side: error: cannot start the local HTTP server: {e}");
            return ExitCode::FAILURE;
        }
    };

    let started = Instant::now();
    let mut rust = match rust::run_all(&cli, budget, &sites, cores) {
        Ok(results) => results,
        Err(e) => {
            support::errln!("side_by_side: error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut notes = Vec::new();
    let mut py = Results::new();
    if let Ok(python) = &python {
        support::errln!(
            "running Python {} (benches/python/side_by_side.py)…",
            python.version
        );
        match python::run(&cli, python, &sites, cores) {
            Ok((results, checks)) => {
                py = results;
                notes.extend(python::compare_checks(&checks));
            }
            Err(e) => notes.push(format!("Python column empty: {e}")),
        }
    }
    if !cli.no_programs {
        programs::compare(
            &cli,
            python.as_ref().ok(),
            budget,
            &mut rust,
            &mut py,
            &mut notes,
        );
    }

    let report = Report {
        machine,
        python,
        end_load: machine::load_average(),
        budget,
        rust,
        py,
        notes,
        cores,
        filtered: !cli.only.is_empty(),
    };
    let printed = support::out!("{}", report.render());
    if printed.is_ok() {
        support::errln!("done in {:.0} s", started.elapsed().as_secs_f64());
    }
    support::cli::finish("side_by_side", printed.map(|()| true))
}

/// A local HTTP server per latency, shared by both sides: (latency in ms, site).
fn start_sites() -> std::io::Result<Vec<(u64, Site)>> {
    LATENCIES
        .iter()
        .map(|&ms| Ok((ms, Site::start(Duration::from_millis(ms), SITE_FILES)?)))
        .collect()
}
