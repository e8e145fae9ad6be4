//! The exercises' solutions (the examples of this package), run as a reader runs them.

use support::examples::Examples;

/// This package's examples, built by cargo and run as a reader runs them.
const EXAMPLE: Examples = Examples::of(env!("CARGO_PKG_NAME"));

#[test]
fn a_thread_changes_the_list_a_child_changes_its_copy() {
    assert_eq!(
        EXAMPLE.stdout("shared_list", &[]),
        "after the thread pushed: [1, 2, 3, 4]\n\
         the child's copy had 5 items; the parent's list still has 4\n"
    );
}

#[test]
fn pool_cost_prints_both_medians() {
    let out = EXAMPLE.stdout("pool_cost", &[]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("Pool::new(1) + apply + join, median of 9: "));
    assert!(lines[1].starts_with("ThreadPool::new(1) + map, median of 9: "));
}

#[test]
fn exit_ends_only_the_child_whichever_thread_calls_it() {
    let out = EXAMPLE.stdout("exit_in_child", &[]);
    assert!(out.contains("exit(3) in a child process: the child ended with exit code 3\n"));
    assert!(out.contains("exit(3) on a thread of a child: the child ended with exit code 3\n"));
    assert!(out.contains("is still here"), "{out}");
}
