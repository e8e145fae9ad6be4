//! Compiler errors the book shows, captured from a real compile and kept in step with the code.
//!
//! Some lessons are code that must *not* compile: a race the borrow checker refuses, an `Rc`
//! sent to another thread. The book shows the compiler's own words for them, and three things
//! must agree:
//!
//! 1. **the snippet**, a whole program in a file of its own (outside any `src/` module tree, so
//!    the crate itself still builds): `crates/primer/compile_fail/rc_across_threads.rs`;
//! 2. **its `compile_fail` doctest**, in the crate that owns the snippet, which includes the
//!    file and names the error codes it expects, so `cargo test` proves it still fails:
//!
//!    ```text
//!    /// ```compile_fail,E0277
//!    #[doc = include_str!("../compile_fail/rc_across_threads.rs")]
//!    /// ```
//!    ```
//!
//! 3. **the shown error**, an [`Output`] of kind [`Kind::CompileError`] whose command is
//!    `rustc --edition 2024 <snippet>`: the regenerate tool runs that compiler at the workspace
//!    root (so `rustc` is the workspace's toolchain, and the paths in the message are the
//!    reader's), writing anything it builds to a scratch directory, and records what it printed.
//!
//! [`check`] holds them together for `cargo test -p book`: the snippet exists; exactly one
//! `compile_fail` doctest includes it; its error codes are those of the shown error (rustdoc
//! checks the codes of a `compile_fail` test only on nightly, so on stable this is what catches
//! a snippet that fails for the wrong reason); and a fresh compile still fails with those codes.
//! When the compiler is the one that produced the shown file (the book's `rustc --version`
//! output names it), the fresh message must equal the shown one to the byte, so an edit to a
//! snippet that moves its error cannot go unnoticed. Under another compiler only the codes are
//! compared, since the wording of messages changes between releases.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::check::{Problem, files_under};
use crate::outputs::{Kind, Output};
use crate::run::{self, Ended, Paths, Ran};

/// The command of the output that names the compiler the shown errors come from.
pub const VERSION_COMMAND: &str = "rustc --version";

/// A compile-error command taken apart: `rustc --edition EDITION SNIPPET`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compile<'a> {
    pub edition: &'a str,
    /// The snippet, relative to the workspace root.
    pub snippet: &'a str,
}

/// Parses `rustc --edition E path.rs`, the only shape a compile-error command may have (one
/// file, no other flags), so the reader can type it and get the same message.
pub fn parse(command: &str) -> Result<Compile<'_>, String> {
    match command.split_whitespace().collect::<Vec<_>>()[..] {
        ["rustc", "--edition", edition, snippet] if snippet.ends_with(".rs") => {
            Ok(Compile { edition, snippet })
        }
        _ => Err(format!(
            "a compile error's command must be `rustc --edition EDITION path/to/snippet.rs`, \
             not `{command}`"
        )),
    }
}

/// The command that compiles `output`'s snippet at `root`: the reader's command plus a scratch
/// output directory (should the snippet compile after all, nothing lands in the workspace) and
/// no colour.
pub fn command(output: &Output, root: &Path, scratch: &Path) -> Command {
    let words: Vec<&str> = output.command.split_whitespace().collect();
    let mut command = Command::new(words[0]);
    command
        .args(&words[1..])
        .arg("--out-dir")
        .arg(scratch)
        .args(["--color", "never"])
        .current_dir(root);
    command
}

/// Compiles `output`'s snippet and returns what the compiler printed (stdout, then stderr) and
/// how it ended. The scratch directory is removed afterwards.
pub fn run(output: &Output, root: &Path) -> io::Result<Ran> {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let scratch = std::env::temp_dir().join(format!(
        "book-compile-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&scratch)?;
    let result = command(output, root, &scratch).output();
    let _ = fs::remove_dir_all(&scratch);
    let result = result?;
    let mut text = String::from_utf8_lossy(&result.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&result.stderr));
    let ended = match result.status.code() {
        Some(code) => Ended::Code(code),
        None => Ended::Code(-1),
    };
    Ok(Ran {
        text,
        ended,
        killed_worker: None,
        pictures: None,
    })
}

/// The error codes (`E0277`) of the `error[E0277]: …` lines in a compiler's output.
pub fn error_codes(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("error[")?.split_once(']'))
        .map(|(code, _)| code.to_owned())
        .collect()
}

/// A `compile_fail` doctest that includes a snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doctest {
    pub file: PathBuf,
    /// Line of the `include_str!`, counted from 1.
    pub line: usize,
    /// The error codes its fence names (`compile_fail,E0277` → `E0277`).
    pub codes: BTreeSet<String>,
}

/// Every doctest under `package/src` whose body is exactly `#[doc = include_str!(PATH)]` with
/// PATH naming `snippet`, between a fence that says `compile_fail` and a closing fence.
/// Returns them, and the places where the snippet is included some other way (a fence without
/// `compile_fail`, more lines in the block), which are mistakes.
pub fn doctests_of(package: &Path, snippet: &Path) -> (Vec<Doctest>, Vec<(PathBuf, usize)>) {
    let (mut found, mut wrong) = (Vec::new(), Vec::new());
    let Ok(snippet) = snippet.canonicalize() else {
        return (found, wrong);
    };
    for file in files_under(&package.join("src")) {
        if file.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        let dir = file.parent().unwrap_or(package);
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(path) = included_path(line) else {
                continue;
            };
            if dir.join(path).canonicalize().ok().as_ref() != Some(&snippet) {
                continue;
            }
            let fence = i.checked_sub(1).and_then(|j| doc_fence(lines[j]));
            let closed = lines.get(i + 1).and_then(|l| doc_fence(l)) == Some("");
            match fence {
                Some(attrs) if closed && attrs.split([',', ' ']).any(|a| a == "compile_fail") => {
                    found.push(Doctest {
                        file: file.clone(),
                        line: i + 1,
                        codes: attrs
                            .split([',', ' '])
                            .filter(|a| is_error_code(a))
                            .map(str::to_owned)
                            .collect(),
                    });
                }
                _ => wrong.push((file.clone(), i + 1)),
            }
        }
    }
    (found, wrong)
}

/// `PATH` in `#[doc = include_str!("PATH")]` or `#![doc = include_str!("PATH")]`.
fn included_path(line: &str) -> Option<&str> {
    let rest = line
        .strip_prefix("#![doc")
        .or_else(|| line.strip_prefix("#[doc"))?;
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let rest = rest.strip_prefix("include_str!(\"")?;
    let (path, tail) = rest.split_once('"')?;
    (tail.trim() == ")]").then_some(path)
}

/// The attributes of a doc-comment code fence (`/// ```compile_fail,E0277` → `compile_fail,E0277`;
/// a closing fence gives ``); `None` if the line is not a fence.
fn doc_fence(line: &str) -> Option<&str> {
    let rest = line
        .strip_prefix("///")
        .or_else(|| line.strip_prefix("//!"))?;
    rest.trim_start().strip_prefix("```").map(str::trim)
}

fn is_error_code(word: &str) -> bool {
    word.len() == 5 && word.starts_with('E') && word[1..].bytes().all(|b| b.is_ascii_digit())
}

/// The package that owns `file`: the nearest directory above it, inside `root`, with a
/// `Cargo.toml`.
fn package_of(file: &Path, root: &Path) -> Option<PathBuf> {
    file.ancestors()
        .skip(1)
        .take_while(|dir| dir.starts_with(root) && *dir != root)
        .find(|dir| dir.join("Cargo.toml").is_file())
        .map(Path::to_path_buf)
}

/// The workspace's edition: `edition = "…"` in the root `Cargo.toml`.
fn workspace_edition(root: &Path) -> Option<String> {
    let manifest = fs::read_to_string(root.join("Cargo.toml")).ok()?;
    manifest.lines().find_map(|line| {
        let value = line.trim().strip_prefix("edition")?.trim_start();
        let value = value.strip_prefix('=')?.trim();
        Some(value.trim_matches('"').to_owned())
    })
}

/// The `rustc --version` line a shown output holds, if any.
fn recorded_version(src: &Path, outputs: &[Output]) -> Option<String> {
    let output = outputs.iter().find(|o| o.command == VERSION_COMMAND)?;
    let text = fs::read_to_string(src.join(output.file)).ok()?;
    text.lines().nth(1).map(str::to_owned)
}

/// The version line of the `rustc` that runs at `root`.
fn current_version(root: &Path) -> Option<String> {
    let out = Command::new("rustc")
        .arg("--version")
        .current_dir(root)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
}

/// Holds every compile-error output of `outputs` to its snippet and its doctest, compiling each
/// snippet again (see the module documentation). `root` is the workspace, `src` the book's
/// sources.
pub fn check(root: &Path, src: &Path, outputs: &[Output]) -> Vec<Problem> {
    let compiles: Vec<&Output> = outputs
        .iter()
        .filter(|o| o.kind == Kind::CompileError)
        .collect();
    let mut problems = Vec::new();
    if compiles.is_empty() {
        return problems;
    }
    let registry = root.join("crates/book/src/outputs.rs");
    if !outputs.iter().any(|o| o.command == VERSION_COMMAND) {
        problems.push(Problem {
            file: registry.clone(),
            line: 1,
            message: format!(
                "compile errors are shown, so OUTPUTS needs a `{VERSION_COMMAND}` output naming \
                 the compiler that printed them"
            ),
        });
    }
    let same_compiler = match (recorded_version(src, outputs), current_version(root)) {
        (Some(recorded), Some(current)) => recorded == current,
        _ => false,
    };
    let edition = workspace_edition(root);
    let paths = Paths::of(root);
    for output in compiles {
        let shown_file = src.join(output.file);
        let complain = |file: &Path, line: usize, message: String| Problem {
            file: file.to_path_buf(),
            line,
            message,
        };
        let compile = match parse(output.command) {
            Ok(compile) => compile,
            Err(message) => {
                problems.push(complain(&registry, 1, message));
                continue;
            }
        };
        if edition.as_deref().is_some_and(|e| e != compile.edition) {
            problems.push(complain(
                &registry,
                1,
                format!(
                    "`{}` compiles with edition {}, but the workspace (and so the doctest) uses {}",
                    output.command,
                    compile.edition,
                    edition.as_deref().unwrap_or("?")
                ),
            ));
        }
        let snippet = root.join(compile.snippet);
        if !snippet.is_file() {
            problems.push(complain(
                &shown_file,
                1,
                format!(
                    "shows the compile error of `{}`, which is missing",
                    compile.snippet
                ),
            ));
            continue;
        }
        let Some(package) = package_of(&snippet, root) else {
            problems.push(complain(
                &snippet,
                1,
                "is in no package of the workspace, so no doctest can prove it fails".into(),
            ));
            continue;
        };
        let (doctests, wrong) = doctests_of(&package, &snippet);
        for (file, line) in wrong {
            problems.push(complain(
                &file,
                line,
                format!(
                    "includes `{}` but not as a doctest of its own between ```compile_fail,E… \
                     and ``` lines",
                    compile.snippet
                ),
            ));
        }
        let Ok(shown) = fs::read_to_string(&shown_file) else {
            continue; // reported by `check_outputs`
        };
        let shown_codes = error_codes(&shown);
        match &doctests[..] {
            [] => problems.push(complain(
                &snippet,
                1,
                format!(
                    "has no compile_fail doctest: add one under {}/src that includes it \
                     (see crates/book/src/compile.rs)",
                    package.strip_prefix(root).unwrap_or(&package).display()
                ),
            )),
            [doctest] if doctest.codes != shown_codes => problems.push(complain(
                &doctest.file,
                doctest.line,
                format!(
                    "the compile_fail doctest of `{}` expects {:?}, but the book shows {:?}",
                    compile.snippet, doctest.codes, shown_codes
                ),
            )),
            [_] => {}
            [first, ..] => problems.push(complain(
                &first.file,
                first.line,
                format!(
                    "`{}` is included by {} compile_fail doctests; keep one",
                    compile.snippet,
                    doctests.len()
                ),
            )),
        }
        let fresh = match run(output, root) {
            Ok(ran) => ran,
            Err(e) => {
                problems.push(complain(&shown_file, 1, format!("cannot run rustc: {e}")));
                continue;
            }
        };
        let rendered = run::render(output, None, &paths.normalise(&fresh.text));
        let regenerate = format!(
            "run `cargo run -p book --bin regenerate -- {}`",
            output.file
        );
        if fresh.ended == Ended::Code(0) {
            problems.push(complain(
                &snippet,
                1,
                "compiles, but the book shows it failing".into(),
            ));
        } else if error_codes(&fresh.text) != shown_codes {
            problems.push(complain(
                &shown_file,
                1,
                format!(
                    "shows errors {:?}, but `{}` now gives {:?}: {regenerate}",
                    shown_codes,
                    output.command,
                    error_codes(&fresh.text)
                ),
            ));
        } else if same_compiler && rendered != shown {
            problems.push(complain(
                &shown_file,
                1,
                format!("is not what `{}` prints now: {regenerate}", output.command),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::Expect;

    #[test]
    fn commands_parse_only_in_the_one_shape() {
        assert_eq!(
            parse("rustc --edition 2024 a/b.rs"),
            Ok(Compile {
                edition: "2024",
                snippet: "a/b.rs"
            })
        );
        for bad in [
            "rustc a/b.rs",
            "rustc --edition 2024 -O a/b.rs",
            "cargo build",
            "rustc --edition 2024 a/b.txt",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn error_codes_are_read_from_error_lines_only() {
        let text = "error[E0277]: `Rc<u8>` cannot be sent\n  note: see error[E9999]\n\
                    error[E0373]: closure may outlive\nerror: aborting due to 2 previous errors\n";
        assert_eq!(
            error_codes(text).into_iter().collect::<Vec<_>>(),
            ["E0277", "E0373"]
        );
    }

    #[test]
    fn include_lines_and_fences_are_recognised() {
        assert_eq!(
            included_path("#[doc = include_str!(\"../x/y.rs\")]"),
            Some("../x/y.rs")
        );
        assert_eq!(
            included_path("#![doc=include_str!(\"y.rs\")]"),
            Some("y.rs")
        );
        assert_eq!(included_path("let s = include_str!(\"y.rs\");"), None);
        assert_eq!(
            doc_fence("/// ```compile_fail,E0277"),
            Some("compile_fail,E0277")
        );
        assert_eq!(doc_fence("//! ```"), Some(""));
        assert_eq!(doc_fence("/// text"), None);
    }

    /// A workspace in a temporary directory: `(path, content)` pairs.
    fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, content) in files {
            let path = dir.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, content).unwrap();
        }
        dir
    }

    const SNIPPET: &str = "fn main() {\n    let n: u32 = \"one\";\n}\n";
    const LIB: &str = "/// ```compile_fail,E0308\n\
                       #[doc = include_str!(\"../compile_fail/wrong_type.rs\")]\n\
                       /// ```\npub fn f() {}\n";

    fn compile_output() -> Output {
        Output {
            file: "ch/wrong_type.output.txt",
            command: "rustc --edition 2024 p/compile_fail/wrong_type.rs",
            kind: Kind::CompileError,
            expect: Expect::Code(1),
            varies: None,
            kill_worker: None,
            stdout_only: false,
            time_limit: None,
            pictures: &[],
        }
    }

    fn version_output() -> Output {
        Output {
            file: "ch/rustc.output.txt",
            command: VERSION_COMMAND,
            kind: Kind::Run,
            expect: Expect::Code(0),
            ..compile_output()
        }
    }

    /// Regenerates the two outputs into `docs/src` of the workspace at `root`, as the tool does.
    fn regenerate(root: &Path, outputs: &[Output]) {
        let paths = Paths::of(root);
        for output in outputs {
            let ran = match output.kind {
                Kind::CompileError => run(output, root).unwrap(),
                Kind::Run => run::run(output, root).unwrap(),
            };
            assert!(ran.ended.matches(output.expect), "{ran:?}");
            let file = root.join("docs/src").join(output.file);
            run::write_atomically(
                &file,
                run::render(output, None, &paths.normalise(&ran.text)),
            )
            .unwrap();
        }
    }

    fn problems(root: &Path, outputs: &[Output]) -> Vec<String> {
        let mut found = check(root, &root.join("docs/src"), outputs);
        found.sort();
        found
            .iter()
            .map(|p| {
                let file = p.file.strip_prefix(root).unwrap_or(&p.file);
                format!("{}:{}: {}", file.display(), p.line, p.message)
            })
            .collect()
    }

    fn sound() -> tempfile::TempDir {
        let dir = workspace(&[
            ("Cargo.toml", "[workspace.package]\nedition = \"2024\"\n"),
            ("p/Cargo.toml", "[package]\nname = \"p\"\n"),
            ("p/src/lib.rs", LIB),
            ("p/compile_fail/wrong_type.rs", SNIPPET),
        ]);
        regenerate(dir.path(), &[compile_output(), version_output()]);
        dir
    }

    #[test]
    fn a_regenerated_error_with_its_doctest_is_in_step() {
        let dir = sound();
        let shown =
            fs::read_to_string(dir.path().join("docs/src/ch/wrong_type.output.txt")).unwrap();
        assert!(
            shown.starts_with("$ rustc --edition 2024 p/compile_fail/wrong_type.rs\nerror[E0308]"),
            "{shown}"
        );
        assert!(
            shown.contains("--> p/compile_fail/wrong_type.rs:2:"),
            "paths are the reader's: {shown}"
        );
        assert_eq!(
            problems(dir.path(), &[compile_output(), version_output()]),
            Vec::<String>::new()
        );
        assert!(
            !dir.path().join("wrong_type").exists(),
            "nothing is built in the workspace"
        );
    }

    #[test]
    fn an_edited_snippet_no_longer_matches_its_shown_error() {
        let dir = sound();
        // The same error, one line lower: only the full comparison sees it.
        fs::write(
            dir.path().join("p/compile_fail/wrong_type.rs"),
            format!("// moved\n{SNIPPET}"),
        )
        .unwrap();
        assert_eq!(
            problems(dir.path(), &[compile_output(), version_output()]),
            [
                "docs/src/ch/wrong_type.output.txt:1: is not what `rustc --edition 2024 p/compile_fail/wrong_type.rs` prints now: run `cargo run -p book --bin regenerate -- ch/wrong_type.output.txt`"
            ]
        );
    }

    #[test]
    fn a_snippet_that_fails_for_another_reason_is_caught() {
        let dir = sound();
        fs::write(
            dir.path().join("p/compile_fail/wrong_type.rs"),
            "fn main() { let v = vec![1]; drop(v); drop(v); }\n",
        )
        .unwrap();
        let found = problems(dir.path(), &[compile_output(), version_output()]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("shows errors {\"E0308\"}, but") && found[0].contains("E0382"),
            "{found:?}"
        );
    }

    #[test]
    fn a_snippet_that_compiles_is_caught() {
        let dir = sound();
        fs::write(
            dir.path().join("p/compile_fail/wrong_type.rs"),
            "fn main() {}\n",
        )
        .unwrap();
        let found = problems(dir.path(), &[compile_output(), version_output()]);
        assert_eq!(
            found,
            ["p/compile_fail/wrong_type.rs:1: compiles, but the book shows it failing"]
        );
        assert!(!dir.path().join("wrong_type").exists());
    }

    #[test]
    fn the_doctest_must_exist_once_and_name_the_shown_codes() {
        let dir = sound();
        let lib = dir.path().join("p/src/lib.rs");
        fs::write(&lib, LIB.replace("E0308", "E0277")).unwrap();
        assert_eq!(
            problems(dir.path(), &[compile_output(), version_output()]),
            [
                "p/src/lib.rs:2: the compile_fail doctest of `p/compile_fail/wrong_type.rs` expects {\"E0277\"}, but the book shows {\"E0308\"}"
            ]
        );
        fs::write(&lib, LIB.replace("compile_fail,E0308", "rust")).unwrap();
        let found = problems(dir.path(), &[compile_output(), version_output()]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains("has no compile_fail doctest"),
            "{found:?}"
        );
        assert!(
            found[1].starts_with(
                "p/src/lib.rs:2: includes `p/compile_fail/wrong_type.rs` but not as a doctest"
            ),
            "{found:?}"
        );
    }

    #[test]
    fn a_compile_error_needs_the_compiler_version_and_the_workspace_edition() {
        let dir = sound();
        let old_edition = Output {
            command: "rustc --edition 2021 p/compile_fail/wrong_type.rs",
            ..compile_output()
        };
        let found = problems(dir.path(), &[old_edition]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains("compiles with edition 2021, but the workspace"),
            "{found:?}"
        );
        assert!(
            found[1].contains("needs a `rustc --version` output"),
            "{found:?}"
        );
    }
}
