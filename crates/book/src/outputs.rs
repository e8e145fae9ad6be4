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
    /// Whether the command is run as a program or is a compile that must fail.
    pub kind: Kind,
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
    /// Pictures the command draws, relative to `docs/src`: it is given `--svg docs/src/DIR`
    /// and each picture is `DIR/NAME.svg`. The tool runs it with a fresh temporary directory in
    /// place of `DIR` and moves the pictures into the book only if the run ended as expected,
    /// so the pictures and the output always come from the same run.
    pub pictures: &'static [&'static str],
}

/// What kind of command an output records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A program, run as the reader runs it ([`crate::run`]).
    Run,
    /// A compiler error: `rustc --edition E snippet.rs`, compiled with the workspace's `rustc`
    /// and held to the snippet's `compile_fail` doctest ([`crate::compile`]).
    CompileError,
}

/// How a command is expected to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// It exits with this code.
    Code(i32),
    /// It is ended by this signal (a `panic = "abort"` build's SIGABRT, say).
    Signal(i32),
    /// It is still running after this long (it hangs, as Python's pool does when a worker
    /// dies); the tool then kills it and keeps what it printed.
    Hangs(Duration),
}

const fn output(file: &'static str, command: &'static str) -> Output {
    Output {
        file,
        command,
        kind: Kind::Run,
        expect: Expect::Code(0),
        varies: None,
        kill_worker: None,
        stdout_only: false,
        time_limit: None,
        pictures: &[],
    }
}

/// An output that changes from run to run for the reason given.
const fn varies(file: &'static str, command: &'static str, why: &'static str) -> Output {
    Output {
        varies: Some(why),
        ..output(file, command)
    }
}

/// The compiler's error for a snippet that must not compile: `command` is
/// `rustc --edition 2024 path/to/snippet.rs` (see [`crate::compile`]).
const fn compile_error(file: &'static str, command: &'static str) -> Output {
    Output {
        kind: Kind::CompileError,
        expect: Expect::Code(1),
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
    // The Rust you need: the compiler that printed the book's errors, then the errors.
    output("rust_you_need/rustc_version.output.txt", "rustc --version"),
    compile_error(
        "rust_you_need/borrow_into_thread.output.txt",
        "rustc --edition 2024 crates/primer/compile_fail/borrow_into_thread.rs",
    ),
    compile_error(
        "rust_you_need/use_after_move.output.txt",
        "rustc --edition 2024 crates/primer/compile_fail/use_after_move.rs",
    ),
    compile_error(
        "rust_you_need/rc_across_threads.output.txt",
        "rustc --edition 2024 crates/primer/compile_fail/rc_across_threads.rs",
    ),
    compile_error(
        "rust_you_need/refcell_across_threads.output.txt",
        "rustc --edition 2024 crates/primer/compile_fail/refcell_across_threads.rs",
    ),
    compile_error(
        "rust_you_need/assign_through_arc.output.txt",
        "rustc --edition 2024 crates/primer/compile_fail/assign_through_arc.rs",
    ),
    varies(
        "rust_you_need/panics.output.txt",
        "cargo run -p primer --bin panics",
        "thread ids",
    ),
    Output {
        time_limit: Some(Duration::from_secs(300)),
        ..varies(
            "rust_you_need/debug_vs_release.output.txt",
            "cargo run -p primer --bin debug_vs_release",
            "timings, and the machine's load",
        )
    },
    // Question 1
    Output {
        pictures: &["q1_why_multiprocessing/processes_threads.svg"],
        ..varies(
            "q1_why_multiprocessing/pi.output.txt",
            "cargo run -p q1_why_multiprocessing -- --seed 7 --svg docs/src/q1_why_multiprocessing",
            "timings",
        )
    },
    varies(
        "q1_why_multiprocessing/pi_py.output.txt",
        "python3 docs/src/q1_why_multiprocessing/pi.py",
        "timings",
    ),
    // The GIL picture's data: each thread's slices of work, timed by the program itself.
    varies(
        "q1_why_multiprocessing/gil_py.output.txt",
        "python3 docs/src/q1_why_multiprocessing/gil.py",
        "timings, and how the threads took turns",
    ),
    varies(
        "q1_why_multiprocessing/slices.output.txt",
        "cargo run -p q1_why_multiprocessing --example slices",
        "timings, and how the threads shared the cores",
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
    compile_error(
        "q2_processes_vs_threads/racy_counter.output.txt",
        "rustc --edition 2024 exercises/q2_processes_vs_threads/compile_fail/racy_counter.rs",
    ),
    varies(
        "q2_processes_vs_threads/sharing.output.txt",
        "cargo run -p q2_processes_vs_threads -- --only sharing",
        "timings and load",
    ),
    varies(
        "q2_processes_vs_threads/sharing_py.output.txt",
        "python3 docs/src/q2_processes_vs_threads/sharing.py",
        "how many updates are lost, and timings",
    ),
    varies(
        "q2_processes_vs_threads/cost.output.txt",
        "cargo run -p q2_processes_vs_threads -- --only cost",
        "timings and load",
    ),
    varies(
        "q2_processes_vs_threads/ipc.output.txt",
        "cargo run -p q2_processes_vs_threads -- --only ipc",
        "timings and load",
    ),
    varies(
        "q2_processes_vs_threads/ipc_py.output.txt",
        "python3 docs/src/q2_processes_vs_threads/ipc.py",
        "timings and load",
    ),
    varies(
        "q2_processes_vs_threads/faults.output.txt",
        "cargo run -p q2_processes_vs_threads -- --only faults",
        "process ids",
    ),
    // Question 3
    varies(
        "q3_create_process/command.output.txt",
        "cargo run -p q3_create_process -- command",
        "process ids",
    ),
    varies(
        "q3_create_process/fork.output.txt",
        "cargo run -p q3_create_process -- fork",
        "process ids",
    ),
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
    Output {
        pictures: &["q3_create_process/processes.svg"],
        ..varies(
            "q3_create_process/download.output.txt",
            "cargo run -p q3_create_process -- download -o /tmp/q3 --svg docs/src/q3_create_process",
            "the port, the order of the downloads, timings",
        )
    },
    Output {
        pictures: &["q3_create_process/threads.svg"],
        ..varies(
            "q3_create_process/threads.output.txt",
            "cargo run -p q3_create_process -- download --threads -o /tmp/q3 --svg docs/src/q3_create_process",
            "the port, the order of the downloads, timings",
        )
    },
    // Question 4
    Output {
        pictures: &["q4_pool_explained/apply.svg", "q4_pool_explained/map.svg"],
        ..varies(
            "q4_pool_explained/apply_map.output.txt",
            "cargo run -p q4_pool_explained -- --only apply,map --svg docs/src/q4_pool_explained",
            "process ids, timings, which worker takes which task",
        )
    },
    Output {
        pictures: &[
            "q4_pool_explained/apply_async.svg",
            "q4_pool_explained/imap.svg",
        ],
        ..varies(
            "q4_pool_explained/async_imap.output.txt",
            "cargo run -p q4_pool_explained -- --only async,imap --svg docs/src/q4_pool_explained",
            "process ids, timings, which worker takes which task",
        )
    },
    Output {
        pictures: &[
            "q4_pool_explained/compare_pool.svg",
            "q4_pool_explained/compare_per_task.svg",
        ],
        ..varies(
            "q4_pool_explained/compare.output.txt",
            "cargo run -p q4_pool_explained -- --only compare --unit-ms 0 --tasks 30 --svg docs/src/q4_pool_explained",
            "process ids and timings",
        )
    },
    Output {
        expect: Expect::Code(1),
        pictures: &["q4_pool_explained/crash/imap.svg"],
        ..varies(
            "q4_pool_explained/crash.output.txt",
            "cargo run -p q4_pool_explained -- --only imap --crash 4 --svg docs/src/q4_pool_explained/crash",
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
        pictures: &["q5_pool/trace.svg"],
        ..output(
            "q5_pool/trace.output.txt",
            "cargo run -p q5_pool -- --trace --work-ms 50 --svg docs/src/q5_pool",
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
    // How the pool works: what each start method costs.
    Output {
        time_limit: Some(Duration::from_secs(600)),
        ..varies(
            "how_the_pool_works/start_methods.output.txt",
            "cargo run --release -p common --example start_methods",
            "timings, process ids, and the machine's load",
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
    // Beyond one machine: timely dataflow on a cluster of processes over loopback.
    output(
        "beyond_one_machine/cluster.output.txt",
        "cargo run -p beyond_one_machine",
    ),
    output(
        "beyond_one_machine/who.output.txt",
        "cargo run -p beyond_one_machine -- --who",
    ),
    Output {
        expect: Expect::Code(1),
        ..output(
            "beyond_one_machine/alone_0.output.txt",
            "cargo run -p beyond_one_machine -- -n 2 -p 0 --hostfile docs/src/beyond_one_machine/hosts.txt --timeout 3",
        )
    },
    Output {
        expect: Expect::Code(1),
        ..output(
            "beyond_one_machine/alone_1.output.txt",
            "cargo run -p beyond_one_machine -- -n 2 -p 1 --hostfile docs/src/beyond_one_machine/hosts.txt --timeout 3",
        )
    },
    Output {
        expect: Expect::Code(1),
        ..varies(
            "beyond_one_machine/kill.output.txt",
            "cargo run -p beyond_one_machine -- --work-ms 300 --kill 1",
            "process ids, timings, how many lines print before the failure",
        )
    },
    Output {
        expect: Expect::Code(1),
        ..varies(
            "beyond_one_machine/kill_pool.output.txt",
            "cargo run -p beyond_one_machine -- --work-ms 300 --kill 1 --pool",
            "process ids, and which value was running when the worker was killed",
        )
    },
    Output {
        expect: Expect::Code(1),
        ..varies(
            "beyond_one_machine/stop.output.txt",
            "cargo run -p beyond_one_machine -- --work-ms 300 --stop 1 --timeout 5",
            "process ids, timings, how many lines print before the failure",
        )
    },
    Output {
        expect: Expect::Code(1),
        ..varies(
            "beyond_one_machine/stop_pool.output.txt",
            "cargo run -p beyond_one_machine -- --work-ms 300 --stop 1 --timeout 5 --pool",
            "process ids, and which value was running when the worker was stopped",
        )
    },
    varies(
        "beyond_one_machine/rerun.output.txt",
        "cargo run -p beyond_one_machine -- --work-ms 300 --kill 1 --rerun 1",
        "process ids, timings, how many lines print before the failure",
    ),
    Output {
        time_limit: Some(Duration::from_secs(300)),
        ..varies(
            "beyond_one_machine/cost.output.txt",
            "cargo run --release -p beyond_one_machine -- cost",
            "timings, and the machine's load",
        )
    },
    varies(
        "beyond_one_machine/dask.output.txt",
        "python3 docs/src/beyond_one_machine/gamma_dask.py",
        "the versions of Dask and Python installed",
    ),
    varies(
        "beyond_one_machine/dask_kill.output.txt",
        "python3 docs/src/beyond_one_machine/gamma_dask.py --work-ms 300 --kill-after 2",
        "the versions, the worker's address and process id",
    ),
    // Question 6
    Output {
        pictures: &["q6_four_processes/processes.svg"],
        ..varies(
            "q6_four_processes/random.output.txt",
            "cargo run -p q6_four_processes -- --svg docs/src/q6_four_processes",
            "the numbers, the process ids, the order of the lines",
        )
    },
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
    // Common mistakes: each made for real.
    Output {
        expect: Expect::Code(1),
        ..output(
            "common_mistakes/forgot_init.output.txt",
            "cargo run -p mistakes --bin forgot_init",
        )
    },
    varies(
        "common_mistakes/code_before_init.output.txt",
        "cargo run -p mistakes --bin code_before_init",
        "process ids, and the order of the workers' lines",
    ),
    output(
        "common_mistakes/short_lived_thread.output.txt",
        "cargo run -p mistakes --bin short_lived_thread",
    ),
    output(
        "common_mistakes/static_not_shared.output.txt",
        "cargo run -p mistakes --bin static_not_shared",
    ),
    output(
        "common_mistakes/global_counter_py.output.txt",
        "python3 docs/src/common_mistakes/global_counter.py",
    ),
    varies(
        "common_mistakes/panic_unwind.output.txt",
        "cargo run -p mistakes --bin panic_abort",
        "thread ids",
    ),
    Output {
        expect: Expect::Signal(6),
        // The first build of the `abort` profile compiles every dependency again.
        time_limit: Some(Duration::from_secs(600)),
        ..varies(
            "common_mistakes/panic_abort.output.txt",
            "cargo run --profile abort -p mistakes --bin panic_abort",
            "process and thread ids, and whether a replacement worker was starting",
        )
    },
    Output {
        expect: Expect::Code(1),
        ..varies(
            "common_mistakes/exit_in_task.output.txt",
            "cargo run -p mistakes --bin exit_in_task",
            "the process id",
        )
    },
    Output {
        expect: Expect::Hangs(Duration::from_secs(5)),
        ..output(
            "common_mistakes/sys_exit_py.output.txt",
            "python3 docs/src/common_mistakes/sys_exit.py",
        )
    },
    Output {
        expect: Expect::Code(1),
        ..varies(
            "common_mistakes/lambda_py.output.txt",
            "python3 docs/src/common_mistakes/lambda_pickle.py",
            "a memory address",
        )
    },
    compile_error(
        "common_mistakes/capturing_closure_as_fn.output.txt",
        "rustc --edition 2024 crates/mistakes/compile_fail/capturing_closure_as_fn.rs",
    ),
    varies(
        "common_mistakes/shared_seed.output.txt",
        "cargo run -p mistakes --bin shared_seed",
        "the numbers",
    ),
    varies(
        "common_mistakes/shared_seed_py.output.txt",
        "python3 docs/src/common_mistakes/shared_seed.py",
        "the numbers",
    ),
];

/// The directory a command's `--svg DIR` names, if it has one.
pub fn svg_dir(command: &str) -> Option<&str> {
    let mut words = command.split_whitespace();
    words.find(|w| *w == "--svg")?;
    words.next()
}

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
    fn pictures_are_drawn_into_the_directory_their_command_names() {
        for output in OUTPUTS.iter().filter(|o| !o.pictures.is_empty()) {
            let dir = svg_dir(output.command)
                .unwrap_or_else(|| panic!("{}: draws pictures without --svg", output.file));
            let dir = dir
                .strip_prefix("docs/src/")
                .unwrap_or_else(|| panic!("{}: --svg must name docs/src/…", output.file));
            for picture in output.pictures {
                assert_eq!(
                    Path::new(picture).parent(),
                    Some(Path::new(dir)),
                    "{}: {picture}",
                    output.file
                );
                assert!(picture.ends_with(".svg"), "{picture}");
            }
        }
    }

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
