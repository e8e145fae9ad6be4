//! The `regenerate` tool: runs every command in [`OUTPUTS`] and writes what it printed to the
//! book.
//!
//! ```text
//! cargo run -p book --bin regenerate                 every output
//! cargo run -p book --bin regenerate -- q5_pool      outputs whose file or command contains q5_pool
//! cargo run -p book --bin regenerate -- --check      compare with the files, write nothing
//! ```
//!
//! Crates are built first (so a compile error shows as one), with `CARGO_TARGET_DIR` respected.
//! A command that ends otherwise than its entry expects writes nothing and fails the run.
//! Afterwards the tool checks the book's claims (see [`crate::claims`]) and lists any that the
//! new outputs no longer support.
//!
//! Its own output follows the exercises' rules (`support::out`): a reader who goes away ends it
//! quietly, a write error is one line and exit code 1.

use std::collections::BTreeSet;
use std::fs;
use std::process::{Command, ExitCode};

use crate::outputs::{Kind, OUTPUTS, Output};
use crate::pictures::{self, DRAWINGS, Drawing};
use crate::run::{self, Paths};
use support::out::OutputError;
use support::{errln, outln};

const USAGE: &str = "\
Usage: cargo run -p book --bin regenerate -- [--check] [FILTER...]

Runs the commands listed in crates/book/src/outputs.rs and writes what each printed to its
file under docs/src/, with the pictures the command drew; then redraws the charts of
crates/book/src/pictures/ from those files. A FILTER keeps the outputs whose file or command
contains it, and the charts whose file contains it or that are drawn from a kept output.

Options:
  --check    compare instead of writing; outputs that vary between runs are compared by
             their first line only
  -h, --help print this help

Exit codes: 0 success, 1 some command failed or differs, 2 usage error.";

/// Runs the tool on its command-line arguments (without the program's name); returns the exit
/// code: 0 success, 1 some command failed or differs, 2 usage error.
pub fn run(args: impl IntoIterator<Item = String>) -> ExitCode {
    let mut check = false;
    let mut filters = Vec::new();
    for arg in args {
        match arg.as_str() {
            "--check" => check = true,
            "-h" | "--help" => {
                return support::cli::finish("regenerate", outln!("{USAGE}").map(|()| true));
            }
            option if option.starts_with('-') => {
                errln!("regenerate: error: unknown option '{option}' (see --help)");
                return ExitCode::from(2);
            }
            filter => filters.push(filter.to_owned()),
        }
    }
    let chosen: Vec<&Output> = OUTPUTS
        .iter()
        .filter(|o| {
            filters.is_empty()
                || filters
                    .iter()
                    .any(|f| o.file.contains(f.as_str()) || o.command.contains(f.as_str()))
        })
        .collect();
    // A drawing is redrawn when it or any output it is drawn from was chosen.
    let drawings: Vec<&Drawing> = DRAWINGS
        .iter()
        .filter(|d| {
            filters.is_empty()
                || filters.iter().any(|f| d.file.contains(f.as_str()))
                || chosen.iter().any(|o| d.sources.contains(&o.file))
        })
        .collect();
    if chosen.is_empty() && drawings.is_empty() {
        errln!("regenerate: error: no output matches {filters:?} (see --help)");
        return ExitCode::from(2);
    }
    support::cli::finish("regenerate", regenerate(&chosen, &drawings, check))
}

/// Regenerates (or with `check`, compares) the `chosen` outputs and the `drawings`; whether
/// every one succeeded.
fn regenerate(chosen: &[&Output], drawings: &[&Drawing], check: bool) -> Result<bool, OutputError> {
    let root = crate::workspace_root();
    let src = crate::book_dir().join("src");
    let paths = Paths::of(&root);
    if let Err(e) = build(chosen, &root) {
        errln!("regenerate: error: {e}");
        return Ok(false);
    }

    let python = chosen
        .iter()
        .any(|o| run::is_python(o.command))
        .then(|| run::python_label(&root))
        .flatten();
    let mut failed = 0;
    for &output in chosen {
        let file = src.join(output.file);
        let ran = match output.kind {
            Kind::Run => run::run(output, &root),
            Kind::CompileError => crate::compile::run(output, &root),
        };
        let ran = match ran {
            Ok(ran) => ran,
            Err(e) => {
                errln!(
                    "FAILED     {}: cannot run `{}`: {e}",
                    output.file,
                    output.command
                );
                failed += 1;
                continue;
            }
        };
        if !ran.ended.matches(output.expect)
            || (output.kill_worker.is_some() && ran.killed_worker.is_none())
        {
            errln!(
                "FAILED     {}: `{}` ended with {:?} (expected {:?}), worker killed: {:?}; \
                 nothing written. It printed:\n{}",
                output.file,
                output.command,
                ran.ended,
                output.expect,
                ran.killed_worker,
                ran.text
            );
            failed += 1;
            continue;
        }
        let drawn: Result<Vec<(&str, Vec<u8>)>, String> = output
            .pictures
            .iter()
            .map(|picture| {
                let file = ran
                    .pictures
                    .as_ref()
                    .and_then(|dir| dir.drawn(picture))
                    .ok_or_else(|| format!("did not draw {picture}"))?;
                let svg = fs::read(&file).map_err(|e| format!("cannot read {picture}: {e}"))?;
                Ok((*picture, svg))
            })
            .collect();
        let drawn = match drawn {
            Ok(drawn) => drawn,
            Err(e) => {
                errln!(
                    "FAILED     {}: `{}` {e}; nothing written",
                    output.file,
                    output.command
                );
                failed += 1;
                continue;
            }
        };
        if !check {
            for (picture, svg) in &drawn {
                match run::write_atomically(&src.join(picture), svg) {
                    Ok(()) => outln!("drew       {picture}")?,
                    Err(e) => {
                        errln!("FAILED     {picture}: cannot write: {e}");
                        failed += 1;
                    }
                }
            }
        }
        let contents = run::render(output, python.as_deref(), &paths.normalise(&ran.text));
        let old = fs::read_to_string(&file).ok();
        let same = match output.varies {
            None => old.as_deref() == Some(contents.as_str()),
            Some(_) => old
                .as_deref()
                .is_some_and(|old| old.lines().next() == contents.lines().next()),
        };
        if check {
            if same {
                outln!("ok         {}", output.file)?;
            } else {
                outln!("DIFFERS    {}: now prints\n{contents}", output.file)?;
                failed += 1;
            }
        } else if old.as_deref() == Some(contents.as_str()) {
            outln!("unchanged  {}", output.file)?;
        } else {
            match run::write_atomically(&file, &contents) {
                Ok(()) => outln!("wrote      {}", output.file)?,
                Err(e) => {
                    errln!("FAILED     {}: cannot write: {e}", output.file);
                    failed += 1;
                }
            }
        }
    }
    for &drawing in drawings {
        let file = src.join(drawing.file);
        let svg = match pictures::draw(drawing, &src) {
            Ok(svg) => svg,
            Err(e) => {
                errln!("FAILED     {}: {e}", drawing.file);
                failed += 1;
                continue;
            }
        };
        let old = fs::read_to_string(&file).ok();
        if old.as_deref() == Some(svg.as_str()) {
            outln!("unchanged  {}", drawing.file)?;
        } else if check {
            outln!(
                "DIFFERS    {}: its sources draw another picture now",
                drawing.file
            )?;
            failed += 1;
        } else {
            match run::write_atomically(&file, &svg) {
                Ok(()) => outln!("drew       {}", drawing.file)?,
                Err(e) => {
                    errln!("FAILED     {}: cannot write: {e}", drawing.file);
                    failed += 1;
                }
            }
        }
    }
    // The sentences tied to these outputs: say at once which no longer hold, rather than at
    // the next `cargo test`.
    let broken: Vec<String> = crate::check::check(&crate::book_dir())
        .into_iter()
        .filter(|p| p.message.starts_with("claim"))
        .map(|p| {
            let file = p.file.strip_prefix(&root).unwrap_or(&p.file);
            format!("  {}:{}: {}", file.display(), p.line, p.message)
        })
        .collect();
    if !broken.is_empty() {
        errln!(
            "regenerate: {} claim(s) in the book disagree with the outputs now; fix the \
             sentence or the program (`cargo test -p book` fails until then):\n{}",
            broken.len(),
            broken.join("\n")
        );
    }
    if failed > 0 {
        errln!("regenerate: {failed} output(s) failed");
        return Ok(false);
    }
    Ok(true)
}

/// Builds every package the chosen `cargo run -p NAME` commands run.
fn build(chosen: &[&Output], root: &std::path::Path) -> Result<(), String> {
    let packages: BTreeSet<&str> = chosen
        .iter()
        .filter_map(|o| package_of(o.command))
        .collect();
    if packages.is_empty() {
        return Ok(());
    }
    let status = Command::new("cargo")
        .arg("build")
        .args(packages.iter().flat_map(|p| ["-p", p]))
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo build of {packages:?} failed"))
    }
}

/// `NAME` in `cargo run -p NAME …`.
fn package_of(command: &str) -> Option<&str> {
    let words: Vec<&str> = command
        .split_whitespace()
        .take_while(|w| *w != "--")
        .collect();
    if words.first() != Some(&"cargo") {
        return None;
    }
    words.windows(2).find(|w| w[0] == "-p").map(|w| w[1])
}

#[cfg(test)]
mod tests {
    use super::package_of;

    #[test]
    fn the_package_is_the_word_after_dash_p_of_a_cargo_command() {
        assert_eq!(
            package_of("cargo run -p q5_pool -- --threads"),
            Some("q5_pool")
        );
        assert_eq!(
            package_of("cargo run --release -p beyond_one_machine -- cost"),
            Some("beyond_one_machine")
        );
        // After `--`, a `-p` is the program's own option.
        assert_eq!(package_of("cargo run --bin x -- -p 0"), None);
        assert_eq!(package_of("python3 gamma.py -p q5_pool"), None);
    }
}
