//! The side-by-side runner runs end to end: a smoke run (one sample per workload, not a
//! measurement) over one workload of each kind, so `cargo test` stays quick. The full run is a
//! manual command (see the README).

use std::process::Command;

const SUBSET: &[&str] = &[
    "spawn.",
    "pool.ready.1",
    "roundtrip.",
    "map.1000.",
    "cpu.coarse.sequential",
    "cpu.gamma.pool.1",
    "io.3x50ms.",
    "payload.1024",
    "rss.",
];

fn runner(extra: &[&str], subset: &[&str]) -> (String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_side_by_side"));
    command.args(["--smoke", "--no-programs"]).args(extra);
    for key in subset {
        command.args(["--only", key]);
    }
    let out = command.output().expect("the runner starts");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(
        out.status.success(),
        "exit {}\n{stdout}\n{stderr}",
        out.status
    );
    (stdout, stderr)
}

fn has_python() -> bool {
    Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn prints_the_machine_and_one_table_with_both_columns() {
    let (table, _) = runner(&[], SUBSET);
    for header in [
        "- date: ",
        "- machine: ",
        "- kernel: Linux ",
        "- rustc ",
        "- mode: smoke",
    ] {
        assert!(table.contains(header), "no `{header}` in\n{table}");
    }
    assert!(
        table.contains("| workload | Python | Rust | ratio |"),
        "{table}"
    );
    for row in [
        "| thread start + join |",
        "| Pool(1) ready (Rust: forkserver; Python: fork) |",
        "| Pool(1).apply(square, 7), warm |",
        "| 3 downloads × 50 ms, one process per URL |",
        "| echo 1 KiB |",
        "| one idle pool worker, VmRSS (Rust: forkserver; Python: fork) |",
    ] {
        assert!(table.contains(row), "no `{row}` in\n{table}");
    }
    assert!(table.contains("## Targets"), "{table}");
    if has_python() {
        assert!(table.contains("- Python 3."), "{table}");
        assert!(
            table.contains("Same answers: the 24 xorshift results and 340 gamma values agree"),
            "Python and Rust computed different numbers:\n{table}"
        );
    } else {
        assert!(table.contains("- Python: none"), "{table}");
    }
}

#[test]
fn without_python_the_python_column_is_skipped_and_says_so() {
    let (table, _) = runner(&["--python", "/nonexistent/python3"], &["spawn.thread"]);
    assert!(
        table.contains("- Python: none — no `/nonexistent/python3` found"),
        "{table}"
    );
    let row = table
        .lines()
        .find(|l| l.starts_with("| thread start + join |"))
        .expect("the row is there");
    assert!(row.starts_with("| thread start + join | — | "), "{row}");
}

#[test]
fn the_listing_and_help_follow_the_output_rules() {
    // A closed pipe ends the runner quietly, a full disk is one line and exit code 1.
    support::hostile::assert_output_rules(
        std::path::Path::new(env!("CARGO_BIN_EXE_side_by_side")),
        "side_by_side",
        &["--list"],
    );
}
