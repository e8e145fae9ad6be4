//! The exercises' solutions (the examples of this package), run as a reader runs them.

use support::examples::Examples;

/// This package's examples, built by cargo and run as a reader runs them.
const EXAMPLE: Examples = Examples::of(env!("CARGO_PKG_NAME"));

#[test]
fn each_child_draws_its_own_number() {
    let out = EXAMPLE.stdout("own_random", &[]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    for (i, line) in lines[..4].iter().enumerate() {
        assert!(line.starts_with(&format!("process {i} (pid ")), "{line}");
    }
    assert!(lines[4].ends_with(" different numbers out of 4"), "{out}");
}

#[test]
fn the_parent_sums_what_the_children_return() {
    let out = EXAMPLE.stdout("sum_back", &[]);
    let numbers: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split(" returned ").nth(1))
        .collect();
    assert_eq!(numbers, ["1", "2", "3", "4"], "joined in the order started");
    assert!(out.ends_with("sum: 10\n"));
}

#[test]
fn dropped_handles_kill_their_children() {
    let out = EXAMPLE.stdout("never_joined", &[]);
    assert!(out.ends_with("children still alive: 0\n"), "{out}");
    assert!(!out.contains("finished"), "{out}");
}
