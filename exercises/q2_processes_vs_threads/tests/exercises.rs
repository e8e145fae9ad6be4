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
fn a_thread_changes_the_list_a_child_changes_its_copy() {
    assert_eq!(
        example::stdout("shared_list", &[]),
        "after the thread pushed: [1, 2, 3, 4]\n\
         the child's copy had 5 items; the parent's list still has 4\n"
    );
}

#[test]
fn pool_cost_prints_both_medians() {
    let out = example::stdout("pool_cost", &[]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("Pool::new(1) + apply + join, median of 9: "));
    assert!(lines[1].starts_with("ThreadPool::new(1) + map, median of 9: "));
}

#[test]
fn exit_ends_only_the_child_whichever_thread_calls_it() {
    let out = example::stdout("exit_in_child", &[]);
    assert!(out.contains("exit(3) in a child process: the child ended with exit code 3\n"));
    assert!(out.contains("exit(3) on a thread of a child: the child ended with exit code 3\n"));
    assert!(out.contains("is still here"), "{out}");
}
