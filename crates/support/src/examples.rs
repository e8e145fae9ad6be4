//! For tests: running the examples of the package under test as a reader runs them
//! (`cargo run -p PACKAGE --example NAME`). Each exercise's solutions are examples, and its
//! `tests/exercises.rs` runs them with this:
//!
//! ```no_run
//! use support::examples::Examples;
//!
//! const EXAMPLE: Examples = Examples::of(env!("CARGO_PKG_NAME"));
//!
//! assert!(EXAMPLE.stdout("chunked", &[]).ends_with("same count\n"));
//! ```
//!
//! Behind the `examples` feature (a dev-dependency's), so the programs themselves do not
//! depend on escargot: assert_cmd finds a package's binaries, not its examples.

use std::process::{Command, Output};

/// The examples of one package of this workspace.
#[derive(Debug, Clone, Copy)]
pub struct Examples {
    package: &'static str,
}

impl Examples {
    /// The examples of `package`; in a test, `Examples::of(env!("CARGO_PKG_NAME"))`.
    pub const fn of(package: &'static str) -> Self {
        Examples { package }
    }

    /// The built example `name`, ready to run (escargot builds it if `cargo test` has not: a
    /// plain `cargo test` builds every example).
    ///
    /// # Panics
    /// If the example cannot be built: the test fails with cargo's reason.
    pub fn command(self, name: &str) -> Command {
        escargot::CargoBuild::new()
            .package(self.package)
            .example(name)
            .run()
            .unwrap_or_else(|e| panic!("cannot build example {name}: {e}"))
            .command()
    }

    /// Runs example `name` with `args`; checks it succeeded; returns its standard output.
    ///
    /// # Panics
    /// If it cannot be built or run, fails, or prints something that is not UTF-8: the test
    /// fails with its exit status and both outputs.
    pub fn stdout(self, name: &str, args: &[&str]) -> String {
        let Output {
            status,
            stdout,
            stderr,
        } = self
            .command(name)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run example {name}: {e}"));
        let stdout = String::from_utf8(stdout)
            .unwrap_or_else(|e| panic!("{name} printed something that is not UTF-8: {e}"));
        assert!(
            status.success(),
            "{name}: {status}\n{stdout}{}",
            String::from_utf8_lossy(&stderr)
        );
        stdout
    }
}
