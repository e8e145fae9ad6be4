//! The exercises' solutions (the examples of this package), run as a reader runs them.

use support::examples::Examples;

/// This package's examples, built by cargo and run as a reader runs them.
const EXAMPLE: Examples = Examples::of(env!("CARGO_PKG_NAME"));

#[test]
fn factorials_come_from_gamma() {
    let out = EXAMPLE.stdout("factorial", &[]);
    assert!(out.starts_with("0! = 1\n1! = 1\n2! = 2\n3! = 6\n"), "{out}");
    assert!(out.ends_with("10! = 3628800\n"), "{out}");
}

#[test]
fn starmap_unpacks_the_tuples() {
    assert_eq!(EXAMPLE.stdout("starmap", &[]), "[1024, 81, 1000]\n");
}

#[test]
fn a_killed_worker_fails_its_value_only() {
    let out = EXAMPLE.stdout("killed_worker", &[]);
    assert!(
        out.starts_with("map: task 3 failed: worker process "),
        "{out}"
    );
    assert!(out.contains("imap: 3 -> 9\nimap: 4 -> task 3 failed: worker process "));
    assert!(out.contains(" died, killed by signal 9 (SIGKILL)\nimap: 5 -> 25\nimap: 6 -> 36\n"));
    assert!(out.ends_with("the pool goes on: [49, 64]\n"), "{out}");
}
