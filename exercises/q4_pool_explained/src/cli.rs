//! The command line: the clap types, and the checks clap cannot make.

use clap::{Parser, ValueEnum};
use support::cli::{EXIT_CODES_HELP, MAX_WORKERS};

use crate::work::{self, Job, Work};

/// The largest `--chunksize`: more than `--tasks` can ever need (65535), and far below what the
/// pool refuses at run time (above `u32::MAX / 2`), so a too-large value is a usage error.
const MAX_CHUNKSIZE: i64 = 1_000_000;

/// A pool of worker processes at work (question 4).
#[derive(Debug, Parser)]
#[command(
    version,
    about = "Question 4: what a pool of worker processes is, and why it is used",
    after_help = format!(
        "Task i works for [3 8 2 1 5 2 7 1 4 2][i % 10] units of --unit-ms.\n\n\
         Examples:\n  \
         q4_pool_explained                            every section: 3 workers, 10 tasks\n  \
         q4_pool_explained --only map,imap            just those two sections\n  \
         q4_pool_explained --only imap --unordered    results in the order they finish\n  \
         q4_pool_explained --only map --chunksize 4   4 tasks a message: worse balance\n  \
         q4_pool_explained --spin --workers 8         busy tasks, more workers than cores\n  \
         q4_pool_explained --crash 3                  task 3 kills its worker; the pool goes on\n  \
         q4_pool_explained --svg pictures             the timelines as pictures too\n  \
         q4_pool_explained --only compare --unit-ms 0 --tasks 300\n                                               \
         tiny tasks: process start-up is what counts\n\n\
         {EXIT_CODES_HELP}"
    )
)]
pub struct Cli {
    /// Worker processes in the pool (and processes at a time without one), at most 256
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=MAX_WORKERS))]
    pub workers: u16,
    /// Number of tasks
    #[arg(long, value_name = "M", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    pub tasks: u16,
    /// Milliseconds in one unit of work
    #[arg(long, value_name = "MS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pub unit_ms: u64,
    /// Tasks busy-wait (CPU-bound) instead of sleeping
    #[arg(long)]
    pub spin: bool,
    /// Run only these sections, comma-separated [default: all]
    #[arg(long, value_enum, value_name = "SECTION", value_delimiter = ',')]
    pub only: Vec<Section>,
    /// Tasks sent to a worker in one message by map and imap, at most 1000000 [default: map:
    /// Python's, imap: 1]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=MAX_CHUNKSIZE))]
    pub chunksize: Option<u32>,
    /// Use imap_unordered: results in the order they finish
    #[arg(long)]
    pub unordered: bool,
    /// Task number TASK kills its own worker process halfway through
    #[arg(long, value_name = "TASK")]
    pub crash: Option<u16>,
    /// Also draw each timeline as an SVG picture in DIR (apply.svg, apply_async.svg, map.svg,
    /// imap.svg or imap_unordered.svg, compare_pool.svg, compare_per_task.svg)
    #[arg(long, value_name = "DIR")]
    pub svg: Option<std::path::PathBuf>,
}

/// A part of the program; `--only` picks some.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Section {
    /// pool.apply in a loop: one task at a time
    Apply,
    /// pool.apply_async: submit every task, collect the results later
    #[value(name = "async", alias = "apply_async")]
    Async,
    /// pool.map: every result at once, in input order
    Map,
    /// pool.imap: results one by one as they are ready
    Imap,
    /// the same tasks on a new pool, one process per task, and threads
    Compare,
}

impl Cli {
    /// Checks what clap cannot: `--crash` must name one of the tasks.
    pub fn check(&self) -> Result<(), String> {
        match self.crash {
            Some(task) if task >= self.tasks => Err(format!(
                "invalid value '{task}' for '--crash <TASK>': the {} tasks are numbered 0 to {}",
                self.tasks,
                self.tasks - 1
            )),
            _ => Ok(()),
        }
    }

    /// Whether `--only` asks for `section` (no `--only` asks for all).
    pub(crate) fn wants(&self, section: Section) -> bool {
        self.only.is_empty() || self.only.contains(&section)
    }

    /// The tasks the options describe.
    pub(crate) fn jobs(&self) -> Vec<Job> {
        let work = if self.spin { Work::Spin } else { Work::Sleep };
        let crash = self.crash.map(usize::from);
        work::plan(usize::from(self.tasks), self.unit_ms, work, crash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn crash_must_name_a_task() {
        let cli = Cli::parse_from(["q4", "--tasks", "4", "--crash", "3"]);
        assert_eq!(cli.check(), Ok(()));
        let cli = Cli::parse_from(["q4", "--tasks", "4", "--crash", "4"]);
        assert_eq!(
            cli.check().unwrap_err(),
            "invalid value '4' for '--crash <TASK>': the 4 tasks are numbered 0 to 3"
        );
    }

    #[test]
    fn only_takes_a_list_and_defaults_to_everything() {
        let cli = Cli::parse_from(["q4", "--only", "map,apply_async"]);
        assert_eq!(cli.only, [Section::Map, Section::Async]);
        assert!(cli.wants(Section::Async) && !cli.wants(Section::Apply));
        assert!(Cli::parse_from(["q4"]).wants(Section::Compare));
    }
}
