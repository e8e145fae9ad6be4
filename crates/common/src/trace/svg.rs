//! The SVG timeline: a lane per worker, a bar per task, a time axis in milliseconds.
//!
//! Plain SVG 1.1 text, no script and no external font or style, so it shows the same in an
//! `<img>`, in a browser tab and in a diff. Its own white background keeps it readable on a
//! dark page.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;
use std::{fs, io};

use super::{Outcome, Span, Trace};

const WIDTH: f64 = 720.0;
const MARGIN: f64 = 12.0;
const TITLE_HEIGHT: f64 = 22.0;
const LANE_HEIGHT: f64 = 22.0;
const BAR_HEIGHT: f64 = 16.0;
const PANEL_GAP: f64 = 10.0;
const AXIS_HEIGHT: f64 = 30.0;
const LEGEND_HEIGHT: f64 = 22.0;
/// Roughly how wide one character of the 12 px sans-serif font is; used to decide whether a
/// label fits, never to place text exactly.
const CHAR_WIDTH: f64 = 7.0;

/// The colour of a bar, and of its label.
fn colours(outcome: Outcome) -> (&'static str, &'static str) {
    match outcome {
        Outcome::Ran => ("#4e79a7", "#ffffff"),
        Outcome::Failed => ("#f28e2b", "#1b1b1b"),
        Outcome::Killed => ("#d62728", "#ffffff"),
    }
}

/// One or more traces drawn one above the other on a shared time scale: the way to set two
/// runs of the same work side by side (processes against threads, say).
///
/// ```
/// use std::time::Duration;
/// use common::{Outcome, Picture, Span, Trace};
///
/// let processes = Trace::new();
/// processes.record(Span {
///     index: 0,
///     pid: 4242,
///     start: Duration::ZERO,
///     end: Duration::from_millis(30),
///     outcome: Outcome::Ran,
/// });
/// let threads = Trace::of_threads();
/// let svg = Picture::new()
///     .panel("4 processes", &processes)
///     .panel("4 threads", &threads)
///     .svg();
/// assert!(svg.starts_with("<svg") && svg.contains("pid 4242") && svg.contains("30 ms"));
/// ```
///
/// Each panel's time starts at its own trace's creation; all panels share one scale, so equal
/// lengths are equal durations.
#[derive(Debug, Default)]
pub struct Picture<'a> {
    title: Option<String>,
    panels: Vec<(String, &'a Trace)>,
}

impl<'a> Picture<'a> {
    /// An empty picture.
    pub fn new() -> Self {
        Picture::default()
    }

    /// A heading above every panel.
    pub fn title(mut self, title: &str) -> Self {
        self.title = Some(title.to_owned());
        self
    }

    /// Adds `trace` as the next panel, headed `title`.
    pub fn panel(mut self, title: &str, trace: &'a Trace) -> Self {
        self.panels.push((title.to_owned(), trace));
        self
    }

    /// The picture as an SVG document.
    pub fn svg(&self) -> String {
        let panels: Vec<Panel> = self
            .panels
            .iter()
            .map(|(title, trace)| Panel::of(title, trace))
            .collect();
        let end = panels
            .iter()
            .flat_map(|p| &p.lanes)
            .flat_map(|(_, spans)| spans)
            .map(|s| s.end)
            .max()
            .unwrap_or_default()
            .max(Duration::from_micros(1));
        let label_width = panels
            .iter()
            .flat_map(|p| &p.lanes)
            .map(|(label, _)| label.chars().count() as f64 * CHAR_WIDTH + 14.0)
            .fold(60.0, f64::max);
        let left = MARGIN + label_width;
        let right = WIDTH - MARGIN - 14.0;
        let axis = Axis::new(end, left, right);

        let mut body = String::new();
        let mut y = MARGIN;
        if let Some(title) = &self.title {
            let _ = writeln!(
                body,
                r#"<text x="{MARGIN}" y="{:.1}" font-size="14" font-weight="bold">{}</text>"#,
                y + 14.0,
                escape(title)
            );
            y += TITLE_HEIGHT + 4.0;
        }
        let plot_top = y;
        let plot_bottom = plot_top
            + panels.iter().map(Panel::height).sum::<f64>()
            + PANEL_GAP * panels.len().saturating_sub(1) as f64;
        // The grid first, so bars and labels are drawn over it.
        axis.draw(&mut body, plot_top, plot_bottom);
        for panel in &panels {
            y = panel.draw(&mut body, &axis, y) + PANEL_GAP;
        }
        y = plot_bottom + AXIS_HEIGHT;
        let outcomes: Vec<Outcome> = [Outcome::Ran, Outcome::Failed, Outcome::Killed]
            .into_iter()
            .filter(|o| {
                panels
                    .iter()
                    .flat_map(|p| &p.lanes)
                    .any(|(_, spans)| spans.iter().any(|s| s.outcome == *o))
            })
            .collect();
        draw_legend(&mut body, y, &outcomes);
        let height = y + LEGEND_HEIGHT + MARGIN;

        let description = panels
            .iter()
            .map(|p| p.title.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="sans-serif" font-size="12" role="img">"#
        );
        let _ = writeln!(svg, "<title>Timeline: {}</title>", escape(&description));
        let _ = writeln!(
            svg,
            r##"<rect width="100%" height="100%" rx="6" fill="#ffffff" stroke="#d0d0d0"/>"##
        );
        svg.push_str(&body);
        svg.push_str("</svg>\n");
        svg
    }

    /// Writes [`Picture::svg`] to `path` (creating its directory), through a temporary file
    /// and a rename: a failure leaves the old file, or none, never half a picture.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir)?;
        }
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(format!(".{}.tmp", std::process::id()));
        fs::write(&tmp, self.svg())?;
        fs::rename(&tmp, path).inspect_err(|_| {
            let _ = fs::remove_file(&tmp);
        })
    }
}

/// One trace, ready to draw: its title and lanes.
struct Panel {
    title: String,
    lanes: Vec<(String, Vec<Span>)>,
    of_threads: bool,
}

impl Panel {
    fn of(title: &str, trace: &Trace) -> Panel {
        Panel {
            title: title.to_owned(),
            lanes: trace
                .lanes()
                .into_iter()
                .map(|(pid, spans)| (trace.lane_label(pid), spans))
                .collect(),
            of_threads: trace.is_of_threads(),
        }
    }

    fn height(&self) -> f64 {
        TITLE_HEIGHT + LANE_HEIGHT * self.lanes.len().max(1) as f64
    }

    /// Draws the panel from `y` down; returns where it ends.
    fn draw(&self, out: &mut String, axis: &Axis, mut y: f64) -> f64 {
        let _ = writeln!(
            out,
            r##"<text x="{MARGIN}" y="{:.1}" font-weight="bold" fill="#222222">{}</text>"##,
            y + 14.0,
            escape(&self.title)
        );
        y += TITLE_HEIGHT;
        if self.lanes.is_empty() {
            let _ = writeln!(
                out,
                r##"<text x="{:.1}" y="{:.1}" fill="#666666">(no tasks recorded)</text>"##,
                axis.left,
                y + 15.0
            );
            return y + LANE_HEIGHT;
        }
        for (row, (label, spans)) in self.lanes.iter().enumerate() {
            if row % 2 == 1 {
                let _ = writeln!(
                    out,
                    r##"<rect x="{MARGIN}" y="{y:.1}" width="{:.1}" height="{LANE_HEIGHT}" fill="#dde3ea" fill-opacity="0.45"/>"##,
                    WIDTH - 2.0 * MARGIN
                );
            }
            let _ = writeln!(
                out,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#222222">{}</text>"##,
                axis.left - 8.0,
                y + 15.0,
                escape(label)
            );
            for span in spans {
                self.draw_bar(out, axis, span, label, y + (LANE_HEIGHT - BAR_HEIGHT) / 2.0);
            }
            y += LANE_HEIGHT;
        }
        y
    }

    fn draw_bar(&self, out: &mut String, axis: &Axis, span: &Span, lane: &str, y: f64) {
        let x = axis.x(span.start);
        // A task shorter than a pixel still shows.
        let width = (axis.x(span.end) - x).max(1.5);
        let (fill, ink) = colours(span.outcome);
        let what = if self.of_threads { "on" } else { "in" };
        let _ = writeln!(
            out,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{width:.1}" height="{BAR_HEIGHT}" rx="2" fill="{fill}" stroke="white" stroke-width="0.5"><title>task {} {what} {lane}: {} to {}, {}</title></rect>"#,
            span.index,
            ms(span.start),
            ms(span.end),
            span.outcome.as_str(),
        );
        let label = span.index.to_string();
        if width >= label.len() as f64 * CHAR_WIDTH + 4.0 {
            let _ = writeln!(
                out,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{ink}" font-size="11">{label}</text>"#,
                x + width / 2.0,
                y + BAR_HEIGHT - 4.0
            );
        }
    }
}

/// The shared time scale and its ticks.
struct Axis {
    end: Duration,
    left: f64,
    right: f64,
    /// Milliseconds between ticks: 1, 2 or 5 times a power of ten.
    step_ms: f64,
}

impl Axis {
    fn new(end: Duration, left: f64, right: f64) -> Axis {
        let end_ms = end.as_secs_f64() * 1e3;
        let rough = end_ms / 6.0;
        let magnitude = 10f64.powf(rough.log10().floor());
        let step_ms = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude)
            .find(|&s| s >= rough)
            .unwrap_or(10.0 * magnitude);
        Axis {
            end,
            left,
            right,
            step_ms,
        }
    }

    fn x(&self, t: Duration) -> f64 {
        self.left + (t.as_secs_f64() / self.end.as_secs_f64()) * (self.right - self.left)
    }

    /// Grid lines from `top` to `bottom`, tick labels under `bottom`.
    fn draw(&self, out: &mut String, top: f64, bottom: f64) {
        let end_ms = self.end.as_secs_f64() * 1e3;
        let decimals = if self.step_ms >= 1.0 {
            0
        } else {
            (-self.step_ms.log10()).ceil() as usize
        };
        let mut tick = 0.0;
        while tick <= end_ms * (1.0 + 1e-9) {
            let x = self.x(Duration::from_secs_f64(tick / 1e3));
            let _ = writeln!(
                out,
                r##"<line x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{:.1}" stroke="#c8c8c8" stroke-dasharray="2,3"/>"##,
                bottom + 4.0
            );
            let _ = writeln!(
                out,
                r##"<text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#444444">{tick:.decimals$} ms</text>"##,
                bottom + 18.0
            );
            tick += self.step_ms;
        }
        let _ = writeln!(
            out,
            r##"<line x1="{:.1}" y1="{bottom:.1}" x2="{:.1}" y2="{bottom:.1}" stroke="#888888"/>"##,
            self.left, self.right
        );
    }
}

/// A swatch and a word for each outcome the picture shows.
fn draw_legend(out: &mut String, y: f64, outcomes: &[Outcome]) {
    let mut x = MARGIN;
    for &outcome in outcomes {
        let text = match outcome {
            Outcome::Ran => "ran",
            Outcome::Failed => "failed (panicked)",
            Outcome::Killed => "killed (its worker died)",
        };
        let (fill, _) = colours(outcome);
        let _ = writeln!(
            out,
            r##"<rect x="{x:.1}" y="{:.1}" width="14" height="12" rx="2" fill="{fill}"/><text x="{:.1}" y="{:.1}" fill="#222222">{text}</text>"##,
            y + 2.0,
            x + 19.0,
            y + 12.5
        );
        x += 19.0 + text.len() as f64 * 6.2 + 18.0;
    }
}

/// `12.3 ms`.
fn ms(t: Duration) -> String {
    format!("{:.1} ms", t.as_secs_f64() * 1e3)
}

/// Text made safe for SVG content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ms as millis, span};
    use super::*;

    fn count(haystack: &str, needle: &str) -> usize {
        haystack.matches(needle).count()
    }

    #[test]
    fn a_bar_per_task_coloured_by_outcome_with_a_lane_per_worker() {
        let trace = Trace::new();
        trace.record(span(0, 10, 0, 100));
        trace.record(span(1, 20, 0, 50));
        trace.record(Span {
            outcome: Outcome::Failed,
            ..span(2, 20, 50, 80)
        });
        trace.record(Span {
            outcome: Outcome::Killed,
            ..span(13, 30, 10, 60)
        });
        let svg = trace.svg("map <on> 3 workers & more");
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>\n"));
        assert!(svg.contains("map &lt;on&gt; 3 workers &amp; more"));
        for lane in ["pid 10", "pid 20", "pid 30"] {
            assert_eq!(count(&svg, &format!(">{lane}</text>")), 1, "{lane}");
        }
        // Bars carry a tooltip each; the legend's swatches do not.
        assert_eq!(count(&svg, "<title>task "), 4);
        assert!(svg.contains("<title>task 13 in pid 30: 10.0 ms to 60.0 ms, killed</title>"));
        assert!(svg.contains("task 2 in pid 20: 50.0 ms to 80.0 ms, failed"));
        // Ran, failed and killed each have their colour: 2 ran bars, 1 each of the others, and
        // one legend swatch of each.
        assert_eq!(count(&svg, "fill=\"#4e79a7\""), 3);
        assert_eq!(count(&svg, "fill=\"#f28e2b\""), 2);
        assert_eq!(count(&svg, "fill=\"#d62728\""), 2);
        // Labels are the full index, not its last digit.
        assert!(svg.contains(">13</text>"));
        // The axis: 0 to 100 ms in steps of 20.
        for tick in ["0 ms", "20 ms", "40 ms", "60 ms", "80 ms", "100 ms"] {
            assert!(svg.contains(&format!(">{tick}</text>")), "{tick}");
        }
        assert!(!svg.contains(">120 ms<"));
        // The same spans draw the same picture.
        assert_eq!(svg, trace.svg("map <on> 3 workers & more"));
    }

    #[test]
    fn panels_share_one_scale_and_threads_are_named_threads() {
        let processes = Trace::new();
        processes.record(span(0, 4242, 0, 200));
        let threads = Trace::of_threads();
        threads.record(span(0, 77, 0, 100));
        let svg = Picture::new()
            .title("same work")
            .panel("processes", &processes)
            .panel("threads", &threads)
            .svg();
        assert!(svg.contains(">thread 77</text>") && svg.contains(">pid 4242</text>"));
        assert!(svg.contains("<title>task 0 on thread 77: 0.0 ms to 100.0 ms, ran</title>"));
        let width_of = |tooltip: &str| -> f64 {
            let at = svg.find(tooltip).unwrap();
            let rect = &svg[svg[..at].rfind("<rect").unwrap()..at];
            let w = &rect[rect.find("width=\"").unwrap() + 7..];
            w[..w.find('"').unwrap()].parse().unwrap()
        };
        let long = width_of("<title>task 0 in pid 4242");
        let short = width_of("<title>task 0 on thread 77");
        assert!((long - 2.0 * short).abs() < 0.5, "{long} vs {short}");
    }

    #[test]
    fn short_runs_get_fractional_ticks_and_empty_traces_say_so() {
        let trace = Trace::new();
        trace.record(Span {
            end: Duration::from_micros(900),
            ..span(0, 1, 0, 0)
        });
        let svg = trace.svg("short");
        assert!(svg.contains(">0.2 ms</text>"), "{svg}");
        let dir = std::env::temp_dir().join(format!("trace-svg-{}", std::process::id()));
        let file = dir.join("a/b.svg");
        Picture::new().panel("short", &trace).save(&file).unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), svg);
        fs::remove_dir_all(&dir).unwrap();
        let empty = Trace::new().svg("nothing");
        assert!(empty.contains("(no tasks recorded)"));
        assert_eq!(Axis::new(millis(241), 0.0, 1.0).step_ms, 50.0);
        assert_eq!(Axis::new(millis(704), 0.0, 1.0).step_ms, 200.0);
        assert_eq!(Axis::new(millis(6), 0.0, 1.0).step_ms, 1.0);
    }
}
