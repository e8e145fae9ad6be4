//! The GIL, measured: Python threads and Rust threads on the same CPU-bound loop, drawn where
//! each program timed its own threads computing (`gil.py` and the `slices` example of question
//! 1).

use std::time::Duration;

use common::{Outcome, Picture, Span, Trace};

/// One program's run: what it says about itself, and its slices as a trace of threads.
struct Run {
    heading: String,
    trace: Trace,
    /// How much of the run two or more threads spent computing at once, from 0 to 1.
    together: f64,
}

/// Parses `run THREAD NATIVE_ID START_US END_US SLICES` lines; the first line is the heading.
fn parse(text: &str) -> Result<Run, String> {
    let mut lines = text.lines().filter(|l| !l.starts_with("$ "));
    let heading = lines.next().ok_or("no output")?;
    let heading = heading
        .split(':')
        .next()
        .unwrap_or(heading)
        .trim()
        .to_owned();
    let trace = Trace::of_threads();
    let mut intervals = Vec::new();
    for line in lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        let ["run", number, native, start, end, _] = words[..] else {
            continue;
        };
        if native == "native_id" {
            continue; // the column names
        }
        let int = |w: &str| {
            w.parse::<u64>()
                .map_err(|_| format!("bad number `{w}` in `{line}`"))
        };
        let (start, end) = (int(start)?, int(end)?);
        trace.record(Span {
            // A bar is labelled with its thread's number.
            index: int(number)? as usize,
            pid: int(native)? as u32,
            start: Duration::from_micros(start),
            end: Duration::from_micros(end),
            outcome: Outcome::Ran,
        });
        intervals.push((start, end));
    }
    if intervals.is_empty() {
        return Err(format!("no runs in the output of `{heading}`"));
    }
    Ok(Run {
        heading,
        trace,
        together: together(&intervals),
    })
}

/// The share of the time from the first start to the last end during which two or more
/// intervals were open.
fn together(intervals: &[(u64, u64)]) -> f64 {
    let mut edges: Vec<(u64, i32)> = intervals
        .iter()
        .flat_map(|&(s, e)| [(s, 1), (e, -1)])
        .collect();
    // At equal times, ends before starts: back-to-back slices do not overlap.
    edges.sort_by_key(|&(t, d)| (t, d));
    let (first, last) = (edges[0].0, edges[edges.len() - 1].0);
    let (mut open, mut since, mut both) = (0, first, 0u64);
    for (t, d) in edges {
        if open >= 2 {
            both += t - since;
        }
        open += d;
        since = t;
    }
    both as f64 / (last - first).max(1) as f64
}

pub(super) fn draw(sources: &[String]) -> Result<String, String> {
    let python = parse(&sources[0])?;
    let rust = parse(&sources[1])?;
    let title = |run: &Run, what: &str| {
        format!(
            "{} threads{what}: both computing at once {:.0}% of the time",
            run.heading,
            run.together * 100.0
        )
    };
    Ok(Picture::new()
        .title("The same loop on two threads: a bar is a stretch of time its thread computed")
        .panel(&title(&python, " (one GIL)"), &python.trace)
        .panel(&title(&rust, ""), &rust.trace)
        .svg())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_become_lanes_and_overlap_is_measured() {
        let python = "$ python3 gil.py\nPython 3.11.7: 2 threads\nrun thread native_id start_us end_us slices\n\
                      run 0 11 0 2000 20\nrun 1 12 2000 4000 20\nrun 0 11 4000 6000 20\n";
        let rust = "$ cargo run\nRust (debug build): 2 threads\nrun 0 21 0 2000 20\nrun 1 22 0 2000 20\n\
                    run 0 21 2000 4000 20\nrun 1 22 1000 4000 30\n";
        let run = parse(python).unwrap();
        assert_eq!(run.heading, "Python 3.11.7");
        assert_eq!(run.together, 0.0);
        let labels: Vec<(usize, u32)> =
            run.trace.spans().iter().map(|s| (s.index, s.pid)).collect();
        assert_eq!(labels, [(0, 11), (1, 12), (0, 11)], "labelled by thread");
        assert_eq!(parse(rust).unwrap().together, 1.0);
        let svg = draw(&[python.into(), rust.into()]).unwrap();
        assert!(
            svg.contains("Python 3.11.7 threads (one GIL): both computing at once 0% of the time")
        );
        assert!(
            svg.contains("Rust (debug build) threads: both computing at once 100% of the time")
        );
        assert!(svg.contains(">thread 11</text>") && svg.contains(">thread 22</text>"));
        assert!(draw(&["x\n".into(), rust.into()]).is_err());
    }
}
