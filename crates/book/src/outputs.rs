//! Every program output the book shows, and the command that produces it: the one list the
//! regenerate tool runs and the checker holds the book to.
//!
//! To show a new output: add an [`Output`] here, run `cargo run -p book --bin regenerate --
//! FILTER`, and include the file in a chapter inside a `console` code block.

use std::path::Path;
use std::time::Duration;

use crate::check::{Problem, directives, files_under, line_of};

/// One output file of the book and how to produce it.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// Where the output goes, relative to `docs/src`. Ends in `.output.txt`.
    pub file: &'static str,
    /// The command exactly as the reader types it at the workspace root; it becomes the first
    /// line of the file, after `$ `. Words are split on spaces (no quoting).
    pub command: &'static str,
    /// How the command must end; anything else is an error and nothing is written.
    pub expect: Expect,
    /// Why two runs print different text (process ids, timings…), if they do. The file then
    /// holds one real run, and the chapter must say "one real run" next to it.
    pub varies: Option<&'static str>,
    /// Kill one worker process (with SIGKILL) this long after the program prints its first
    /// output: the "kill a worker" experiments, done for real.
    pub kill_worker: Option<Duration>,
    /// Keep standard output only; standard error (progress) goes to the terminal of whoever
    /// regenerates. For a program whose stdout is a document (the benchmark table).
    pub stdout_only: bool,
    /// How long the command may take (default [`crate::run::TIME_LIMIT`]).
    pub time_limit: Option<Duration>,
}

/// How a command is expected to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// It exits with this code.
    Code(i32),
    /// It is still running after this long (it hangs, as Python's pool does when a worker
    /// dies); the tool then kills it and keeps what it printed.
    Hangs(Duration),
}

const fn output(file: &'static str, command: &'static str) -> Output {
    Output {
        file,
        command,
        expect: Expect::Code(0),
        varies: None,
        kill_worker: None,
        stdout_only: false,
        time_limit: None,
    }
}

/// An output that changes from run to run for the reason given.
const fn varies(file: &'static str, command: &'static str, why: &'static str) -> Output {
    Output {
        varies: Some(why),
        ..output(file, command)
    }
}

/// The outputs of the book, chapter by chapter.
pub const OUTPUTS: &[Output] = &[
    // Introduction
    output(
        "introduction/help.output.txt",
        "cargo run -p q5_pool -- --help",
    ),
    // Question 1
    varies(
        "q1_why_multiprocessing/pi.output.txt",
        "cargo run -p q1_why_multiprocessing -- --seed 7",
        "timings",
    ),
    varies(
        "q1_why_multiprocessing/pi_py.output.txt",
        "python3 docs/src/q1_why_multiprocessing/pi.py",
        "timings",
    ),
    // Question 2
    varies(
        "q2_processes_vs_threads/memory.output.txt",
        "cargo run -p q2_processes_vs_threads -- --only memory",
        "a memory address",
    ),
    output(
        "q2_processes_vs_threads/memory_py.output.txt",
        "python3 docs/src/q2_processes_vs_threads/memory.py",
    ),
    varies(
        "q2_processes_vs_threads/cost.output.txt",
        "cargo run -p q2_processes_vs_threads -- --only cost,ipc",
        "timings and load",
    ),
    varies(
        "q2_processes_vs_threads/faults.output.txt",
        "cargo run -p q2_processes_vs_threads -- --only faults",
        "process ids",
    ),
    // Question 3
    varies(
        "q3_create_process/pid.output.txt",
        "cargo run -p q3_create_process -- pid",
        "process ids",
    ),
    varies(
        "q3_create_process/pid_py.output.txt",
        "python3 docs/src/q3_create_process/worker.py",
        "process ids",
    ),
    varies(
        "q3_create_process/download.output.txt",
        "cargo run -p q3_create_process -- download -o /tmp/q3",
        "the port, the order of the downloads, timings",
    ),
    varies(
        "q3_create_process/threads.output.txt",
        "cargo run -p q3_create_process -- download --threads -o /tmp/q3",
        "the port, the order of the downloads, timings",
    ),
    // Question 4
    varies(
        "q4_pool_explained/apply_map.output.txt",
        "cargo run -p q4_pool_explained -- --only apply,map",
        "process ids, timings, which worker takes which task",
    ),
    varies(
        "q4_pool_explained/compare.output.txt",
        "cargo run -p q4_pool_explained -- --only compare --unit-ms 0 --tasks 30",
        "process ids and timings",
    ),
    Output {
        expect: Expect::Code(1),
        ..varies(
            "q4_pool_explained/crash.output.txt",
            "cargo run -p q4_pool_explained -- --only imap --crash 4",
            "process ids and timings",
        )
    },
    varies(
        "q4_pool_explained/pool_ways_py.output.txt",
        "python3 docs/src/q4_pool_explained/pool_ways.py",
        "process ids and timings",
    ),
    // Question 5
    output("q5_pool/gamma.output.txt", "cargo run -p q5_pool"),
    output(
        "q5_pool/gamma_py.output.txt",
        "python3 docs/src/q5_pool/gamma_pool.py",
    ),
    output(
        "q5_pool/threads.output.txt",
        "cargo run -p q5_pool -- --threads",
    ),
    output(
        "q5_pool/square.output.txt",
        "cargo run -p q5_pool -- square",
    ),
    output(
        "q5_pool/square_py.output.txt",
        "python3 docs/src/q5_pool/squares.py",
    ),
    Output {
        varies: Some("process ids and timings"),
        ..output(
            "q5_pool/trace.output.txt",
            "cargo run -p q5_pool -- --trace --work-ms 50",
        )
    },
    Output {
        expect: Expect::Code(1),
        ..output(
            "q5_pool/errors.output.txt",
            "cargo run -p q5_pool -- 3 0 -2 172 4",
        )
    },
    Output {
        expect: Expect::Code(1),
        ..output(
            "q5_pool/errors_py.output.txt",
            "python3 docs/src/q5_pool/gamma_pool.py 3 0 -2 172 4",
        )
    },
    Output {
        expect: Expect::Code(1),
        varies: Some("process ids, and which value was running when the worker was killed"),
        kill_worker: Some(Duration::from_millis(500)),
        ..output(
            "q5_pool/kill.output.txt",
            "cargo run -p q5_pool -- --work-ms 1000",
        )
    },
    Output {
        expect: Expect::Hangs(Duration::from_secs(8)),
        varies: Some("how many lines print before the worker dies"),
        kill_worker: Some(Duration::from_millis(500)),
        ..output(
            "q5_pool/kill_py.output.txt",
            "python3 docs/src/q5_pool/gamma_pool.py --work-ms 1000",
        )
    },
    // Measured results: the benchmark runner's table (Markdown on stdout, progress on stderr).
    Output {
        stdout_only: true,
        time_limit: Some(Duration::from_secs(900)),
        ..varies(
            "measured_results/side_by_side.output.txt",
            "cargo run --release -p benches --bin side_by_side",
            "timings, and the machine's load",
        )
    },
    // Question 6
    varies(
        "q6_four_processes/random.output.txt",
        "cargo run -p q6_four_processes",
        "the numbers, the process ids, the order of the lines",
    ),
    varies(
        "q6_four_processes/seed.output.txt",
        "cargo run -p q6_four_processes -- --seed 7",
        "the process ids and the order of the lines",
    ),
    varies(
        "q6_four_processes/numbers.output.txt",
        "cargo run -p q6_four_processes -- --numbers",
        "the process ids and the order of the lines",
    ),
    varies(
        "q6_four_processes/threads.output.txt",
        "cargo run -p q6_four_processes -- --threads --seed 7",
        "the process id and the order of the lines",
    ),
    varies(
        "q6_four_processes/random_py.output.txt",
        "python3 docs/src/q6_four_processes/random_numbers.py",
        "the numbers, the process ids, the order of the lines",
    ),
    varies(
        "q6_four_processes/numbers_py.output.txt",
        "python3 docs/src/q6_four_processes/numbers.py",
        "the process ids and the order of the lines",
    ),
];

/// How many lines around an include of a varying output must say "one real run".
const LABEL_WINDOW: usize = 10;

/// Holds `src` (a book's `src/` directory) to `outputs`: every listed file exists and starts with
/// its command; every `*.output.txt` file is listed (so none was typed by hand); every varying
/// output is labelled where a chapter shows it.
pub fn check_outputs(src: &Path, outputs: &[Output]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let complain = |file: &Path, line: usize, message: String| Problem {
        file: file.to_path_buf(),
        line,
        message,
    };
    for output in outputs {
        let file = src.join(output.file);
        let want = format!("$ {}", output.command);
        let first = std::fs::read_to_string(&file)
            .ok()
            .map(|text| text.lines().next().unwrap_or("").to_owned());
        let labelled = |line: &str| {
            line.strip_prefix(&want)
                .and_then(|rest| rest.strip_prefix("  # "))
                .is_some_and(|label| label.contains("Python") && label.contains("start method"))
        };
        match first {
            None => problems.push(complain(
                &file,
                1,
                "is listed in OUTPUTS but missing: run `cargo run -p book --bin regenerate`".into(),
            )),
            Some(line) if crate::run::is_python(output.command) && !labelled(&line) => {
                problems.push(complain(
                    &file,
                    1,
                    format!(
                        "first line should be `{want}  # <which Python, which start method>` \
                         (run `cargo run -p book --bin regenerate`)"
                    ),
                ));
            }
            Some(line) if !crate::run::is_python(output.command) && line != want => {
                problems.push(complain(
                    &file,
                    1,
                    format!(
                        "first line should be `{want}` (run `cargo run -p book --bin regenerate`)"
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    let files = files_under(src);
    for file in &files {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let listed = outputs.iter().any(|o| src.join(o.file) == *file);
        if name.ends_with(".output.txt") && !listed {
            problems.push(complain(
                file,
                1,
                "is not produced by the regenerate tool: add it to OUTPUTS in \
                 crates/book/src/outputs.rs"
                    .into(),
            ));
        }
    }
    for chapter in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "md"))
    {
        let Ok(text) = std::fs::read_to_string(chapter) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        let dir = chapter.parent().unwrap_or(src);
        for directive in directives(&text)
            .into_iter()
            .filter(|d| d.name == "include")
        {
            let path = directive.args.split_whitespace().next().unwrap_or("");
            let Some(output) = outputs
                .iter()
                .find(|o| o.varies.is_some() && same_file(&dir.join(path), &src.join(o.file)))
            else {
                continue;
            };
            let line = line_of(&text, directive.start);
            let window = &lines
                [line.saturating_sub(LABEL_WINDOW + 1)..(line + LABEL_WINDOW).min(lines.len())];
            if !window
                .iter()
                .any(|l| l.to_lowercase().contains("one real run"))
            {
                problems.push(complain(
                    chapter,
                    line,
                    format!(
                        "shows `{}`, which varies from run to run, without saying \"one real run\" \
                         within {LABEL_WINDOW} lines of it",
                        output.file
                    ),
                ));
            }
        }
    }
    problems
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_listed_once_with_sane_commands() {
        let mut files: Vec<&str> = OUTPUTS.iter().map(|o| o.file).collect();
        files.sort_unstable();
        files.dedup();
        assert_eq!(files.len(), OUTPUTS.len(), "an output file is listed twice");
        for output in OUTPUTS {
            assert!(output.file.ends_with(".output.txt"), "{}", output.file);
            assert!(
                !output
                    .command
                    .contains(['"', '\'', '|', '>', '<', '&', ';']),
                "commands are plain words, run without a shell: {}",
                output.command
            );
        }
    }
}
