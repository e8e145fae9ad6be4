//! Keeps the book in `docs/` honest.
//!
//! The book shows code and program output. Code comes from the crates by anchor
//! (`{{#rustdoc_include path:anchor}}`), so it is always code that builds and is tested. Output
//! comes from files that a tool writes by running each command for real, so it is always what
//! the program prints. This crate holds both halves of that promise:
//!
//! - [`outputs::OUTPUTS`] lists every output file and the command that produces it. The
//!   [`regenerate`] tool runs them: `cargo run -p book --bin regenerate` (all), `… -- q5_pool`
//!   (those whose file or command contains `q5_pool`), `… -- --check` (compare without
//!   writing).
//! - [`check::check`] finds what `mdbook build` lets through: an include of a missing file or
//!   anchor, an included anchor longer than [`check::MAX_ANCHOR_LINES`] (a listing shows the
//!   idea, short), a link to a missing chapter or heading, a chapter left out of `SUMMARY.md`, an
//!   output file no command produces, and a [claim](claims) that the output it names no
//!   longer supports. `cargo test -p book` runs it on `docs/`, so `cargo test --workspace`
//!   fails on a broken book.
//! - [`pictures`] holds the pictures of data to the same rule: each is drawn by code from a real
//!   run, and a chart is redrawn whenever the output it is drawn from changes.
//! - [`browser`] opens the built book in headless Chromium, as a reader would (`cargo run -p
//!   book --bin browser`, run by `.ci/run`).
//! - [`quiz`] holds quiz answers that quote a program's output to the generated output file.
//! - [`compile`] captures the compiler errors the book shows and holds each to its snippet and
//!   its `compile_fail` doctest.

// Output goes through `support::out` (`outln!`/`errln!`), which cannot panic on a closed pipe.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod browser;
pub mod check;
pub mod claims;
pub mod compile;
pub mod outputs;
pub mod pictures;
pub mod quiz;
pub mod regenerate;
pub mod run;

use std::path::{Path, PathBuf};

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .unwrap_or(manifest)
        .to_path_buf()
}

/// The book: the directory that holds `book.toml`.
pub fn book_dir() -> PathBuf {
    workspace_root().join("docs")
}
