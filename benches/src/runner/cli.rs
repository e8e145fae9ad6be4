//! The runner's command line: its options, the time budget they ask for, and `--only`.

use clap::Parser;
use support::cli::EXIT_CODES_HELP;

use crate::measure::Budget;

/// Times processes against threads in Rust and the same workloads in Python, and prints one
/// table: workload, Python, Rust, ratio.
#[derive(Debug, Parser)]
#[command(
    name = "side_by_side",
    version,
    after_help = format!(
        "Progress goes to stderr, the table (Markdown) to stdout:\n  \
         cargo run --release -p benches --bin side_by_side > table.md\n\n{EXIT_CODES_HELP}"
    )
)]
pub struct Cli {
    /// A fifth of a second per workload instead of a second (noisier)
    #[arg(long, conflicts_with = "smoke")]
    pub quick: bool,
    /// One sample per workload: checks that everything runs, measures nothing
    #[arg(long)]
    pub smoke: bool,
    /// Only the workloads whose key contains TEXT (repeatable); see --list
    #[arg(long, value_name = "TEXT")]
    pub only: Vec<String>,
    /// List the workload keys and exit
    #[arg(long)]
    pub list: bool,
    /// The Python interpreter
    #[arg(long, default_value = "python3", value_name = "PATH")]
    pub python: String,
    /// Leave the Python column empty
    #[arg(long)]
    pub no_python: bool,
    /// Skip the whole-program comparison (which builds q5_pool and q6_four_processes)
    #[arg(long)]
    pub no_programs: bool,
}

impl Cli {
    /// How long each workload is measured: `--smoke`, `--quick`, or a second.
    pub fn budget(&self) -> Budget {
        if self.smoke {
            Budget::SMOKE
        } else if self.quick {
            Budget::QUICK
        } else {
            Budget::FULL
        }
    }

    /// Whether the workload `key` is run: every one without `--only`, else those whose key
    /// contains one of its texts.
    pub fn wants(&self, key: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| key.contains(o.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(["side_by_side"].iter().chain(args)).expect("valid arguments")
    }

    #[test]
    fn budget_follows_the_mode_flags() {
        assert_eq!(parse(&[]).budget().min_samples, Budget::FULL.min_samples);
        assert_eq!(parse(&["--quick"]).budget().time, Budget::QUICK.time);
        assert_eq!(parse(&["--smoke"]).budget().max_samples, 1);
        assert!(Cli::try_parse_from(["side_by_side", "--quick", "--smoke"]).is_err());
    }

    #[test]
    fn only_keeps_keys_containing_any_of_its_texts() {
        assert!(parse(&[]).wants("anything"));
        let cli = parse(&["--only", "spawn.", "--only", "rss."]);
        assert!(cli.wants("spawn.thread") && cli.wants("rss.idle_worker.anon"));
        assert!(!cli.wants("map.1000.pool"));
    }
}
