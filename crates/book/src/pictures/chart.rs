//! A horizontal bar chart of durations on a log scale, as SVG: a row per measured thing, a bar
//! per series (Python and Rust, say), grouped under headings.

use std::fmt::Write as _;

const WIDTH: f64 = 720.0;
const MARGIN: f64 = 12.0;
/// Left edge of the bars: room for the series names before them.
const BARS_LEFT: f64 = MARGIN + 64.0;
/// Right edge of the bars: room for the value printed after the longest one.
const BARS_RIGHT: f64 = WIDTH - MARGIN - 78.0;
const LABEL_HEIGHT: f64 = 17.0;
const BAR_HEIGHT: f64 = 12.0;
const BAR_GAP: f64 = 3.0;
const ROW_GAP: f64 = 8.0;
const HEADING_HEIGHT: f64 = 24.0;
/// How many characters of the 11 px caption fit on one line of the chart.
const CAPTION_CHARS: usize = 110;
/// Bar colours, one per series, in order.
const COLOURS: [&str; 3] = ["#3572a5", "#b7410e", "#59a14f"];

/// One line of the chart.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    /// A heading over the rows after it.
    Heading(String),
    /// A measured thing and its value in each series, in seconds (`None`: not measured).
    Bars {
        label: String,
        values: Vec<Option<f64>>,
    },
}

/// A bar chart of durations.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub title: String,
    /// A line under the chart: the machine and the run the numbers come from.
    pub caption: String,
    /// The series' names, in the order of each row's values.
    pub series: Vec<String>,
    pub rows: Vec<Row>,
}

impl Chart {
    /// The chart as an SVG document, or why it cannot be drawn (no positive value at all).
    pub fn svg(&self) -> Result<String, String> {
        let values: Vec<f64> = self
            .rows
            .iter()
            .filter_map(|row| match row {
                Row::Bars { values, .. } => Some(values.iter().flatten().copied()),
                Row::Heading(_) => None,
            })
            .flatten()
            .filter(|v| *v > 0.0 && v.is_finite())
            .collect();
        if values.is_empty() {
            return Err(format!("chart `{}` has no values to draw", self.title));
        }
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(0.0, f64::max);
        let scale = LogScale::new(min, max);

        let mut body = String::new();
        let mut y = MARGIN;
        let _ = writeln!(
            body,
            r##"<text x="{MARGIN}" y="{:.1}" font-size="14" font-weight="bold" fill="#222222">{}</text>"##,
            y + 14.0,
            escape(&self.title)
        );
        y += 22.0;
        if self.series.len() > 1 {
            let mut x = MARGIN;
            for (name, colour) in self.series.iter().zip(COLOURS) {
                let _ = writeln!(
                    body,
                    r##"<rect x="{x:.1}" y="{:.1}" width="14" height="12" rx="2" fill="{colour}"/><text x="{:.1}" y="{:.1}" fill="#222222">{}</text>"##,
                    y + 2.0,
                    x + 19.0,
                    y + 12.5,
                    escape(name)
                );
                x += 19.0 + name.chars().count() as f64 * 6.5 + 18.0;
            }
            y += 20.0;
        }
        let top = y + 18.0;
        let height_of_rows: f64 = self.rows.iter().map(|r| self.row_height(r)).sum();
        let bottom = top + height_of_rows;
        scale.draw(&mut body, top, bottom);
        y = top;
        for row in &self.rows {
            self.draw_row(&mut body, &scale, row, y);
            y += self.row_height(row);
        }
        y = bottom + 16.0;
        for line in wrap(&self.caption, CAPTION_CHARS) {
            y += 14.0;
            let _ = writeln!(
                body,
                r##"<text x="{MARGIN}" y="{y:.1}" font-size="11" fill="#555555">{}</text>"##,
                escape(&line)
            );
        }
        let height = y + MARGIN;

        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="sans-serif" font-size="12" role="img">"#
        );
        let _ = writeln!(svg, "<title>{}</title>", escape(&self.title));
        let _ = writeln!(
            svg,
            r##"<rect width="100%" height="100%" rx="6" fill="#ffffff" stroke="#d0d0d0"/>"##
        );
        svg.push_str(&body);
        svg.push_str("</svg>\n");
        Ok(svg)
    }

    fn row_height(&self, row: &Row) -> f64 {
        match row {
            Row::Heading(_) => HEADING_HEIGHT,
            Row::Bars { .. } => {
                LABEL_HEIGHT + self.series.len() as f64 * (BAR_HEIGHT + BAR_GAP) + ROW_GAP
            }
        }
    }

    fn draw_row(&self, out: &mut String, scale: &LogScale, row: &Row, y: f64) {
        match row {
            Row::Heading(text) => {
                let _ = writeln!(
                    out,
                    r##"<text x="{MARGIN}" y="{:.1}" font-weight="bold" fill="#222222">{}</text>"##,
                    y + 16.0,
                    escape(text)
                );
            }
            Row::Bars { label, values } => {
                let _ = writeln!(
                    out,
                    r##"<text x="{MARGIN}" y="{:.1}" fill="#222222">{}</text>"##,
                    y + 12.0,
                    escape(label)
                );
                let mut bar_y = y + LABEL_HEIGHT;
                for ((name, colour), value) in self.series.iter().zip(COLOURS).zip(values) {
                    if self.series.len() > 1 {
                        let _ = writeln!(
                            out,
                            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="10" fill="#555555">{}</text>"##,
                            BARS_LEFT - 6.0,
                            bar_y + BAR_HEIGHT - 2.0,
                            escape(name)
                        );
                    }
                    match value {
                        Some(v) if *v > 0.0 => {
                            let right = scale.x(*v);
                            let _ = writeln!(
                                out,
                                r#"<rect x="{BARS_LEFT:.1}" y="{bar_y:.1}" width="{:.1}" height="{BAR_HEIGHT}" rx="2" fill="{colour}"><title>{}: {} {}</title></rect>"#,
                                (right - BARS_LEFT).max(1.5),
                                escape(label),
                                escape(name),
                                duration(*v)
                            );
                            let _ = writeln!(
                                out,
                                r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#222222">{}</text>"##,
                                right + 5.0,
                                bar_y + BAR_HEIGHT - 2.0,
                                duration(*v)
                            );
                        }
                        _ => {
                            let _ = writeln!(
                                out,
                                r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#888888">not measured</text>"##,
                                BARS_LEFT + 4.0,
                                bar_y + BAR_HEIGHT - 2.0
                            );
                        }
                    }
                    bar_y += BAR_HEIGHT + BAR_GAP;
                }
            }
        }
    }
}

/// Powers of ten from below the smallest value to above the largest.
struct LogScale {
    low: i32,
    high: i32,
}

impl LogScale {
    fn new(min: f64, max: f64) -> LogScale {
        let low = min.log10().floor() as i32;
        let high = (max.log10().ceil() as i32).max(low + 1);
        LogScale { low, high }
    }

    fn x(&self, value: f64) -> f64 {
        let share = (value.log10() - f64::from(self.low)) / f64::from(self.high - self.low);
        BARS_LEFT + share.clamp(0.0, 1.0) * (BARS_RIGHT - BARS_LEFT)
    }

    /// A grid line and a label at each power of ten.
    fn draw(&self, out: &mut String, top: f64, bottom: f64) {
        for power in self.low..=self.high {
            let value = 10f64.powi(power);
            let x = self.x(value);
            let _ = writeln!(
                out,
                r##"<line x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{bottom:.1}" stroke="#c8c8c8" stroke-dasharray="2,3"/>"##
            );
            for y in [top - 6.0, bottom + 14.0] {
                let _ = writeln!(
                    out,
                    r##"<text x="{x:.1}" y="{y:.1}" text-anchor="middle" font-size="11" fill="#444444">{}</text>"##,
                    duration(value)
                );
            }
        }
    }
}

/// A duration in seconds, in the unit that reads best: `98.2 µs`, `2.74 ms`, `1 s`.
pub fn duration(seconds: f64) -> String {
    let (value, unit) = if seconds < 1e-6 {
        (seconds * 1e9, "ns")
    } else if seconds < 1e-3 {
        (seconds * 1e6, "µs")
    } else if seconds < 1.0 {
        (seconds * 1e3, "ms")
    } else {
        (seconds, "s")
    };
    // Three significant digits, without trailing zeros after the point.
    let text = if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    };
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    };
    format!("{text} {unit}")
}

/// Parses a duration as the programs print it: `98.2 µs`, `2.74 ms`, `1.5 s`, `700 ns` (a
/// leading number and a unit; anything after them, like `(381 MB/s)`, is ignored).
pub fn parse_duration(text: &str) -> Option<f64> {
    let mut words = text.split_whitespace();
    let number: f64 = words.next()?.replace(',', "").parse().ok()?;
    let scale = match words.next()? {
        "ns" => 1e-9,
        "µs" | "us" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        _ => return None,
    };
    Some(number * scale)
}

/// `text` cut into lines of at most `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines
}

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_captions_wrap_at_spaces() {
        assert_eq!(wrap("aa bb cc dd", 5), ["aa bb", "cc dd"]);
        assert_eq!(wrap("one", 2), ["one"]);
        assert!(wrap("", 5).is_empty());
    }

    #[test]
    fn durations_print_and_parse_in_the_programs_units() {
        assert_eq!(duration(98.2e-6), "98.2 µs");
        assert_eq!(duration(2.74e-3), "2.74 ms");
        assert_eq!(duration(1e-3), "1 ms");
        assert_eq!(duration(0.1), "100 ms");
        assert_eq!(duration(12.0), "12 s");
        assert_eq!(duration(7e-7), "700 ns");
        assert_eq!(parse_duration("98.2 µs"), Some(98.2e-6));
        assert_eq!(parse_duration("2.75 ms (381 MB/s)"), Some(2.75e-3));
        assert_eq!(parse_duration("12.7 MiB"), None);
        assert_eq!(parse_duration("—"), None);
        assert_eq!(parse_duration("1.00×"), None);
    }

    #[test]
    fn bars_are_as_long_as_their_log_says() {
        let chart = Chart {
            title: "t".into(),
            caption: "one real run".into(),
            series: vec!["Python".into(), "Rust".into()],
            rows: vec![
                Row::Heading("Starting".into()),
                Row::Bars {
                    label: "thread <start>".into(),
                    values: vec![Some(3e-4), Some(2e-6)],
                },
                Row::Bars {
                    label: "process".into(),
                    values: vec![Some(2e-2), None],
                },
            ],
        };
        let svg = chart.svg().unwrap();
        assert!(svg.contains("thread &lt;start&gt;"));
        assert!(svg.contains(">not measured</text>"));
        // Decades from 1 µs to 100 ms, each labelled above and below the bars.
        for tick in ["1 µs", "10 µs", "100 µs", "1 ms", "10 ms", "100 ms"] {
            assert_eq!(svg.matches(&format!(">{tick}</text>")).count(), 2, "{tick}");
        }
        let scale = LogScale::new(1e-6, 1e-2);
        let width = |v: f64| scale.x(v) - BARS_LEFT;
        assert!((width(1e-4) - 2.0 * width(1e-5)).abs() < 1e-9);
        assert!(width(1e-6) == 0.0);
        assert!(
            Chart {
                rows: vec![],
                ..chart
            }
            .svg()
            .is_err()
        );
    }
}
