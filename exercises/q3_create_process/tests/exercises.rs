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
fn the_child_returns_the_length() {
    let out = example::stdout("word_length", &["multiprocessing"]);
    assert!(
        out.ends_with(" says \"multiprocessing\" has 15 letters\n"),
        "{out}"
    );
    let out = example::stdout("word_length", &[]);
    assert!(out.ends_with(" says \"process\" has 7 letters\n"), "{out}");
}

#[test]
fn every_child_names_this_program_as_its_parent() {
    let out = example::stdout("parent_pid", &[]);
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
    let out = example::stdout("terminate", &[]);
    assert!(
        out.starts_with(
            "the child ended: killed by signal 15 (SIGTERM) (exitcode Some(-15)), after "
        ),
        "{out}"
    );
    assert!(out.contains("died, killed by signal 15 (SIGTERM)"), "{out}");
}
