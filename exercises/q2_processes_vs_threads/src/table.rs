//! A plain-text table: columns padded to their widest cell, numbers aligned right.

use std::fmt;

/// How a column lines up its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// Rows of text under a header; printed with `{}`.
///
/// ```
/// use q2_processes_vs_threads::table::{Align, Table};
///
/// let mut t = Table::new(&[("worker", Align::Left), ("saw", Align::Right)]);
/// t.row(["thread", "42"]);
/// t.row(["child process", "0"]);
/// assert_eq!(t.to_string(), "\
/// worker         saw
/// thread          42
/// child process    0
/// ");
/// ```
#[derive(Debug, Clone)]
pub struct Table {
    header: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles and alignments.
    pub fn new(columns: &[(&str, Align)]) -> Self {
        Table {
            header: columns
                .iter()
                .map(|(title, _)| (*title).to_owned())
                .collect(),
            align: columns.iter().map(|(_, align)| *align).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row: one cell per column (missing cells are blank, extra ones dropped).
    pub fn row<I>(&mut self, cells: I)
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let mut row: Vec<String> = cells.into_iter().map(Into::into).collect();
        row.resize(self.header.len(), String::new());
        self.rows.push(row);
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{:w$}` pads by characters, so widths are counted in characters too (µ, –).
        let widths: Vec<usize> = (0..self.header.len())
            .map(|c| {
                std::iter::once(&self.header)
                    .chain(&self.rows)
                    .map(|row| row[c].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c > 0 {
                    line.push_str("  ");
                }
                let width = widths[c];
                match self.align[c] {
                    Align::Left => line.push_str(&format!("{cell:<width$}")),
                    Align::Right => line.push_str(&format!("{cell:>width$}")),
                }
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_count_characters_not_bytes() {
        let mut t = Table::new(&[("time", Align::Right), ("what", Align::Left)]);
        t.row(["27.7 µs", "thread"]);
        t.row(["4.21 ms", "process"]);
        assert_eq!(
            t.to_string(),
            "   time  what\n27.7 µs  thread\n4.21 ms  process\n"
        );
    }

    #[test]
    fn short_rows_are_padded_with_blanks() {
        let mut t = Table::new(&[("a", Align::Left), ("b", Align::Left)]);
        t.row(["x"]);
        assert_eq!(t.to_string(), "a  b\nx\n");
    }
}
