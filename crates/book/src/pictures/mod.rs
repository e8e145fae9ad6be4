//! The book's pictures of data: every one drawn by code from a real run, none by hand.
//!
//! There are two kinds. A program that traces its workers draws its own timelines with
//! `--svg DIR` (see [`Output::pictures`](crate::outputs::Output::pictures)); the regenerate
//! tool moves them into the book from the same run as the output beside them. The others are
//! [`Drawing`]s: charts drawn here from output files the regenerate tool wrote, so they are
//! redrawn whenever those files change, and [`check_pictures`] fails the book test if one was
//! not.

mod chart;
mod cost;
mod gil;
mod results;

use std::fs;
use std::path::Path;

pub use chart::{Chart, Row, duration, parse_duration};

use crate::check::{Problem, files_under};
use crate::outputs::Output;

/// A picture drawn from output files.
#[derive(Debug, Clone, Copy)]
pub struct Drawing {
    /// Where it goes, relative to `docs/src`. Ends in `.svg`.
    pub file: &'static str,
    /// The output files it is drawn from, relative to `docs/src`, in the order `draw` takes.
    pub sources: &'static [&'static str],
    /// Draws the SVG from the sources' contents, or says why it cannot.
    pub draw: fn(&[String]) -> Result<String, String>,
}

/// Every drawing of the book.
pub const DRAWINGS: &[Drawing] = &[
    Drawing {
        file: "q1_why_multiprocessing/gil.svg",
        sources: &[
            "q1_why_multiprocessing/gil_py.output.txt",
            "q1_why_multiprocessing/slices.output.txt",
        ],
        draw: gil::draw,
    },
    Drawing {
        file: "q2_processes_vs_threads/cost.svg",
        sources: &[
            "q2_processes_vs_threads/cost.output.txt",
            "q2_processes_vs_threads/ipc.output.txt",
        ],
        draw: cost::draw,
    },
    Drawing {
        file: "measured_results/side_by_side.svg",
        sources: &["measured_results/side_by_side.output.txt"],
        draw: results::draw,
    },
];

/// Draws `drawing` from its sources under `src`.
pub fn draw(drawing: &Drawing, src: &Path) -> Result<String, String> {
    let sources = drawing
        .sources
        .iter()
        .map(|s| fs::read_to_string(src.join(s)).map_err(|e| format!("cannot read {s}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    (drawing.draw)(&sources)
}

/// Holds the pictures under `src` to `outputs` and `drawings`: every `.svg` file is drawn by
/// one of them (none is drawn by hand); every drawing exists and is what its sources draw now.
pub fn check_pictures(src: &Path, outputs: &[Output], drawings: &[Drawing]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let complain = |file: &Path, message: String| Problem {
        file: file.to_path_buf(),
        line: 1,
        message,
    };
    for file in files_under(src) {
        if file.extension().is_none_or(|e| e != "svg") {
            continue;
        }
        let rel = file.strip_prefix(src).unwrap_or(&file);
        let by_program = outputs
            .iter()
            .any(|o| o.pictures.iter().any(|p| Path::new(p) == rel));
        let drawn = drawings.iter().any(|d| Path::new(d.file) == rel);
        if !by_program && !drawn {
            problems.push(complain(
                &file,
                "is a picture no program draws: list it in an Output's `pictures` or in DRAWINGS \
                 (crates/book/src/pictures/mod.rs)"
                    .into(),
            ));
        }
    }
    for output in outputs {
        for picture in output.pictures {
            let file = src.join(picture);
            if !file.is_file() {
                problems.push(complain(
                    &file,
                    format!(
                        "is drawn by `{}` but missing: run `cargo run -p book --bin regenerate`",
                        output.command
                    ),
                ));
            }
        }
    }
    for drawing in drawings {
        let file = src.join(drawing.file);
        match (draw(drawing, src), fs::read_to_string(&file)) {
            (Err(e), _) => problems.push(complain(&file, format!("cannot be drawn: {e}"))),
            (Ok(_), Err(_)) => problems.push(complain(
                &file,
                "is missing: run `cargo run -p book --bin regenerate`".into(),
            )),
            (Ok(svg), Ok(old)) if svg != old => problems.push(complain(
                &file,
                format!(
                    "is not what {} draw now: run `cargo run -p book --bin regenerate -- {}`",
                    drawing.sources.join(" and "),
                    drawing.file
                ),
            )),
            (Ok(_), Ok(_)) => {}
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::OUTPUTS;

    #[test]
    fn drawings_are_drawn_from_listed_outputs() {
        for drawing in DRAWINGS {
            assert!(drawing.file.ends_with(".svg"), "{}", drawing.file);
            for source in drawing.sources {
                assert!(
                    OUTPUTS.iter().any(|o| o.file == *source),
                    "{}: {source} is not an output the regenerate tool writes",
                    drawing.file
                );
            }
        }
    }

    #[test]
    fn a_hand_drawn_or_stale_picture_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path();
        fs::write(src.join("data.output.txt"), "1\n").unwrap();
        fs::write(src.join("hand.svg"), "<svg/>").unwrap();
        fs::write(src.join("chart.svg"), "<svg>old</svg>").unwrap();
        let drawings = [Drawing {
            file: "chart.svg",
            sources: &["data.output.txt"],
            draw: |sources| Ok(format!("<svg>{}</svg>", sources[0].trim())),
        }];
        let problems: Vec<String> = check_pictures(src, &[], &drawings)
            .into_iter()
            .map(|p| {
                format!(
                    "{}: {}",
                    p.file.strip_prefix(src).unwrap().display(),
                    p.message
                )
            })
            .collect();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("hand.svg: is a picture no program draws"));
        assert!(problems[1].starts_with("chart.svg: is not what data.output.txt draw now"));
        fs::write(src.join("chart.svg"), "<svg>1</svg>").unwrap();
        fs::remove_file(src.join("hand.svg")).unwrap();
        assert!(check_pictures(src, &[], &drawings).is_empty());
    }
}
