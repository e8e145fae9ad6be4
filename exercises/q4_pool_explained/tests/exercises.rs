//! The exercises' solutions (the examples of this package), run as a reader runs them.

use support::examples::Examples;

/// This package's examples, built by cargo and run as a reader runs them.
const EXAMPLE: Examples = Examples::of(env!("CARGO_PKG_NAME"));

#[test]
fn imap_keeps_input_order_and_imap_unordered_does_not() {
    let out = EXAMPLE.stdout("unordered", &[]);
    assert!(
        out.starts_with("imap:           [300, 10, 200, 20, 100]"),
        "{out}"
    );
    // Finishing order depends on timing, but every result comes once.
    let unordered = out.lines().nth(1).unwrap();
    let inside = &unordered[unordered.find('[').unwrap() + 1..unordered.find(']').unwrap()];
    let mut got: Vec<u64> = inside.split(", ").map(|n| n.parse().unwrap()).collect();
    got.sort_unstable();
    assert_eq!(got, [10, 20, 100, 200, 300]);
}

#[test]
fn workers_retire_after_two_tasks() {
    let out = EXAMPLE.stdout("max_tasks", &[]);
    let pids: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split(" ran on pid ").nth(1))
        .collect();
    assert_eq!(pids.len(), 6, "{out}");
    for pair in pids.chunks(2) {
        assert_eq!(pair[0], pair[1], "{out}");
    }
    assert!(pids[1] != pids[2] && pids[3] != pids[4], "{out}");
    assert!(out.ends_with("6 tasks, 3 worker processes in turn: each retired after 2\n"));
}

#[test]
fn a_stuck_task_times_out_alone() {
    assert_eq!(
        EXAMPLE.stdout("stuck_task", &[]),
        "task 0: 0\ntask 1: 1\ntask 2: 2\n\
         task 3: task 3 timed out after 200ms; its worker was killed\n\
         task 4: 4\ntask 5: 5\nafterwards: [7, 8]\n"
    );
}
