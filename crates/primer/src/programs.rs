//! The chapter's three programs, `panics`, `workloads` and `debug_vs_release`: their command
//! lines, and how they print and end. The ideas they show live in [`crate::panics`] and
//! [`crate::timing`]; here is only the plumbing, which follows every exercise's rules
//! ([`support::cli`], [`support::out`]): `--help`, one-line usage errors with exit code 2, and
//! output that a closed pipe or a full disk cannot turn into a panic.

use std::io;
use std::process::{Command, ExitCode};

use clap::{Args, Parser};
use support::cli::EXIT_CODES_HELP;
use support::out::OutputError;
use support::outln;

use crate::panics::{join_after_panic, save_all};
use crate::timing::{WORKLOADS, best_of, comparison, millis_of, report};

/// What can stop one of these programs (other than the panics `panics` makes on purpose).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not start a thread: {0}")]
    Thread(io::Error),
    /// `debug_vs_release`: a build that could not be run or read.
    #[error("{0}")]
    Build(String),
    // Not transparent: `support::cli::finish` finds an output error among the sources.
    #[error("{0}")]
    Output(#[from] OutputError),
}

/// A panic that `join` reports, then one that `let _ =` hides.
#[derive(Debug, Parser)]
#[command(name = "panics", version, about, after_help = EXIT_CODES_HELP)]
pub struct PanicsCli {}

/// Runs `panics`: both functions of [`crate::panics`]. Their panic messages go to standard
/// error, printed by the default panic handler; the program still exits with code 0.
pub fn panics(_cli: PanicsCli) -> ExitCode {
    support::cli::finish("panics", panic_twice())
}

fn panic_twice() -> Result<bool, Error> {
    let joined = join_after_panic().map_err(Error::Thread)?;
    outln!("join returned: {joined:?}")?;
    let files = ["notes.txt", "my notes.txt", "todo.txt"];
    let saved = save_all(&files).map_err(Error::Thread)?;
    outln!("saved {saved} of {} files, and main goes on", files.len())?;
    Ok(true)
}

/// How big each workload is and how often it runs.
#[derive(Debug, Clone, Args)]
pub struct Sizes {
    /// The Collatz steps of 1 to N, and the sort of N numbers
    #[arg(long, value_name = "N", default_value_t = 300_000,
          value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub size: u64,
    /// Runs of each workload; the fastest one counts
    #[arg(long, value_name = "R", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub runs: u32,
}

/// Times the workloads in whatever build this is (`cargo run --release` for a release build).
#[derive(Debug, Parser)]
#[command(name = "workloads", version, about, after_help = EXIT_CODES_HELP)]
pub struct WorkloadsCli {
    #[command(flatten)]
    pub sizes: Sizes,
}

/// Runs `workloads`: times each workload in this build and prints one line for each.
pub fn workloads(cli: WorkloadsCli) -> ExitCode {
    let timed = || -> Result<bool, Error> {
        let Sizes { size, runs } = cli.sizes;
        for (name, work) in WORKLOADS {
            outln!("{}", report(name, best_of(runs, size, work), runs))?;
        }
        Ok(true)
    };
    support::cli::finish("workloads", timed())
}

/// Builds and runs `workloads` in a debug and in a release build, and compares the times.
#[derive(Debug, Parser)]
#[command(name = "debug_vs_release", version, about, after_help = EXIT_CODES_HELP)]
pub struct DebugVsReleaseCli {
    #[command(flatten)]
    pub sizes: Sizes,
}

/// Runs `debug_vs_release`: builds and runs `workloads` in both profiles with cargo (the cargo
/// running this program, if any), then prints what each printed and a comparison per workload.
pub fn debug_vs_release(cli: DebugVsReleaseCli) -> ExitCode {
    support::cli::finish("debug_vs_release", both_builds(&cli.sizes))
}

fn both_builds(sizes: &Sizes) -> Result<bool, Error> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut builds = Vec::new();
    for profile in [&[][..], &["--release"][..]] {
        let shown = format!(
            "cargo run {}-p primer --bin workloads",
            profile.iter().map(|p| format!("{p} ")).collect::<String>()
        );
        let out = Command::new(&cargo)
            .args(["run", "--quiet"])
            .args(profile)
            .args(["-p", "primer", "--bin", "workloads", "--"])
            .args(["--size", &sizes.size.to_string()])
            .args(["--runs", &sizes.runs.to_string()])
            .output()
            .map_err(|e| Error::Build(format!("cannot run cargo: {e}")))?;
        if !out.status.success() {
            return Err(Error::Build(format!(
                "`{shown}` failed:\n{}",
                String::from_utf8_lossy(&out.stderr).trim_end()
            )));
        }
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let times: Vec<(String, f64)> = text
            .lines()
            .filter_map(|l| millis_of(l).map(|(name, ms)| (name.to_owned(), ms)))
            .collect();
        if times.len() != WORKLOADS.len() {
            return Err(Error::Build(format!("`{shown}` printed {text:?}")));
        }
        builds.push((shown, text, times));
    }
    outln!("Each workload, built twice ({}):", machine())?;
    for (shown, text, _) in &builds {
        outln!("  {shown}")?;
        for line in text.lines() {
            outln!("    {line}")?;
        }
    }
    for ((name, debug_ms), (_, release_ms)) in builds[0].2.iter().zip(&builds[1].2) {
        outln!("{}", comparison(name, *debug_ms, *release_ms))?;
    }
    Ok(true)
}

/// The compiler, the number of CPUs and the load: what the times depend on.
fn machine() -> String {
    let rustc = Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "rustc (version unknown)".to_owned());
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    format!("{rustc}, {cpus} CPUs, load average {load}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_checked() {
        let parse = |args: &str| {
            WorkloadsCli::try_parse_from(
                std::iter::once("workloads").chain(args.split_whitespace()),
            )
            .map(|cli| (cli.sizes.size, cli.sizes.runs))
        };
        assert_eq!(parse("").unwrap(), (300_000, 3));
        assert_eq!(parse("--runs 5 --size 10").unwrap(), (10, 5));
        for bad in ["--size 0", "--runs", "--runs 101", "--fast"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
