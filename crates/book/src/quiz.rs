//! Quiz answers that quote a program's output are checked against the output file the
//! regenerate tool wrote, so an answer cannot go stale when the program changes.
//!
//! In a chapter, an answer that is output is a fenced code block right after a marker naming
//! the output file (relative to the chapter, as an `{{#include}}` would):
//!
//! ````markdown
//! <!-- quiz-output: q5_pool/square.output.txt -->
//! ```text
//! Squared numbers: [1, 4, 9, 16, 25]
//! ```
//! ````
//!
//! Every line of the block must be a whole line of that file, in the same order (other lines
//! may come between: an answer quotes what matters). A `…` in a quoted line stands for any text,
//! for the parts that change from run to run (`Process … finished with exit code 0`). The file
//! must be one the regenerate tool writes, so the quote is always held to a real run.

use std::fs;
use std::path::Path;

use crate::check::{Problem, files_under, line_of};
use crate::outputs::Output;

const MARKER: &str = "<!-- quiz-output:";

/// Checks every quiz answer of every chapter under `src` against the `outputs`.
pub fn check_quizzes(src: &Path, outputs: &[Output]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for chapter in files_under(src)
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "md"))
    {
        let Ok(text) = fs::read_to_string(&chapter) else {
            continue;
        };
        let dir = chapter.parent().unwrap_or(src);
        for (at, _) in text.match_indices(MARKER) {
            let line = line_of(&text, at);
            let complain = |message: String| Problem {
                file: chapter.clone(),
                line,
                message,
            };
            let rest = &text[at + MARKER.len()..];
            let Some(close) = rest.find("-->") else {
                problems.push(complain("quiz-output marker without `-->`".into()));
                continue;
            };
            let name = rest[..close].trim();
            let Some(quote) = block_after(&rest[close + 3..]) else {
                problems.push(complain(format!(
                    "quiz-output `{name}` is not followed by a fenced code block"
                )));
                continue;
            };
            let file = dir.join(name);
            let generated = outputs.iter().any(|o| same_path(&src.join(o.file), &file));
            if !generated {
                problems.push(complain(format!(
                    "quiz-output `{name}` is not an output the regenerate tool writes"
                )));
                continue;
            }
            let Ok(output) = fs::read_to_string(&file) else {
                problems.push(complain(format!("quiz-output `{name}` is missing")));
                continue;
            };
            if let Some(missing) = first_missing(&quote, &output) {
                problems.push(complain(format!(
                    "quiz answer quotes `{missing}`, which is not (or not in this order) in \
                     {name}: the program prints something else now"
                )));
            }
        }
    }
    problems
}

/// The lines of the fenced code block that starts the text after blank lines, if it does.
fn block_after(text: &str) -> Option<Vec<String>> {
    let mut lines = text.lines().skip_while(|l| l.trim().is_empty());
    let fence = lines.next()?.trim_start();
    let ticks = fence.len() - fence.trim_start_matches('`').len();
    if ticks < 3 {
        return None;
    }
    let close = &fence[..ticks];
    Some(
        lines
            .take_while(|l| l.trim() != close)
            .map(str::to_owned)
            .collect(),
    )
}

/// The first line of `quote` that is not a line of `output`, after the previous one's match.
fn first_missing(quote: &[String], output: &str) -> Option<String> {
    let mut lines = output.lines();
    for wanted in quote {
        if !lines.any(|l| matches(wanted, l)) {
            return Some(wanted.clone());
        }
    }
    None
}

/// Whether output line `line` is the quoted line `wanted`, where each `…` in `wanted` stands for
/// any text.
fn matches(wanted: &str, line: &str) -> bool {
    let parts: Vec<&str> = wanted.split('…').collect();
    let [first, middle @ .., last] = &parts[..] else {
        return wanted == line; // no `…`
    };
    let Some(mut rest) = line.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::OUTPUTS;

    fn problems(chapter: &str) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path();
        fs::create_dir_all(src.join("q")).unwrap();
        fs::write(
            src.join("q/run.output.txt"),
            "$ cargo run -p q\nfirst line\nSquared numbers: [1, 4, 9]\nlast line\n",
        )
        .unwrap();
        fs::write(src.join("q.md"), chapter).unwrap();
        let listed = Output {
            file: "q/run.output.txt",
            command: "cargo run -p q",
            ..OUTPUTS[0]
        };
        check_quizzes(src, &[listed])
            .into_iter()
            .map(|p| format!("{}: {}", p.line, p.message))
            .collect()
    }

    #[test]
    fn an_ellipsis_stands_for_what_changes() {
        assert!(matches(
            "Process … finished with exit code 0",
            "Process 4242 finished with exit code 0"
        ));
        assert!(matches("a … b … c", "a 1 b 2 c"));
        assert!(!matches("a … b … c", "a 1 c 2 b"));
        assert!(!matches("Process … finished", "Process 1 finished late"));
        assert!(matches("plain", "plain") && !matches("plain", "plain!"));
    }

    #[test]
    fn a_right_answer_passes() {
        let chapter = "# Q\n\n<details>\n\n<!-- quiz-output: q/run.output.txt -->\n\
                       ```text\nfirst line\nlast line\n```\n</details>\n";
        assert_eq!(problems(chapter), Vec::<String>::new());
    }

    #[test]
    fn a_wrong_answer_fails() {
        // Deliberately wrong: the program prints 9, not 8.
        let chapter = "# Q\n\n<!-- quiz-output: q/run.output.txt -->\n\
                       ```text\nSquared numbers: [1, 4, 8]\n```\n";
        assert_eq!(
            problems(chapter),
            [
                "3: quiz answer quotes `Squared numbers: [1, 4, 8]`, which is not (or not in \
              this order) in q/run.output.txt: the program prints something else now"
            ]
        );
    }

    #[test]
    fn order_counts_and_the_file_must_be_generated() {
        let chapter = "<!-- quiz-output: q/run.output.txt -->\n```\nlast line\nfirst line\n```\n\n\
                       <!-- quiz-output: q/typed.txt -->\n```\nx\n```\n\n\
                       <!-- quiz-output: q/run.output.txt -->\nno block\n";
        let found = problems(chapter);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].starts_with("1: quiz answer quotes `first line`"));
        assert!(found[1].contains("`q/typed.txt` is not an output the regenerate tool writes"));
        assert!(found[2].contains("is not followed by a fenced code block"));
    }
}
