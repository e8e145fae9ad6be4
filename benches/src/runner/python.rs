//! The Python column: finds the interpreter, runs `benches/python/side_by_side.py` on the same
//! local servers, reads the JSON it prints, and checks that it computed Rust's answers.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value as Json;

use super::SIDE_COARSE_STEPS;
use super::cli::Cli;
use super::results::{Measured, Results};
use crate::io::Site;
use crate::measure::Stats;
use crate::work::{self, COARSE_TASKS, GAMMA_CYCLE};

/// The Python that `--python` names: its version and the interpreter's own path.
#[derive(Debug, Clone)]
pub(super) struct Python {
    pub(super) version: String,
    /// `sys.executable`: `python3` may be a launcher script (pyenv's shims are shell scripts
    /// that take tens of milliseconds), which would be timed with every program run.
    pub(super) executable: PathBuf,
}

/// Asks `python` for its version and real path, or says why there is none.
pub(super) fn find(python: &str) -> Result<Python, String> {
    let script = "import platform, sys; print(platform.python_version()); print(sys.executable)";
    match Command::new(python).args(["-c", script]).output() {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let mut lines = text.lines();
            let version = lines.next().unwrap_or("?").to_owned();
            let executable = lines.next().filter(|l| !l.is_empty()).unwrap_or(python);
            Ok(Python {
                version,
                executable: PathBuf::from(executable),
            })
        }
        Ok(out) => Err(format!("`{python}` failed ({})", out.status)),
        Err(e) => Err(format!(
            "no `{python}` found ({e}): the Python column is skipped"
        )),
    }
}

/// `benches/python/NAME`: the Python side of the runner and the assignment's programs.
pub(super) fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("python")
        .join(name)
}

/// Runs side_by_side.py with the same mode, `--only` and servers as the Rust side; returns its
/// results and its checks.
pub(super) fn run(
    cli: &Cli,
    python: &Python,
    sites: &[(u64, Site)],
    cores: usize,
) -> Result<(Results, Json), String> {
    let mut command = Command::new(&python.executable);
    command
        .arg(script("side_by_side.py"))
        .args(["--cores", &cores.to_string()]);
    for (ms, site) in sites {
        command.args(["--server", &format!("{ms}={}", site.base())]);
    }
    command.stdout(Stdio::piped()).stderr(Stdio::inherit());
    if cli.smoke {
        command.arg("--smoke");
    } else if cli.quick {
        command.arg("--quick");
    }
    for only in &cli.only {
        command.args(["--only", only]);
    }
    let out = command
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.executable.display()))?;
    if !out.status.success() {
        return Err(format!("side_by_side.py failed ({})", out.status));
    }
    parse(&out.stdout)
}

/// side_by_side.py's output: `{"results": {KEY: {"median", "min", "q1", "q3", "samples"} or
/// {"value"}},
/// "checks": {…}}` (times in seconds, sizes in KiB).
fn parse(stdout: &[u8]) -> Result<(Results, Json), String> {
    let json: Json = serde_json::from_slice(stdout)
        .map_err(|e| format!("side_by_side.py printed something other than JSON: {e}"))?;
    let mut results = Results::new();
    for (key, value) in json["results"].as_object().into_iter().flatten() {
        let measured = if let Some(kib) = value["value"].as_u64() {
            Measured::Kib(kib)
        } else {
            let secs = |k: &str| Duration::from_secs_f64(value[k].as_f64().unwrap_or(f64::NAN));
            let median = secs("median");
            // Quartiles are optional: an older script printed none (then: no spread).
            let or_median = |k: &str| match value[k].as_f64() {
                Some(s) => Duration::from_secs_f64(s),
                None => median,
            };
            Measured::Time(Stats {
                median,
                min: secs("min"),
                q1: or_median("q1"),
                q3: or_median("q3"),
                samples: value["samples"].as_u64().unwrap_or(0) as usize,
            })
        };
        results.insert(key.clone(), measured);
    }
    Ok((results, json["checks"].clone()))
}

/// Checks that Python computed the same numbers as Rust (same workload, same answers).
pub(super) fn compare_checks(checks: &Json) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(coarse) = checks["coarse"].as_array() {
        let tasks = work::coarse_input(COARSE_TASKS, SIDE_COARSE_STEPS);
        let ours: Vec<String> = work::coarse_sequential(&tasks)
            .iter()
            .map(u64::to_string)
            .collect();
        let theirs: Vec<&str> = coarse.iter().filter_map(Json::as_str).collect();
        if ours != theirs {
            notes.push("WARNING: Python's xorshift results differ from Rust's".into());
        }
    }
    if let Some(gamma) = checks["gamma"].as_array() {
        let ours = gamma_reprs();
        let theirs: Vec<&str> = gamma.iter().filter_map(Json::as_str).collect();
        if ours != theirs {
            notes.push("WARNING: Python's math.gamma results differ from q5_pool's".into());
        } else {
            notes.push(format!(
                "Same answers: the {COARSE_TASKS} xorshift results and {GAMMA_CYCLE} gamma values \
                 agree bit for bit."
            ));
        }
    }
    notes
}

/// q5_pool's gamma of each distinct input, as Python's `repr` prints it (or the error).
fn gamma_reprs() -> Vec<String> {
    work::gamma_input(GAMMA_CYCLE)
        .iter()
        .map(|&x| match q5_pool::gamma::gamma(x) {
            Ok(v) => support::python::repr_f64(v),
            Err(e) => e.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_times_and_sizes() {
        let json = br#"{"results": {
            "spawn.thread": {"median": 0.001, "min": 0.0005, "q1": 0.0008, "q3": 0.0012, "samples": 7},
            "rss.idle_worker[fork]": {"value": 17000}
        }, "checks": {"coarse": []}}"#;
        let (results, checks) = parse(json).expect("valid JSON");
        let stats = results["spawn.thread"].stats().expect("a time");
        assert_eq!(stats.median, Duration::from_millis(1));
        assert_eq!((stats.min, stats.samples), (Duration::from_micros(500), 7));
        assert_eq!(stats.q3, Duration::from_micros(1200));
        assert_eq!(results["rss.idle_worker[fork]"].kib(), Some(17000));
        assert!(checks["coarse"].is_array());
        assert!(parse(b"Traceback (most recent call last)").is_err());
    }

    #[test]
    fn same_answers_say_so_and_a_different_one_warns() {
        let tasks = work::coarse_input(COARSE_TASKS, SIDE_COARSE_STEPS);
        let coarse: Vec<String> = work::coarse_sequential(&tasks)
            .iter()
            .map(u64::to_string)
            .collect();
        let mut checks = serde_json::json!({ "coarse": coarse, "gamma": gamma_reprs() });
        assert_eq!(
            compare_checks(&checks),
            ["Same answers: the 24 xorshift results and 340 gamma values agree bit for bit."]
        );
        checks["gamma"][0] = "0.0".into();
        assert_eq!(
            compare_checks(&checks),
            ["WARNING: Python's math.gamma results differ from q5_pool's"]
        );
    }
}
