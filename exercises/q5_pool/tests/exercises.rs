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
fn factorials_come_from_gamma() {
    let out = example::stdout("factorial", &[]);
    assert!(out.starts_with("0! = 1\n1! = 1\n2! = 2\n3! = 6\n"), "{out}");
    assert!(out.ends_with("10! = 3628800\n"), "{out}");
}

#[test]
fn starmap_unpacks_the_tuples() {
    assert_eq!(example::stdout("starmap", &[]), "[1024, 81, 1000]\n");
}

#[test]
fn a_killed_worker_fails_its_value_only() {
    let out = example::stdout("killed_worker", &[]);
    assert!(
        out.starts_with("map: task 3 failed: worker process "),
        "{out}"
    );
    assert!(out.contains("imap: 3 -> 9\nimap: 4 -> task 3 failed: worker process "));
    assert!(out.contains(" died, killed by signal 9 (SIGKILL)\nimap: 5 -> 25\nimap: 6 -> 36\n"));
    assert!(out.ends_with("the pool goes on: [49, 64]\n"), "{out}");
}
