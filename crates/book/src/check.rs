//! The checker: what `mdbook build` lets through without failing.
//!
//! mdBook 0.5 logs an `{{#include}}` of a missing file and still exits 0; it renders an empty
//! code block for a misspelt anchor, and the rest of the file for a missing `ANCHOR_END`; it
//! leaves a misspelt directive (`{{#inlcude …}}`) on the page as text; it renders a link to a
//! missing chapter or heading as a link that leads nowhere; and it ignores a chapter file that
//! SUMMARY.md forgot. It also holds listings short: an included anchor may show at most
//! [`MAX_ANCHOR_LINES`] lines, counted as mdBook shows them. [`check`] reads the book the way
//! mdBook does and reports each of these as a [`Problem`] with its file and line.
//!
//! Directives are found the way mdBook finds them: in the raw text, code blocks included
//! (that is where `{{#include}}` usually sits). Links and headings come from pulldown-cmark with
//! mdBook's own parser options, so a link inside a code block is not a link and a heading's
//! anchor is the one mdBook will generate. Headings and links inside included files are not
//! seen: this book includes code and program output, never Markdown.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::fs;
use std::path::{Component, Path, PathBuf};

use pulldown_cmark::{BrokenLink, Event, LinkType, Options, Parser, Tag, TagEnd};

use crate::claims;
use crate::compile;
use crate::outputs::{self, Output};

/// One thing wrong with the book, at a file and line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The file the problem is in.
    pub file: PathBuf,
    /// Its line, counted from 1.
    pub line: usize,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// Checks the book whose `book.toml` is in `book` (sources in `book/src`) against the outputs
/// the regenerate tool knows. Returns every problem found, sorted by file and line.
pub fn check(book: &Path) -> Vec<Problem> {
    let mut problems = check_with(book, outputs::OUTPUTS);
    problems.extend(crate::pictures::check_pictures(
        &book.join("src"),
        outputs::OUTPUTS,
        crate::pictures::DRAWINGS,
    ));
    problems.extend(crate::quiz::check_quizzes(
        &book.join("src"),
        outputs::OUTPUTS,
    ));
    problems.sort();
    problems
}

/// [`check`], with the list of generated outputs given (for tests).
pub fn check_with(book: &Path, outputs: &[Output]) -> Vec<Problem> {
    let src = book.join("src");
    let mut problems = Vec::new();
    let summary_file = src.join("SUMMARY.md");
    let summary = match fs::read_to_string(&summary_file) {
        Ok(text) => text,
        Err(e) => {
            problems.push(problem(
                &summary_file,
                1,
                format!("cannot read SUMMARY.md: {e}"),
            ));
            return problems;
        }
    };

    let listed = summary_entries(&summary, &summary_file, &src, &mut problems);
    let mut chapters = BTreeMap::new();
    let mut included = HashSet::new();
    for rel in &listed {
        let file = src.join(rel);
        let Ok(text) = fs::read_to_string(&file) else {
            continue; // reported by `summary_entries`
        };
        check_directives(&text, &file, &mut included, &mut problems);
        chapters.insert(rel.clone(), parse_chapter(&text, &file, &mut problems));
    }
    for (rel, chapter) in &chapters {
        for link in &chapter.links {
            check_link(rel, link, &chapters, &src, &mut problems);
        }
    }
    for file in files_under(&src) {
        let is_chapter = file.extension().is_some_and(|e| e == "md");
        let rel = file.strip_prefix(&src).unwrap_or(&file).to_path_buf();
        if is_chapter
            && file != summary_file
            && !chapters.contains_key(&rel)
            && !listed.contains(&rel)
            && !included.contains(&normalise(&file))
        {
            problems.push(problem(
                &file,
                1,
                "is not in SUMMARY.md, so mdBook does not build it: list it, or move it out of src/"
                    .into(),
            ));
        }
    }
    problems.extend(outputs::check_outputs(&src, outputs));
    problems.extend(compile::check(book.parent().unwrap_or(book), &src, outputs));
    problems.extend(check_claims(&src, &listed, outputs));
    problems.sort();
    problems
}

/// Every claim marker of the chapters `listed`: readable, about generated outputs, and true.
pub fn check_claims(src: &Path, listed: &[PathBuf], outputs: &[Output]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut files = claims::Outputs::new(src);
    for rel in listed {
        let chapter = src.join(rel);
        let Ok(text) = fs::read_to_string(&chapter) else {
            continue;
        };
        for found in claims::find(&chapter, &text) {
            let claim = match found {
                Ok(claim) => claim,
                Err((line, e)) => {
                    problems.push(problem(&chapter, line, format!("claim: {e}")));
                    continue;
                }
            };
            let complain = |message: String| problem(&chapter, claim.line, message);
            let unlisted: Vec<&str> = claim
                .files()
                .into_iter()
                .filter(|f| !outputs.iter().any(|o| o.file == *f))
                .collect();
            if !unlisted.is_empty() {
                problems.push(complain(format!(
                    "claim reads {unlisted:?}, which the regenerate tool does not produce \
                     (a claim holds a generated output to its sentence)"
                )));
            } else if let Err(e) = claims::evaluate(&claim, &mut files) {
                let message = if e.0.starts_with("claim") {
                    e.0
                } else {
                    format!("claim cannot be checked: {e}")
                };
                problems.push(complain(message));
            }
        }
    }
    problems
}

fn problem(file: &Path, line: usize, message: String) -> Problem {
    Problem {
        file: file.to_path_buf(),
        line,
        message,
    }
}

/// The line of byte `offset` in `text`, counted from 1.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Every file under `dir`, recursively, sorted.
pub(crate) fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// `path` with `.` and `..` resolved lexically (no file system access).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The parser mdBook 0.5 uses for chapters (mdbook-markdown's `new_cmark_parser`, defaults).
fn mdbook_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_DEFINITION_LIST
        | Options::ENABLE_GFM
}

// ----------------------------------------------------------------------------------------------
// SUMMARY.md

/// The chapter files SUMMARY.md lists (relative to `src`), in order, each once. Reports entries
/// that are not Markdown, do not exist, or come twice.
fn summary_entries(
    summary: &str,
    summary_file: &Path,
    src: &Path,
    problems: &mut Vec<Problem>,
) -> Vec<PathBuf> {
    let mut listed = Vec::new();
    for (event, range) in Parser::new_ext(summary, mdbook_options()).into_offset_iter() {
        let Event::Start(Tag::Link { dest_url, .. }) = event else {
            continue;
        };
        let line = line_of(summary, range.start);
        if dest_url.is_empty() {
            continue; // a draft chapter: mdBook shows the title without a page
        }
        let rel = normalise(Path::new(&*dest_url));
        let complain = |message: String| problem(summary_file, line, message);
        if rel.extension().is_none_or(|e| e != "md") {
            problems.push(complain(format!("entry `{dest_url}` is not a .md file")));
        } else if !src.join(&rel).is_file() {
            problems.push(complain(format!(
                "entry `{dest_url}` points to a missing file"
            )));
        } else if listed.contains(&rel) {
            problems.push(complain(format!("entry `{dest_url}` is listed twice")));
        } else {
            listed.push(rel);
        }
    }
    listed
}

// ----------------------------------------------------------------------------------------------
// {{#include}} and friends

/// A `{{#name args}}` directive as mdBook's links preprocessor finds it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Directive<'a> {
    /// Byte offset of the opening `{{`.
    pub start: usize,
    pub name: &'a str,
    pub args: &'a str,
}

/// Finds directives the way mdBook's regex does: `{{`, optional whitespace, `#name`, whitespace,
/// anything but `}`, then `}}`. An escaped one (`\{{#…}}`, up to the last `}}` on its line) is
/// skipped, as mdBook prints it literally.
pub(crate) fn directives(text: &str) -> Vec<Directive<'_>> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if text[i..].starts_with("\\{{#") {
            let line_end = text[i..].find('\n').map_or(text.len(), |n| i + n);
            if let Some(close) = text[i..line_end].rfind("}}") {
                i += close + 2;
                continue;
            }
        }
        if text[i..].starts_with("{{")
            && let Some((directive, end)) = directive_at(text, i)
        {
            found.push(directive);
            i = end;
            continue;
        }
        i += text[i..].chars().next().map_or(1, char::len_utf8);
    }
    found
}

/// Parses a directive starting at `start` (which holds `{{`); returns it and the offset after it.
fn directive_at(text: &str, start: usize) -> Option<(Directive<'_>, usize)> {
    let rest = &text[start + 2..];
    let after_space = rest.trim_start();
    let after_hash = after_space.strip_prefix('#')?;
    let name_len = after_hash
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(after_hash.len());
    if name_len == 0 {
        return None;
    }
    let name = &after_hash[..name_len];
    let after_name = &after_hash[name_len..];
    let args_and_rest = after_name.trim_start();
    if args_and_rest.len() == after_name.len() {
        return None; // no whitespace after the name
    }
    let args_len = args_and_rest.find('}').unwrap_or(args_and_rest.len());
    if args_len == 0 || !args_and_rest[args_len..].starts_with("}}") {
        return None;
    }
    let args = &args_and_rest[..args_len];
    let end = text.len() - args_and_rest.len() + args_len + 2;
    Some((Directive { start, name, args }, end))
}

/// Checks every directive of one chapter; records the files it includes in `included`.
fn check_directives(
    text: &str,
    file: &Path,
    included: &mut HashSet<PathBuf>,
    problems: &mut Vec<Problem>,
) {
    let dir = file.parent().unwrap_or(Path::new("."));
    for directive in directives(text) {
        let line = line_of(text, directive.start);
        let complain = |message: String| problem(file, line, message);
        match directive.name {
            "title" => {}
            "include" | "rustdoc_include" | "playground" => {
                let Some(arg) = directive.args.split_whitespace().next() else {
                    problems.push(complain(format!(
                        "{{{{#{}}}}} names no file",
                        directive.name
                    )));
                    continue;
                };
                // `playground` takes no range or anchor; the others take `path:range-or-anchor`.
                let (path, spec) = match directive.name {
                    "playground" => (arg, None),
                    _ => match arg.split_once(':') {
                        Some((path, spec)) => (path, Some(spec)),
                        None => (arg, None),
                    },
                };
                let target = dir.join(path);
                match fs::read_to_string(&target) {
                    Err(e) => problems.push(complain(format!("includes `{path}`: {e}"))),
                    Ok(content) => {
                        included.insert(normalise(&target));
                        let every_pair = directive.name == "rustdoc_include";
                        if let Some(message) =
                            spec.and_then(|spec| check_spec(&content, spec, every_pair))
                        {
                            problems.push(complain(format!("includes `{arg}`: {message}")));
                        }
                    }
                }
            }
            other => problems.push(complain(format!(
                "unknown directive {{{{#{other}}}}}: mdBook leaves it on the page as text"
            ))),
        }
    }
}

/// What is wrong with a `:range` or `:anchor` suffix given the included file's `content`;
/// `every_pair` as in [`shown_lines`].
fn check_spec(content: &str, spec: &str, every_pair: bool) -> Option<String> {
    let lines: Vec<&str> = content.lines().collect();
    let mut parts = spec.splitn(3, ':');
    let first = parts.next().unwrap_or("");
    // mdBook: a first part that is neither empty nor a number is an anchor name.
    if !first.is_empty() && first.parse::<usize>().is_err() {
        return check_anchor(&lines, first, every_pair);
    }
    let start = first.parse::<usize>().ok().map(|n| n.saturating_sub(1));
    let end = match parts.next() {
        None => start.map(|s| Some(s + 1)), // `path:N` is line N alone
        Some(end) => Some(end.parse::<usize>().ok()),
    }
    .flatten();
    let (start, end) = (start.unwrap_or(0), end.unwrap_or(lines.len()));
    if start >= lines.len() || end > lines.len() {
        Some(format!(
            "lines `{spec}` run past the end of the file ({} lines)",
            lines.len()
        ))
    } else if start >= end {
        Some(format!("lines `{spec}` select nothing"))
    } else {
        None
    }
}

/// The name after `marker` on `line`, as mdBook's `ANCHOR:\s*([\w_-]+)` finds it.
pub(crate) fn marker_name<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    let mut rest = line;
    while let Some(at) = rest.find(marker) {
        let after = rest[at + marker.len()..].trim_start();
        let len = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(after.len());
        if len > 0 {
            return Some(&after[..len]);
        }
        rest = &rest[at + marker.len()..];
    }
    None
}

/// The most lines an included anchor may show. A listing shows the idea, short; printing and
/// plumbing stay out of the anchor (narrow it, or split a long function into named helpers).
pub const MAX_ANCHOR_LINES: usize = 30;

fn check_anchor(lines: &[&str], anchor: &str, every_pair: bool) -> Option<String> {
    if !lines
        .iter()
        .any(|l| marker_name(l, "ANCHOR:") == Some(anchor))
    {
        return Some(format!("the file has no `ANCHOR: {anchor}`"));
    }
    let Some(shown) = shown_lines(lines, anchor, every_pair) else {
        return Some(format!(
            "`ANCHOR: {anchor}` has no `ANCHOR_END: {anchor}` after it \
             (mdBook would show the rest of the file)"
        ));
    };
    if shown.is_empty() {
        Some(format!("anchor `{anchor}` marks no lines"))
    } else if shown.len() > MAX_ANCHOR_LINES {
        Some(format!(
            "anchor `{anchor}` shows {} lines, more than {MAX_ANCHOR_LINES}: show the idea \
             (narrow the anchor, or split the function into named helpers)",
            shown.len()
        ))
    } else {
        None
    }
}

/// The lines mdBook shows for `anchor`, without marker lines, or `None` if an `ANCHOR` it reads
/// has no `ANCHOR_END` (mdBook would show the rest of the file). `{{#include}}` shows the first
/// `ANCHOR` … `ANCHOR_END` pair only; `{{#rustdoc_include}}` (`every_pair`) joins every pair of
/// that name in the file, in order (mdBook 0.5's `take_anchored_lines` and
/// `take_rustdoc_include_anchored_lines`).
fn shown_lines<'a>(lines: &[&'a str], anchor: &str, every_pair: bool) -> Option<Vec<&'a str>> {
    let mut shown = Vec::new();
    let mut inside = false;
    for line in lines {
        if !inside {
            inside = marker_name(line, "ANCHOR:") == Some(anchor);
        } else if let Some(end) = marker_name(line, "ANCHOR_END:") {
            if end == anchor {
                if !every_pair {
                    return Some(shown);
                }
                inside = false;
            }
        } else if marker_name(line, "ANCHOR:").is_none() {
            shown.push(*line);
        }
    }
    (!inside).then_some(shown)
}

// ----------------------------------------------------------------------------------------------
// Links and headings

/// A link or image found in a chapter.
#[derive(Debug)]
struct Link {
    line: usize,
    dest: String,
}

/// What other chapters need to know about one chapter.
#[derive(Debug, Default)]
struct Chapter {
    /// The `id`s mdBook gives its headings (and definition-list terms).
    ids: HashSet<String>,
    links: Vec<Link>,
}

/// mdBook 0.5's `id_from_content`: lower case, letters, digits, `_` and `-` kept, whitespace
/// turned into `-`, everything else dropped.
pub(crate) fn id_from_content(content: &str) -> String {
    content
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c)
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// mdBook 0.5's `unique_id`: a repeated id gets `-1`, `-2`, …
fn unique_id(id: String, used: &mut HashSet<String>) -> String {
    if used.insert(id.clone()) {
        return id;
    }
    (1..)
        .map(|n| format!("{id}-{n}"))
        .find(|candidate| used.insert(candidate.clone()))
        .expect("some suffix is free")
}

fn parse_chapter(text: &str, file: &Path, problems: &mut Vec<Problem>) -> Chapter {
    let mut chapter = Chapter::default();
    let mut broken = Vec::new();
    let callback = |link: BrokenLink<'_>| {
        // `[text]` alone is ordinary text to Markdown; `[text][ref]` and `[ref][]` are links.
        if link.link_type != LinkType::Shortcut {
            broken.push((link.span.start, link.reference.to_string()));
        }
        None
    };
    let parser = Parser::new_with_broken_link_callback(text, mdbook_options(), Some(callback));
    let mut used = HashSet::new();
    // Text of the heading being read; `None` outside headings and for explicit `{#id}`s.
    let mut heading: Option<String> = None;
    for (event, range) in parser.into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { id: Some(id), .. }) => {
                // An explicit id is used as is and does not take part in numbering (as in mdBook).
                chapter.ids.insert(id.to_string());
            }
            Event::Start(Tag::Heading { id: None, .. } | Tag::DefinitionListTitle) => {
                heading = Some(String::new());
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(heading) = &mut heading {
                    heading.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_) | TagEnd::DefinitionListTitle) => {
                if let Some(content) = heading.take() {
                    chapter
                        .ids
                        .insert(unique_id(id_from_content(&content), &mut used));
                }
            }
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                chapter.links.push(Link {
                    line: line_of(text, range.start),
                    dest: dest_url.to_string(),
                });
            }
            _ => {}
        }
    }
    for (offset, reference) in broken {
        problems.push(problem(
            file,
            line_of(text, offset),
            format!("reference link `[{reference}]` has no definition"),
        ));
    }
    chapter
}

/// Whether `dest` leaves the book (`https:`, `mailto:`, `//host`…).
fn is_external(dest: &str) -> bool {
    if dest.starts_with("//") {
        return true;
    }
    let scheme_end = dest.find(':');
    let path_start = dest.find(['/', '#', '?']).unwrap_or(dest.len());
    scheme_end.is_some_and(|colon| colon < path_start)
}

fn check_link(
    from: &Path,
    link: &Link,
    chapters: &BTreeMap<PathBuf, Chapter>,
    src: &Path,
    problems: &mut Vec<Problem>,
) {
    if is_external(&link.dest) {
        return;
    }
    let file = src.join(from);
    let complain = |message: String| problem(&file, link.line, message);
    let (path, fragment) = match link.dest.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment)),
        None => (link.dest.as_str(), None),
    };
    let path = path.split('?').next().unwrap_or("");
    let target = if path.is_empty() {
        from.to_path_buf()
    } else if let Some(absolute) = path.strip_prefix('/') {
        normalise(Path::new(absolute))
    } else {
        normalise(&from.parent().unwrap_or(Path::new("")).join(path))
    };
    if target.starts_with("..") {
        problems.push(complain(format!(
            "link `{}` leaves the book's src/ directory, so it is broken in the built book",
            link.dest
        )));
        return;
    }
    // mdBook serves `x.md` as `x.html`; a link may name either.
    let chapter_path = match target.extension() {
        Some(e) if e == "md" || e == "html" => Some(target.with_extension("md")),
        _ => None,
    };
    let Some(chapter_path) = chapter_path else {
        if !src.join(&target).exists() {
            problems.push(complain(format!(
                "link `{}` points to a missing file",
                link.dest
            )));
        }
        return;
    };
    let Some(chapter) = chapters.get(&chapter_path) else {
        let why = if src.join(&chapter_path).is_file() {
            "a chapter that is not in SUMMARY.md"
        } else {
            "a missing chapter"
        };
        problems.push(complain(format!("link `{}` points to {why}", link.dest)));
        return;
    };
    if let Some(fragment) = fragment
        && !fragment.is_empty()
        && !chapter.ids.contains(fragment)
    {
        problems.push(complain(format!(
            "link `{}`: {} has no heading with id `{fragment}`",
            link.dest,
            chapter_path.display()
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::{Expect, Kind, Output};

    /// A book in a temporary directory, made of `(path under src, content)` pairs, plus files
    /// outside `src` given with a leading `../`.
    fn book(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, content) in files {
            let path = dir.path().join("src").join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, content).unwrap();
        }
        dir
    }

    /// The problems of a book, as `file:line: message` with the temporary prefix removed.
    fn problems_of(files: &[(&str, &str)]) -> Vec<String> {
        problems_with(files, &[])
    }

    fn problems_with(files: &[(&str, &str)], outputs: &[Output]) -> Vec<String> {
        let dir = book(files);
        check_with(dir.path(), outputs)
            .iter()
            .map(|p| {
                let file = p.file.strip_prefix(dir.path()).unwrap_or(&p.file);
                format!("{}:{}: {}", file.display(), p.line, p.message)
            })
            .collect()
    }

    const SUMMARY: &str = "# Summary\n\n- [One](one.md)\n- [Two](two.md)\n";
    const CODE: &str = "\
fn hidden() {}
// ANCHOR: shown
fn shown() {}
// ANCHOR_END: shown
// ANCHOR: empty
// ANCHOR_END: empty
// ANCHOR: open
fn rest() {}
";

    fn with_one(one: &str) -> Vec<String> {
        problems_of(&[
            ("SUMMARY.md", SUMMARY),
            ("one.md", one),
            ("two.md", "# Two\n\n## Second heading\n"),
            ("../code/lib.rs", CODE),
        ])
    }

    #[test]
    fn a_sound_book_has_no_problems() {
        let one = "# One\n\n\
                   ```rust\n{{#rustdoc_include ../code/lib.rs:shown}}\n```\n\n\
                   ```rust\n{{#include ../code/lib.rs:2:3}}\n```\n\n\
                   ```rust\n{{#include ../code/lib.rs}}\n```\n\n\
                   See [two](two.md), [its second heading](two.md#second-heading), \
                   [this one](#one), [the site](https://example.com/x.md) and [two](two.html).\n";
        assert_eq!(with_one(one), Vec::<String>::new());
    }

    #[test]
    fn include_of_a_missing_file() {
        let problems = with_one("# One\n\n```rust\n{{#include ../code/nope.rs}}\n```\n");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("src/one.md:4: includes `../code/nope.rs`:"),
            "{problems:?}"
        );
    }

    #[test]
    fn rustdoc_include_of_a_missing_anchor() {
        assert_eq!(
            with_one("```rust\n{{#rustdoc_include ../code/lib.rs:nope}}\n```\n"),
            ["src/one.md:2: includes `../code/lib.rs:nope`: the file has no `ANCHOR: nope`"]
        );
    }

    #[test]
    fn anchor_without_end_and_empty_anchor() {
        let problems =
            with_one("{{#include ../code/lib.rs:open}}\n{{#include ../code/lib.rs:empty}}\n");
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("`ANCHOR: open` has no `ANCHOR_END: open`"));
        assert!(problems[1].contains("anchor `empty` marks no lines"));
    }

    #[test]
    fn an_anchor_longer_than_the_limit_is_named_with_its_length() {
        let body = |n: usize| {
            (0..n)
                .map(|i| format!("let _ = {i};\n"))
                .collect::<String>()
        };
        // `split`: two pairs of one name, each short. rustdoc_include joins them (too long
        // together); include shows the first pair only (short).
        let half = MAX_ANCHOR_LINES / 2 + 1;
        let code = format!(
            "// ANCHOR: limit\n{}// ANCHOR_END: limit\n\
             // ANCHOR: long\n{}// ANCHOR: inner\nx\n// ANCHOR_END: inner\n// ANCHOR_END: long\n\
             // ANCHOR: split\n{}// ANCHOR_END: split\nfn between() {{}}\n\
             // ANCHOR: split\n{}// ANCHOR_END: split\n",
            body(MAX_ANCHOR_LINES),
            body(MAX_ANCHOR_LINES),
            body(half),
            body(half),
        );
        let one = "{{#rustdoc_include ../code/long.rs:limit}}\n\
                   {{#rustdoc_include ../code/long.rs:long}}\n\
                   {{#include ../code/long.rs:split}}\n\
                   {{#rustdoc_include ../code/long.rs:split}}\n";
        let problems = problems_of(&[
            ("SUMMARY.md", "- [One](one.md)\n"),
            ("one.md", one),
            ("../code/long.rs", &code),
        ]);
        let too_long = |line: usize, anchor: &str, n: usize| {
            format!(
                "src/one.md:{line}: includes `../code/long.rs:{anchor}`: anchor `{anchor}` shows \
                 {n} lines, more than {MAX_ANCHOR_LINES}: show the idea (narrow the anchor, or \
                 split the function into named helpers)"
            )
        };
        assert_eq!(
            problems,
            [
                too_long(2, "long", MAX_ANCHOR_LINES + 1),
                too_long(4, "split", 2 * half)
            ]
        );
    }

    #[test]
    fn a_second_pair_without_its_end_shows_the_rest_of_the_file() {
        let problems = problems_of(&[
            ("SUMMARY.md", "- [One](one.md)\n"),
            ("one.md", "{{#rustdoc_include ../code/x.rs:a}}\n"),
            (
                "../code/x.rs",
                "// ANCHOR: a\nx\n// ANCHOR_END: a\n// ANCHOR: a\ny\n",
            ),
        ]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("has no `ANCHOR_END: a`"),
            "{problems:?}"
        );
    }

    #[test]
    fn line_ranges_past_the_end() {
        let problems =
            with_one("{{#include ../code/lib.rs:7:20}}\n{{#include ../code/lib.rs:30}}\n");
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().all(|p| p.contains("run past the end")));
    }

    #[test]
    fn misspelt_directive_and_escaped_directive() {
        let problems = with_one("{{#inlcude ../code/lib.rs}}\n\\{{#include not/checked.rs}}\n");
        assert_eq!(
            problems,
            ["src/one.md:1: unknown directive {{#inlcude}}: mdBook leaves it on the page as text"]
        );
    }

    #[test]
    fn directives_are_found_like_mdbook_finds_them() {
        // As in mdBook, an escaped directive runs to the last `}}` on its line, swallowing any
        // directive after it on that line.
        let found = directives(
            "a {{ #include x.rs:a }} b ↔ {{#title T}} {{#x}} \\{{#include y}} {{#include w}}\n\
             {{#rustdoc_include z}} — é",
        );
        let names: Vec<(&str, &str)> = found.iter().map(|d| (d.name, d.args)).collect();
        assert_eq!(
            names,
            [
                ("include", "x.rs:a "),
                ("title", "T"),
                ("rustdoc_include", "z")
            ]
        );
    }

    #[test]
    fn link_to_a_missing_chapter() {
        assert_eq!(
            with_one("See [three](three.md).\n"),
            ["src/one.md:1: link `three.md` points to a missing chapter"]
        );
    }

    #[test]
    fn link_to_a_missing_heading_in_another_chapter_and_in_this_one() {
        assert_eq!(
            with_one("# One\n\n[a](two.md#nope)\n\n[b](#two)\n"),
            [
                "src/one.md:3: link `two.md#nope`: two.md has no heading with id `nope`",
                "src/one.md:5: link `#two`: one.md has no heading with id `two`",
            ]
        );
    }

    #[test]
    fn link_to_a_file_outside_the_book_or_missing() {
        assert_eq!(
            with_one("[code](../code/lib.rs) and ![diagram](pool.svg)\n"),
            [
                "src/one.md:1: link `../code/lib.rs` leaves the book's src/ directory, so it is broken in the built book",
                "src/one.md:1: link `pool.svg` points to a missing file",
            ]
        );
    }

    #[test]
    fn links_in_code_are_not_links_and_undefined_references_are_reported() {
        assert_eq!(
            with_one("`[a](nope.md)`\n\n```\n[b](nope.md)\n```\n\n[c][nope] and [plain text]\n"),
            ["src/one.md:7: reference link `[nope]` has no definition"]
        );
    }

    #[test]
    fn heading_ids_follow_mdbook() {
        let chapter = parse_chapter(
            "# Q5: `Pool::map` -- in order\n## Q5\n## Q5\n## Custom {#mine}\n## Don't panic!\n",
            Path::new("x.md"),
            &mut Vec::new(),
        );
        let mut ids: Vec<&str> = chapter.ids.iter().map(String::as_str).collect();
        ids.sort_unstable();
        // Smart punctuation turns `--` into an en dash, which is then dropped.
        assert_eq!(
            ids,
            ["dont-panic", "mine", "q5", "q5-1", "q5-poolmap--in-order"]
        );
    }

    #[test]
    fn chapter_missing_from_summary() {
        let problems = problems_of(&[
            ("SUMMARY.md", "- [One](one.md)\n"),
            ("one.md", "# One\n\n{{#include part.md}}\n"),
            ("part.md", "included, so not a chapter\n"),
            ("orphan.md", "# Forgotten\n"),
        ]);
        assert_eq!(
            problems,
            [
                "src/orphan.md:1: is not in SUMMARY.md, so mdBook does not build it: list it, or move it out of src/"
            ]
        );
    }

    #[test]
    fn link_to_a_chapter_left_out_of_summary() {
        let problems = problems_of(&[
            ("SUMMARY.md", "- [One](one.md)\n"),
            ("one.md", "[later](later.md)\n"),
            ("later.md", "# Later\n"),
        ]);
        assert!(
            problems.contains(
                &"src/one.md:1: link `later.md` points to a chapter that is not in SUMMARY.md"
                    .into()
            ),
            "{problems:?}"
        );
    }

    #[test]
    fn summary_entry_to_a_missing_file_or_twice() {
        assert_eq!(
            problems_of(&[
                (
                    "SUMMARY.md",
                    "# Summary\n\n- [One](one.md)\n- [Gone](gone.md)\n- [Again](one.md)\n- [Draft]()\n"
                ),
                ("one.md", "# One\n"),
            ]),
            [
                "src/SUMMARY.md:4: entry `gone.md` points to a missing file",
                "src/SUMMARY.md:5: entry `one.md` is listed twice",
            ]
        );
    }

    #[test]
    fn a_claim_is_held_to_its_output_and_a_changed_number_breaks_it() {
        let listed = Output {
            file: "q/run.output.txt",
            command: "cargo run -p q",
            ..outputs::OUTPUTS[0]
        };
        let chapter = "# Q\n\nA thread starts faster than a process.\n\
                       <!-- claim q/run.output.txt: `thread` < `process` / 10 -->\n\n\
                       And a claim on a file no command writes.\n\
                       <!-- claim q/typed.txt: `a` < 1 -->\n";
        let book_with = |output: &str| {
            problems_with(
                &[
                    ("SUMMARY.md", "- [Q](q.md)\n"),
                    ("q.md", chapter),
                    ("q/run.output.txt", output),
                    ("q/typed.txt", "a 0\n"),
                ],
                &[listed],
            )
        };
        let unlisted = "src/q.md:7: claim reads [\"q/typed.txt\"], which the regenerate tool \
                        does not produce (a claim holds a generated output to its sentence)";
        assert_eq!(
            book_with("$ cargo run -p q\nthread 98 µs\nprocess 2.7 ms\n"),
            [unlisted]
        );
        // The same output, regenerated on a day the process started fast: the claim fails.
        assert_eq!(
            book_with("$ cargo run -p q\nthread 98 µs\nprocess 0.9 ms\n"),
            [
                "src/q.md:4: claim no longer holds: `thread` < `process` / 10 (read in \
                 q/run.output.txt: 9.800e-5 < 9.000e-5 is false)",
                unlisted
            ]
        );
    }

    #[test]
    fn generated_outputs_must_be_registered_and_labelled() {
        let listed = Output {
            file: "q/run.output.txt",
            command: "cargo run -p q",
            kind: Kind::Run,
            expect: Expect::Code(0),
            varies: Some("process ids"),
            kill_worker: None,
            stdout_only: false,
            time_limit: None,
            pictures: &[],
        };
        let problems = problems_with(
            &[
                ("SUMMARY.md", "- [Q](q.md)\n"),
                (
                    "q.md",
                    "```console\n{{#include q/run.output.txt}}\n```\n\nNothing said.\n\n\n\n\n\n\n\n\n\n",
                ),
                ("q/run.output.txt", "$ cargo run -p other\nhello\n"),
                ("q/typed.output.txt", "$ cargo run -p q\nhello\n"),
            ],
            &[listed],
        );
        assert_eq!(
            problems,
            [
                "src/q/run.output.txt:1: first line should be `$ cargo run -p q` (run `cargo run -p book --bin regenerate`)",
                "src/q/typed.output.txt:1: is not produced by the regenerate tool: add it to OUTPUTS in crates/book/src/outputs.rs",
                "src/q.md:2: shows `q/run.output.txt`, which varies from run to run, without saying \"one real run\" within 10 lines of it",
            ]
        );
    }
}
