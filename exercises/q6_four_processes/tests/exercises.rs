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
fn each_child_draws_its_own_number() {
    let out = example::stdout("own_random", &[]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    for (i, line) in lines[..4].iter().enumerate() {
        assert!(line.starts_with(&format!("process {i} (pid ")), "{line}");
    }
    assert!(lines[4].ends_with(" different numbers out of 4"), "{out}");
}

#[test]
fn the_parent_sums_what_the_children_return() {
    let out = example::stdout("sum_back", &[]);
    let numbers: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split(" returned ").nth(1))
        .collect();
    assert_eq!(numbers, ["1", "2", "3", "4"], "joined in the order started");
    assert!(out.ends_with("sum: 10\n"));
}

#[test]
fn dropped_handles_kill_their_children() {
    let out = example::stdout("never_joined", &[]);
    assert!(out.ends_with("children still alive: 0\n"), "{out}");
    assert!(!out.contains("finished"), "{out}");
}
