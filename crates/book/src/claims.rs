//! Claims: a sentence that compares measured things, tied to the output it describes.
//!
//! A chapter that says "a thread starts faster than a process" beside a generated output puts a
//! marker after the sentence, an HTML comment the reader never sees:
//!
//! ```text
//! A thread starts fastest, then a bare fork, then a Process.
//! <!-- claim q2_processes_vs_threads/cost.output.txt: `thread: std::thread::spawn` < `fork() + waitpid` < `common::Process start` -->
//! ```
//!
//! `cargo test -p book` reads every marker, finds the numbers in the named output file (a path
//! under `docs/src`, as in [`crate::outputs::OUTPUTS`]) and fails if the condition is false,
//! so regenerating an output that no longer agrees with its sentence breaks the build. The
//! regenerate tool also checks the claims on what it has just written, and says which broke.
//!
//! # The language
//!
//! A marker is `<!-- claim FILE: CONDITION; CONDITION … -->`; every condition must hold.
//!
//! - A condition is two or more expressions joined by relations: `<`, `<=`, `>`, `>=`, `=`
//!   (equal), `≈` (within a factor of 1.25 either way). `a < b < c` means `a < b` and `b < c`.
//! - An expression is terms joined by `*`, `/`, `+` and `-` (`*` and `/` first):
//!   `` `a` / `b` > 10 `` says "more than 10×", `` `a` - `b` < 1 ms `` "less than a
//!   millisecond apart".
//! - A term is a number (`10`, `1.5`, `2 ms`) or a value from an output: `` `TEXT` `` is the
//!   first number after `TEXT` on the one line that contains `TEXT`.
//!   - `` `TEXT`.2 `` takes the second number after it instead; `` `TEXT`.-1 `` the last
//!     number before it (`` `task 7 (`.-1 `` is 242 ms in `242 ms  task 7 ( 20 ms)`).
//!   - `` `TEXT`.Rust `` takes the first number in the column headed `Rust`, when the line is
//!     a row of a Markdown table.
//!   - `` `SECTION … TEXT` `` takes the first line containing `TEXT` after the one line
//!     containing `SECTION`: for a label that repeats (`… on two cores` under two headings).
//!   - `` other/file.output.txt`TEXT` `` reads another output.
//!
//! Numbers are read with their units: `µs`, `ms`, `s` (and `ns`) become seconds, so `98.2 µs <
//! 2.74 ms` holds; `KiB`, `MiB`, `kB`, `MB` become bytes; `×`, `x` and `%` are dropped
//! (`1.87x` is 1.87). A thousands separator (`15,705,097`) is read as part of the number.
//!
//! Where a number varies from run to run, claim what every run shows, with a margin the data
//! supports: "`a` / `b` > 5" where runs show 10 to 30, not "> 25".

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// One claim marker: where it is, the file it reads by default, its conditions as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// The chapter and line of the marker.
    pub chapter: PathBuf,
    pub line: usize,
    /// The output the terms read, relative to the book's `src`.
    pub file: String,
    pub conditions: Vec<Condition>,
}

/// `a < b <= c`: the expressions and the relations between neighbours.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub text: String,
    pub exprs: Vec<Expr>,
    pub relations: Vec<Relation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
    About,
}

impl Relation {
    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Relation::Less => a < b,
            Relation::LessOrEqual => a <= b,
            Relation::Greater => a > b,
            Relation::GreaterOrEqual => a >= b,
            Relation::Equal => (a - b).abs() <= 1e-12 * a.abs().max(b.abs()),
            Relation::About => a > 0.0 && b > 0.0 && a / b <= ABOUT && b / a <= ABOUT,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Relation::Less => "<",
            Relation::LessOrEqual => "<=",
            Relation::Greater => ">",
            Relation::GreaterOrEqual => ">=",
            Relation::Equal => "=",
            Relation::About => "≈",
        }
    }
}

/// `a ≈ b`: neither is more than this many times the other.
pub const ABOUT: f64 = 1.25;

/// Terms joined by `*`, `/`, `+` and `-`.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub first: Term,
    pub rest: Vec<(Op, Term)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Times,
    Over,
    Plus,
    Minus,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    Number(f64),
    /// A number in an output: which file (`None`: the claim's), which line, which number.
    Value {
        file: Option<String>,
        /// The texts to find, in order: each after the line of the one before.
        texts: Vec<String>,
        pick: Pick,
    },
}

/// Which number of a line a term takes.
#[derive(Debug, Clone, PartialEq)]
pub enum Pick {
    /// The Nth number after the text (1-based).
    Nth(usize),
    /// The Nth number before the text, counting back from it (1: the nearest).
    Before(usize),
    /// The first number in this Markdown table column.
    Column(String),
}

/// Why a claim could not be read or checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimError(pub String);

impl fmt::Display for ClaimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(message: impl Into<String>) -> Result<T, ClaimError> {
    Err(ClaimError(message.into()))
}

const OPEN: &str = "<!-- claim";
const CLOSE: &str = "-->";

/// Every claim marker in `text` (a chapter), or the error of each that cannot be parsed, with
/// its line.
pub fn find(chapter: &Path, text: &str) -> Vec<Result<Claim, (usize, ClaimError)>> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(start) = text[at..].find(OPEN).map(|i| at + i) {
        let line = crate::check::line_of(text, start);
        let Some(end) = text[start..].find(CLOSE).map(|i| start + i) else {
            found.push(Err((
                line,
                ClaimError("a claim marker without `-->`".into()),
            )));
            break;
        };
        let body = &text[start + OPEN.len()..end];
        found.push(
            parse(body)
                .map_err(|e| (line, e))
                .map(|(file, conditions)| Claim {
                    chapter: chapter.to_path_buf(),
                    line,
                    file,
                    conditions,
                }),
        );
        at = end + CLOSE.len();
    }
    found
}

/// `FILE: CONDITION; …` (the marker without `<!-- claim` and `-->`).
fn parse(body: &str) -> Result<(String, Vec<Condition>), ClaimError> {
    let body = body.trim();
    let Some((file, rest)) = body.split_once(':') else {
        return err("a claim needs `FILE: CONDITION`");
    };
    let file = file.trim();
    if file.is_empty() || file.contains(char::is_whitespace) {
        return err(format!("`{file}` is not an output file's path"));
    }
    let conditions = split_outside_backticks(rest, ';')
        .into_iter()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(parse_condition)
        .collect::<Result<Vec<_>, _>>()?;
    if conditions.is_empty() {
        return err("a claim with no condition");
    }
    Ok((file.to_owned(), conditions))
}

fn split_outside_backticks(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut inside = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == '`' {
            inside = !inside;
        } else if c == sep && !inside {
            parts.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts
}

/// The tokens of a condition.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Value {
        file: Option<String>,
        texts: Vec<String>,
        pick: Pick,
    },
    Rel(Relation),
    Op(Op),
}

fn parse_condition(text: &str) -> Result<Condition, ClaimError> {
    let tokens = tokenize(text)?;
    let mut exprs = Vec::new();
    let mut relations = Vec::new();
    let mut current: Option<Expr> = None;
    let mut pending_op: Option<Op> = None;
    for token in tokens {
        let term = match token {
            Token::Number(n) => Term::Number(n),
            Token::Value { file, texts, pick } => Term::Value { file, texts, pick },
            Token::Op(op) => {
                if current.is_none() || pending_op.is_some() {
                    return err(format!("`{text}`: `*` or `/` needs a term on each side"));
                }
                pending_op = Some(op);
                continue;
            }
            Token::Rel(rel) => {
                let Some(expr) = current.take() else {
                    return err(format!("`{text}`: a relation needs a term on each side"));
                };
                if pending_op.is_some() {
                    return err(format!("`{text}`: `*` or `/` needs a term on each side"));
                }
                exprs.push(expr);
                relations.push(rel);
                continue;
            }
        };
        match (&mut current, pending_op.take()) {
            (None, None) => {
                current = Some(Expr {
                    first: term,
                    rest: Vec::new(),
                })
            }
            (Some(expr), Some(op)) => expr.rest.push((op, term)),
            (Some(_), None) => return err(format!("`{text}`: two terms with nothing between")),
            (None, Some(_)) => unreachable!("an operator is only taken after a term"),
        }
    }
    match current {
        Some(expr) if pending_op.is_none() => exprs.push(expr),
        _ => return err(format!("`{text}`: it ends without a term")),
    }
    if relations.is_empty() {
        return err(format!(
            "`{text}`: a condition compares: `a < b`, `a ≈ b`, `a / b > 10`…"
        ));
    }
    Ok(Condition {
        text: text.to_owned(),
        exprs,
        relations,
    })
}

fn tokenize(text: &str) -> Result<Vec<Token>, ClaimError> {
    let mut tokens = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let (token, after) = if let Some(r) = rest.strip_prefix("<=") {
            (Token::Rel(Relation::LessOrEqual), r)
        } else if let Some(r) = rest.strip_prefix(">=") {
            (Token::Rel(Relation::GreaterOrEqual), r)
        } else if let Some(r) = rest.strip_prefix('<') {
            (Token::Rel(Relation::Less), r)
        } else if let Some(r) = rest.strip_prefix('>') {
            (Token::Rel(Relation::Greater), r)
        } else if let Some(r) = rest.strip_prefix('=') {
            (Token::Rel(Relation::Equal), r)
        } else if let Some(r) = rest.strip_prefix('≈') {
            (Token::Rel(Relation::About), r)
        } else if let Some(r) = rest.strip_prefix('*') {
            (Token::Op(Op::Times), r)
        } else if let Some(r) = rest.strip_prefix('/') {
            (Token::Op(Op::Over), r)
        } else if let Some(r) = rest.strip_prefix('+') {
            (Token::Op(Op::Plus), r)
        } else if let Some(r) = rest.strip_prefix('-') {
            (Token::Op(Op::Minus), r)
        } else if rest.starts_with(|c: char| c.is_ascii_digit()) {
            let (number, len) = number_at(rest)
                .ok_or_else(|| ClaimError(format!("`{text}`: a number that cannot be read")))?;
            (Token::Number(number), &rest[len..])
        } else {
            value_token(text, rest)?
        };
        tokens.push(token);
        rest = after.trim_start();
    }
    Ok(tokens)
}

/// `` [FILE]`TEXT`[.PICK] `` at the start of `rest`.
fn value_token<'a>(text: &str, rest: &'a str) -> Result<(Token, &'a str), ClaimError> {
    let Some(open) = rest.find('`') else {
        return err(format!("`{text}`: cannot read `{rest}`"));
    };
    let file = rest[..open].trim();
    if file.contains(char::is_whitespace) {
        return err(format!("`{text}`: cannot read `{}`", &rest[..open]));
    }
    let after_open = &rest[open + 1..];
    let Some(close) = after_open.find('`') else {
        return err(format!("`{text}`: a text without its closing backtick"));
    };
    let texts: Vec<String> = after_open[..close]
        .split('…')
        .map(|t| t.trim().to_owned())
        .collect();
    if texts.iter().any(String::is_empty) {
        return err(format!("`{text}`: an empty text between backticks"));
    }
    let mut after = &after_open[close + 1..];
    let mut pick = Pick::Nth(1);
    if let Some(p) = after.strip_prefix('.') {
        let (back, p) = match p.strip_prefix('-') {
            Some(p) => (true, p),
            None => (false, p),
        };
        let len = p
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(p.len());
        let name = &p[..len];
        pick = match (name.parse::<usize>(), back) {
            (Ok(0), _) => return err(format!("`{text}`: numbers are counted from 1")),
            (Ok(n), false) => Pick::Nth(n),
            (Ok(n), true) => Pick::Before(n),
            (Err(_), false) if !name.is_empty() => Pick::Column(name.to_owned()),
            _ => return err(format!("`{text}`: `.` needs a number or a column name")),
        };
        after = &p[len..];
    }
    let file = (!file.is_empty()).then(|| file.to_owned());
    Ok((Token::Value { file, texts, pick }, after))
}

/// The number at the start of `text` with its unit, in base units, and how many bytes it took.
fn number_at(text: &str) -> Option<(f64, usize)> {
    let bytes = text.as_bytes();
    let mut end = 0;
    let mut digits = String::new();
    while end < bytes.len() {
        let c = bytes[end];
        let next_is_digit = bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
        if c.is_ascii_digit() {
            digits.push(c as char);
        } else if c == b'.' && next_is_digit && !digits.contains(['.', 'e']) {
            digits.push('.');
        } else if c == b',' && next_is_digit && !digits.contains(['.', 'e']) {
            // a thousands separator
        } else if (c == b'e' || c == b'E')
            && !digits.is_empty()
            && !digits.contains('e')
            && (next_is_digit
                || (matches!(bytes.get(end + 1), Some(b'+' | b'-'))
                    && bytes.get(end + 2).is_some_and(u8::is_ascii_digit)))
        {
            digits.push('e');
            if matches!(bytes[end + 1], b'+' | b'-') {
                end += 1;
                digits.push(bytes[end] as char);
            }
        } else {
            break;
        }
        end += 1;
    }
    let value: f64 = digits.parse().ok()?;
    let after = &text[end..];
    let unit_text = after.strip_prefix(' ').unwrap_or(after);
    for (unit, scale) in UNITS {
        if let Some(tail) = unit_text.strip_prefix(unit)
            && !tail.starts_with(|c: char| c.is_alphanumeric())
        {
            let used = end + (after.len() - unit_text.len()) + unit.len();
            return Some((value * scale, used));
        }
    }
    Some((value, end))
}

/// Units a number may carry, longest first where one is the start of another.
const UNITS: &[(&str, f64)] = &[
    ("ns", 1e-9),
    ("µs", 1e-6),
    ("us", 1e-6),
    ("ms", 1e-3),
    ("s", 1.0),
    ("KiB", 1024.0),
    ("MiB", 1024.0 * 1024.0),
    ("GiB", 1024.0 * 1024.0 * 1024.0),
    ("kB", 1e3),
    ("MB", 1e6),
    ("GB", 1e9),
    ("×", 1.0),
    ("x", 1.0),
    ("%", 1.0),
];

/// The numbers in `text`, in order: each with its unit applied. A number glued to a letter
/// before it (`q5`, `x86_64`) is part of a word, not a number.
pub fn numbers_in(text: &str) -> Vec<f64> {
    let mut found = Vec::new();
    let mut i = 0;
    let mut previous: Option<char> = None;
    while i < text.len() {
        let rest = &text[i..];
        let c = rest.chars().next().expect("inside the text");
        let starts_number = c.is_ascii_digit()
            && !previous.is_some_and(|p| p.is_alphanumeric() || p == '_' || p == '.');
        if starts_number && let Some((value, len)) = number_at(rest) {
            let negative = previous == Some('-') && {
                let before = &text[..i - 1];
                before
                    .chars()
                    .next_back()
                    .is_none_or(|b| b.is_whitespace() || b == '(')
            };
            found.push(if negative { -value } else { value });
            previous = rest[..len].chars().next_back();
            i += len;
            continue;
        }
        previous = Some(c);
        i += c.len_utf8();
    }
    found
}

impl Claim {
    /// Every output file the claim reads.
    pub fn files(&self) -> Vec<&str> {
        let mut files = vec![self.file.as_str()];
        for condition in &self.conditions {
            for expr in &condition.exprs {
                for term in std::iter::once(&expr.first).chain(expr.rest.iter().map(|(_, t)| t)) {
                    if let Term::Value { file: Some(f), .. } = term {
                        files.push(f);
                    }
                }
            }
        }
        files.sort_unstable();
        files.dedup();
        files
    }
}

/// Reads output files once each, relative to `src`.
#[derive(Debug)]
pub struct Outputs<'a> {
    src: &'a Path,
    files: HashMap<String, Result<String, String>>,
}

impl<'a> Outputs<'a> {
    pub fn new(src: &'a Path) -> Self {
        Outputs {
            src,
            files: HashMap::new(),
        }
    }

    fn text(&mut self, file: &str) -> Result<&str, ClaimError> {
        let src = self.src;
        let entry = self
            .files
            .entry(file.to_owned())
            .or_insert_with(|| std::fs::read_to_string(src.join(file)).map_err(|e| e.to_string()));
        match entry {
            Ok(text) => Ok(text),
            Err(e) => err(format!("cannot read `{file}`: {e}")),
        }
    }
}

/// Checks `claim` against the outputs: `Ok` if every condition holds, otherwise what failed,
/// with the values it read.
pub fn evaluate(claim: &Claim, outputs: &mut Outputs<'_>) -> Result<(), ClaimError> {
    for condition in &claim.conditions {
        let values = condition
            .exprs
            .iter()
            .map(|e| value_of(e, &claim.file, outputs))
            .collect::<Result<Vec<_>, _>>()?;
        for (k, rel) in condition.relations.iter().enumerate() {
            let (a, b) = (values[k], values[k + 1]);
            if !rel.holds(a, b) {
                return err(format!(
                    "claim no longer holds: {} (read in {}: {} {} {} is false)",
                    condition.text,
                    claim.file,
                    show(a),
                    rel.symbol(),
                    show(b)
                ));
            }
        }
    }
    Ok(())
}

fn show(x: f64) -> String {
    let a = x.abs();
    if a != 0.0 && a < 1e-3 {
        format!("{x:.3e}")
    } else {
        format!("{}", (x * 1e4).round() / 1e4)
    }
}

/// `*` and `/` before `+` and `-`, each left to right.
fn value_of(expr: &Expr, file: &str, outputs: &mut Outputs<'_>) -> Result<f64, ClaimError> {
    let mut sum = 0.0;
    let mut product = term_value(&expr.first, file, outputs)?;
    for (op, term) in &expr.rest {
        let v = term_value(term, file, outputs)?;
        match op {
            Op::Times => product *= v,
            Op::Over if v == 0.0 => return err("a division by zero"),
            Op::Over => product /= v,
            Op::Plus => {
                sum += product;
                product = v;
            }
            Op::Minus => {
                sum += product;
                product = -v;
            }
        }
    }
    Ok(sum + product)
}

fn term_value(term: &Term, default: &str, outputs: &mut Outputs<'_>) -> Result<f64, ClaimError> {
    let Term::Value { file, texts, pick } = term else {
        let Term::Number(n) = term else {
            unreachable!()
        };
        return Ok(*n);
    };
    let file = file.as_deref().unwrap_or(default);
    let text = outputs.text(file)?;
    let lines: Vec<&str> = text.lines().collect();
    let shown = texts.join(" … ");
    let mut from = 0;
    let mut found = None;
    for (k, t) in texts.iter().enumerate() {
        let matches: Vec<usize> = (from..lines.len())
            .filter(|&i| lines[i].contains(t.as_str()))
            .collect();
        let i = match (k, matches.as_slice()) {
            (0, []) => return err(format!("no line of `{file}` contains `{t}`")),
            (_, []) => {
                return err(format!(
                    "no line of `{file}` after the one with `{}` contains `{t}`",
                    texts[k - 1]
                ));
            }
            (0, [one]) => *one,
            (0, [..]) => {
                return err(format!(
                    "{} lines of `{file}` contain `{t}`: make the text longer, or name a line \
                     before it (`SECTION … {t}`)",
                    matches.len()
                ));
            }
            (_, [first, ..]) => *first,
        };
        found = Some((i, t));
        from = i + 1;
    }
    let (i, t) = found.expect("at least one text");
    let line = lines[i];
    match pick {
        Pick::Nth(n) => {
            let after = &line[line.find(t.as_str()).expect("the line contains it") + t.len()..];
            numbers_in(after).get(n - 1).copied().ok_or_else(|| {
                ClaimError(format!(
                    "the line of `{file}` with `{shown}` has no number {n} after the text: `{line}`"
                ))
            })
        }
        Pick::Before(n) => {
            let before = &line[..line.find(t.as_str()).expect("the line contains it")];
            let numbers = numbers_in(before);
            numbers.len().checked_sub(*n).map(|k| numbers[k]).ok_or_else(|| {
                ClaimError(format!(
                    "the line of `{file}` with `{shown}` has no number {n} before the text: `{line}`"
                ))
            })
        }
        Pick::Column(name) => {
            let cells = table_cells(line).ok_or_else(|| {
                ClaimError(format!(
                    "`{shown}`.{name}: the line is not a table row: `{line}`"
                ))
            })?;
            let header = (0..=i)
                .rev()
                .take_while(|&j| lines[j].trim_start().starts_with('|'))
                .last()
                .and_then(|j| table_cells(lines[j]))
                .unwrap_or_default();
            let column = header
                .iter()
                .position(|h| h.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    ClaimError(format!("the table of `{shown}` has no column `{name}`"))
                })?;
            cells
                .get(column)
                .and_then(|cell| numbers_in(cell).first().copied())
                .ok_or_else(|| {
                    ClaimError(format!(
                        "`{shown}`.{name}: no number in that column: `{line}`"
                    ))
                })
        }
    }
}

/// The cells of a Markdown table row (`| a | b |`), trimmed.
fn table_cells(line: &str) -> Option<Vec<&str>> {
    let inner = line.trim().strip_prefix('|')?;
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    Some(inner.split('|').map(str::trim).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(body: &str) -> Claim {
        let text = format!("Some sentence. <!-- claim {body} -->\n");
        let found = find(Path::new("ch.md"), &text);
        assert_eq!(found.len(), 1);
        found.into_iter().next().unwrap().unwrap()
    }

    #[test]
    fn numbers_are_read_with_their_units() {
        assert_eq!(
            numbers_in("98.2 µs      1.00×   89.6 µs – 105 µs"),
            [98.2 * 1e-6, 1.0, 89.6 * 1e-6, 105.0 * 1e-6]
        );
        assert_eq!(
            numbers_in("0.410 s 1.87x 15,705,097"),
            [0.41, 1.87, 15_705_097.0]
        );
        assert_eq!(numbers_in("q5_pool on x86_64: 2 cores"), [2.0]);
        assert_eq!(
            numbers_in("3.9 MiB ±4% -11 (-6)"),
            [3.9 * 1048576.0, 4.0, -11.0, -6.0]
        );
        assert_eq!(
            numbers_in("5.56209241456e+305, 1e-30"),
            [5.56209241456e305, 1e-30]
        );
        assert_eq!(numbers_in("9 tasks in 242 ms."), [9.0, 0.242]);
    }

    #[test]
    fn markers_parse_into_conditions() {
        let c = claim("a/b.output.txt: `x` < `y`.2 <= 3 ms; `z` / other.output.txt`w`.Rust ≈ 1");
        assert_eq!(c.file, "a/b.output.txt");
        assert_eq!(c.conditions.len(), 2);
        assert_eq!(
            c.conditions[0].relations,
            [Relation::Less, Relation::LessOrEqual]
        );
        assert_eq!(c.conditions[0].exprs[2].first, Term::Number(3e-3));
        assert_eq!(
            c.conditions[1].exprs[0].rest,
            [(
                Op::Over,
                Term::Value {
                    file: Some("other.output.txt".into()),
                    texts: vec!["w".into()],
                    pick: Pick::Column("Rust".into())
                }
            )]
        );
        for bad in [
            "no colon here",
            "f.txt: `a`",
            "f.txt: `a` <",
            "f.txt: `a` `b` < 1",
            "f.txt: `a < 1",
            "f.txt: `a`.0 < 1",
            "f.txt: `a` * < 1",
        ] {
            let found = find(Path::new("ch.md"), &format!("<!-- claim {bad} -->"));
            assert!(found[0].is_err(), "{bad} parsed: {found:?}");
        }
    }

    const OUTPUT: &str = "\
$ cargo run -p q
worker            median  vs thread
thread: spawn     98.2 µs     1.00×
child: fork()      351 µs     3.58×
child: Process    2.74 ms     27.9×

| workload | Python | Rust | ratio |
|---|---:|---:|---:|
| **pipes** | | | |
| 8 bytes over a pipe | 83.1 µs ±3% | 80.1 µs ±2% | ≈ 0.96 |
| … pinned to two cores | 80.1 µs | 87.2 µs | 1.09 |
| **channels** | | | |
| … pinned to two cores | 85.5 µs | 96.2 µs | 1.12 |
";

    fn check(body: &str) -> Result<(), ClaimError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("q")).unwrap();
        std::fs::write(dir.path().join("q/out.output.txt"), OUTPUT).unwrap();
        std::fs::write(dir.path().join("q/other.output.txt"), "took 4.1 ms\n").unwrap();
        evaluate(&claim(body), &mut Outputs::new(dir.path()))
    }

    #[test]
    fn conditions_are_evaluated_against_the_output() {
        check("q/out.output.txt: `thread: spawn` < `fork()` < `Process`").unwrap();
        check("q/out.output.txt: `Process`.2 > 20; `Process` / `thread: spawn` > 25").unwrap();
        check("q/out.output.txt: `8 bytes over a pipe`.Rust ≈ `8 bytes over a pipe`.Python")
            .unwrap();
        check("q/out.output.txt: `8 bytes over a pipe`.ratio = 0.96").unwrap();
        check("q/out.output.txt: `channels … two cores`.Rust > `pipes … two cores`.Rust").unwrap();
        check("q/out.output.txt: `Process` < q/other.output.txt`took`").unwrap();
        check("q/out.output.txt: `3.58×`.-1 = 351 µs").unwrap();
        check("q/out.output.txt: `Process` - `fork()` * 2 = 2.038 ms").unwrap();
        check("q/out.output.txt: 1 + 2 * 3 - 4 / 2 = 5").unwrap();
        assert!(check("q/out.output.txt: `thread: spawn`.-1 > 0").is_err());

        let broken = check("q/out.output.txt: `fork()` < `thread: spawn`").unwrap_err();
        assert_eq!(
            broken.0,
            "claim no longer holds: `fork()` < `thread: spawn` (read in q/out.output.txt: \
             3.510e-4 < 9.820e-5 is false)"
        );
        let ambiguous = check("q/out.output.txt: `two cores` > 1").unwrap_err();
        assert!(ambiguous.0.starts_with("2 lines of"), "{ambiguous}");
        let missing = check("q/out.output.txt: `nothing like it` > 1").unwrap_err();
        assert!(
            missing.0.contains("contains `nothing like it`"),
            "{missing}"
        );
        let column = check("q/out.output.txt: `8 bytes over a pipe`.Go > 1").unwrap_err();
        assert!(column.0.contains("no column `Go`"), "{column}");
        let file = check("q/gone.output.txt: `a` > 1").unwrap_err();
        assert!(
            file.0.starts_with("cannot read `q/gone.output.txt`"),
            "{file}"
        );
    }
}
