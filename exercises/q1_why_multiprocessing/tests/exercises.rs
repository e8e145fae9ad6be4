//! The exercises' solutions (the examples of this package), run as a reader runs them.

mod example {
    use std::process::{Command, Output};

    /// The built example `name` of this package, ready to run (escargot builds it if `cargo
    /// test` has not: a plain `cargo test` builds every example).
    pub fn command(name: &str) -> Command {
        escargot::CargoBuild::new()
            .package(env!("CARGO_PKG_NAME"))
            .example(name)
            .run()
            .unwrap_or_else(|e| panic!("cannot build example {name}: {e}"))
            .command()
    }

    /// Runs example `name` with `args`; checks it succeeded; returns its standard output.
    pub fn stdout(name: &str, args: &[&str]) -> String {
        let Output {
            status,
            stdout,
            stderr,
        } = command(name).args(args).output().unwrap();
        let stdout = String::from_utf8(stdout).unwrap();
        assert!(
            status.success(),
            "{name}: {status}\n{stdout}{}",
            String::from_utf8_lossy(&stderr)
        );
        stdout
    }
}

#[test]
fn eight_pieces_a_message_count_the_same() {
    assert!(example::stdout("chunked", &[]).ends_with("same count\n"));
}

#[test]
fn scoped_threads_count_the_same() {
    assert!(example::stdout("scoped_threads", &[]).ends_with("same count\n"));
}

#[test]
fn a_panicking_piece_fails_map_with_the_lowest_index_in_both_pools() {
    let out = example::stdout("panicking_piece", &[]);
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
