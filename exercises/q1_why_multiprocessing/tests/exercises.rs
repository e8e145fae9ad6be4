//! The exercises' solutions (the examples of this package), run as a reader runs them.

use support::examples::Examples;

/// This package's examples, built by cargo and run as a reader runs them.
const EXAMPLE: Examples = Examples::of(env!("CARGO_PKG_NAME"));

#[test]
fn eight_pieces_a_message_count_the_same() {
    assert!(EXAMPLE.stdout("chunked", &[]).ends_with("same count\n"));
}

#[test]
fn scoped_threads_count_the_same() {
    assert!(
        EXAMPLE
            .stdout("scoped_threads", &[])
            .ends_with("same count\n")
    );
}

#[test]
fn a_panicking_piece_fails_map_with_the_lowest_index_in_both_pools() {
    let out = EXAMPLE.stdout("panicking_piece", &[]);
    for mode in ["processes", "threads"] {
        assert!(
            out.contains(&format!(
                "{mode}: map failed on piece Some(10): task 10 panicked at"
            )),
            "{out}"
        );
    }
    assert_eq!(out.matches("this piece is cursed").count(), 2, "{out}");
}
