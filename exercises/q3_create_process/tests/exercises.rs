//! The exercises' solutions (the examples of this package), run as a reader runs them.

use support::examples::Examples;

/// This package's examples, built by cargo and run as a reader runs them.
const EXAMPLE: Examples = Examples::of(env!("CARGO_PKG_NAME"));

#[test]
fn the_child_returns_the_length() {
    let out = EXAMPLE.stdout("word_length", &["multiprocessing"]);
    assert!(
        out.ends_with(" says \"multiprocessing\" has 15 letters\n"),
        "{out}"
    );
    let out = EXAMPLE.stdout("word_length", &[]);
    assert!(out.ends_with(" says \"process\" has 7 letters\n"), "{out}");
}

#[test]
fn every_child_names_this_program_as_its_parent() {
    let out = EXAMPLE.stdout("parent_pid", &[]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    for (i, line) in lines.iter().enumerate() {
        assert!(
            line.starts_with(&format!("child {}: pid ", i + 1)),
            "{line}"
        );
        assert!(line.ends_with("(this program)"), "{line}");
    }
}

#[test]
fn a_terminated_child_ends_by_sigterm() {
    let out = EXAMPLE.stdout("terminate", &[]);
    assert!(
        out.starts_with(
            "the child ended: killed by signal 15 (SIGTERM) (exitcode Some(-15)), after "
        ),
        "{out}"
    );
    assert!(out.contains("died, killed by signal 15 (SIGTERM)"), "{out}");
}
