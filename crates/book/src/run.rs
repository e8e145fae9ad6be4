//! Running one [`Output`]'s command for real and turning what it printed into the file the book
//! includes.

use std::fs::{self, File};
use std::io::{self, Read, Seek};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::outputs::{Expect, Output};

/// How long a command that is not expected to hang may run before it counts as hung.
pub const TIME_LIMIT: Duration = Duration::from_secs(120);

/// What a command printed (stdout and stderr interleaved, as on a terminal) and how it ended.
#[derive(Debug)]
pub struct Ran {
    pub text: String,
    pub ended: Ended,
    /// The worker process killed on purpose, if the output asked for it.
    pub killed_worker: Option<u32>,
    /// Where the command drew its pictures, if it draws any (see [`Output::pictures`]).
    pub pictures: Option<PictureDir>,
}

/// The temporary directory a run draws its pictures in; removed when dropped.
#[derive(Debug)]
pub struct PictureDir(PathBuf);

impl PictureDir {
    fn create(output: &Output) -> io::Result<PictureDir> {
        static DIRS: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "book-pictures-{}-{}-{}",
            std::process::id(),
            DIRS.fetch_add(1, Ordering::Relaxed),
            output.file.replace('/', "_")
        ));
        fs::create_dir_all(&dir)?;
        Ok(PictureDir(dir))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The drawn file for `picture` (an entry of [`Output::pictures`]), if the run drew it.
    pub fn drawn(&self, picture: &str) -> Option<PathBuf> {
        let file = self.0.join(Path::new(picture).file_name()?);
        file.is_file().then_some(file)
    }
}

impl Drop for PictureDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Code(i32),
    Signal(i32),
    /// Still running at its time limit; the tool killed it.
    Hung(Duration),
}

impl Ended {
    /// Whether this is what `expect` asked for.
    pub fn matches(self, expect: Expect) -> bool {
        match (self, expect) {
            (Ended::Code(code), Expect::Code(want)) => code == want,
            (Ended::Signal(signal), Expect::Signal(want)) => signal == want,
            (Ended::Hung(_), Expect::Hangs(_)) => true,
            _ => false,
        }
    }
}

/// The process that actually runs `output.command` at `root`.
///
/// `cargo run` gets `--quiet` so only the program speaks (cargo's build lines depend on what was
/// built before); the file still shows the command the reader types. Python runs unbuffered so a
/// program killed mid-way keeps what it printed, as it would on a terminal. An output that draws
/// pictures gets `pictures` in place of the directory its `--svg` names.
pub fn command(output: &Output, root: &Path, pictures: Option<&Path>) -> Command {
    let mut words: Vec<&str> = output.command.split_whitespace().collect();
    let pictures = pictures.map(|p| p.to_str().expect("temporary paths are UTF-8"));
    if let Some(dir) = pictures
        && let Some(at) = words.iter().position(|w| *w == "--svg")
        && at + 1 < words.len()
    {
        words[at + 1] = dir;
    }
    let mut command = Command::new(words[0]);
    match &words[1..] {
        ["run", rest @ ..] if words[0] == "cargo" => {
            command.arg("run").arg("--quiet").args(rest);
        }
        rest => {
            command.args(rest);
        }
    }
    command
        .current_dir(root)
        .env("PYTHONUNBUFFERED", "1")
        // A panic prints what it prints by default, whatever the regenerating shell has set.
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        // Its own process group, so a hung program is stopped with every process it started.
        .process_group(0);
    command
}

/// Runs `output`'s command and waits for it (killing a worker on the way if asked).
pub fn run(output: &Output, root: &Path) -> io::Result<Ran> {
    // Unique per call: two runs of one output at once (tests run in parallel) must not share it.
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let log_path = std::env::temp_dir().join(format!(
        "book-regenerate-{}-{}-{}.log",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed),
        output.file.replace('/', "_")
    ));
    let mut log = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&log_path)?;
    let pictures = if output.pictures.is_empty() {
        None
    } else {
        Some(PictureDir::create(output)?)
    };
    // One open file behind both streams: lines land in the order they were written.
    let mut command = command(output, root, pictures.as_ref().map(PictureDir::path));
    command.stdout(log.try_clone()?);
    if output.stdout_only {
        command.stderr(Stdio::inherit());
    } else {
        command.stderr(log.try_clone()?);
    }
    let started = Instant::now();
    let mut child = command.spawn()?;
    let limit = match output.expect {
        Expect::Hangs(after) => after,
        Expect::Code(_) | Expect::Signal(_) => output.time_limit.unwrap_or(TIME_LIMIT),
    };
    let mut killed_worker = None;
    let mut first_output: Option<Instant> = None;
    let ended = loop {
        if let Some(status) = child.try_wait()? {
            break match (status.code(), status.signal()) {
                (Some(code), _) => Ended::Code(code),
                (None, Some(signal)) => Ended::Signal(signal),
                (None, None) => Ended::Code(-1),
            };
        }
        if first_output.is_none() && log.metadata()?.len() > 0 {
            first_output = Some(Instant::now());
        }
        if let (Some(after), Some(first), None) = (output.kill_worker, first_output, killed_worker)
            && first.elapsed() >= after
            && let Some(worker) = a_worker_of(child.id())
            && signal(&worker.to_string(), "KILL")
        {
            killed_worker = Some(worker);
        }
        if started.elapsed() >= limit {
            if !signal(&format!("-{}", child.id()), "KILL") {
                // No kill(1) here: stop at least the program itself.
                let _ = child.kill();
            }
            child.wait()?;
            break Ended::Hung(limit);
        }
        thread::sleep(Duration::from_millis(10));
    };
    let mut text = String::new();
    log.rewind()?;
    log.read_to_string(&mut text)?;
    drop(log);
    let _ = fs::remove_file(&log_path);
    Ok(Ran {
        text,
        ended,
        killed_worker,
        pictures,
    })
}

/// Sends `signal` to `target` (a pid, or `-pgid` for a process group) with kill(1). Returns
/// whether it was delivered.
fn signal(target: &str, signal: &str) -> bool {
    Command::new("kill")
        .args(["-s", signal, "--", target])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// A worker of the program started as `pid`: the oldest descendant that has no children of its
/// own and runs the same executable as its parent. Pool workers are such copies of their program
/// (re-executed or forked in Rust, forked in Python); a compiler that `cargo run` starts is not,
/// nor is the program's fork server (which names itself so).
fn a_worker_of(pid: u32) -> Option<u32> {
    let exe = |pid: u32| fs::read_link(format!("/proc/{pid}/exe")).ok();
    let mut workers = Vec::new();
    let mut stack: Vec<(u32, u32)> = support::proc::children_of(pid)
        .into_iter()
        .map(|c| (pid, c))
        .collect();
    while let Some((parent, p)) = stack.pop() {
        let children = support::proc::children_of(p);
        let worker = exe(p).is_some() && exe(p) == exe(parent) && !support::proc::is_fork_server(p);
        if children.is_empty() && worker {
            workers.push(p);
        }
        stack.extend(children.into_iter().map(|c| (p, c)));
    }
    workers.into_iter().min()
}

/// Paths that differ between machines, and what the book writes instead: the target directory
/// (`target`), the workspace (`.`, or nothing before a `/`), the home directory (`~`).
#[derive(Debug, Clone)]
pub struct Paths {
    pub root: PathBuf,
    pub target: PathBuf,
    pub home: Option<PathBuf>,
}

impl Paths {
    /// The paths of this machine for the workspace at `root`: `CARGO_TARGET_DIR` (relative to
    /// `root` if relative) or `root/target`, and `HOME`.
    pub fn of(root: &Path) -> Paths {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .map_or_else(|| root.join("target"), |t| root.join(t));
        Paths {
            root: root.to_path_buf(),
            target,
            home: std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|h| h.as_os_str().len() > 1),
        }
    }

    /// `text` with this machine's paths replaced, longest first so the target directory inside
    /// the workspace becomes `target`, not `./target`.
    pub fn normalise(&self, text: &str) -> String {
        let mut swaps = vec![
            (self.target.display().to_string(), "target".to_owned()),
            (format!("{}/", self.root.display()), String::new()),
            (self.root.display().to_string(), ".".to_owned()),
        ];
        if let Some(home) = &self.home {
            swaps.push((home.display().to_string(), "~".to_owned()));
        }
        swaps.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        // One pass over the text, trying the longest path first at each position, so nothing
        // is replaced twice.
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        'outer: while !rest.is_empty() {
            for (from, to) in &swaps {
                if !from.is_empty() && rest.starts_with(from.as_str()) {
                    out.push_str(to);
                    rest = &rest[from.len()..];
                    continue 'outer;
                }
            }
            let c = rest.chars().next().expect("rest is not empty");
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
        out
    }
}

/// Whether `command` runs Python: its output is then labelled with the interpreter.
pub fn is_python(command: &str) -> bool {
    command.split_whitespace().next() == Some("python3")
}

/// What the book says about the `python3` that ran the Python programs, as the comment on
/// their command line: `CPython 3.11.7, default start method: fork`. `None` without Python.
pub fn python_label(root: &Path) -> Option<String> {
    let script = "import multiprocessing, platform; print(f'{platform.python_implementation()} \
                  {platform.python_version()}, default start method: \
                  {multiprocessing.get_start_method()}')";
    let out = Command::new("python3")
        .args(["-c", script])
        .current_dir(root)
        .output()
        .ok()?;
    let label = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !label.is_empty()).then_some(label)
}

/// The first line of `output`'s file: `$ command`, and for a Python program the interpreter
/// (`python`, from [`python_label`]) as a shell comment, so no reader has to guess which
/// Python, and which start method, printed it.
pub fn first_line(output: &Output, python: Option<&str>) -> String {
    match python {
        Some(label) if is_python(output.command) => format!("$ {}  # {label}", output.command),
        _ => format!("$ {}", output.command),
    }
}

/// The file the book includes: its [`first_line`], then the output, ending with one newline.
pub fn render(output: &Output, python: Option<&str>, text: &str) -> String {
    let mut file = format!("{}\n{}", first_line(output, python), text);
    while file.ends_with("\n\n") {
        file.pop();
    }
    if !file.ends_with('\n') {
        file.push('\n');
    }
    file
}

/// Writes `contents` to `path` through a temporary file and a rename, so a failure leaves the old
/// file (or none) behind, never half a file.
pub fn write_atomically(path: &Path, contents: impl AsRef<[u8]>) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("txt.tmp");
    fs::write(&tmp, contents)?;
    fs::rename(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::OUTPUTS;

    fn paths() -> Paths {
        Paths {
            root: "/work/main".into(),
            target: "/work/targets/book".into(),
            home: Some("/root".into()),
        }
    }

    #[test]
    fn machine_paths_are_normalised() {
        let text = "wrote /work/main/exercises/q3/out.txt\n\
                    ran /work/targets/book/debug/q5_pool in /work/main\n\
                    File \"/root/.pyenv/lib/pool.py\", line 1\n";
        assert_eq!(
            paths().normalise(text),
            "wrote exercises/q3/out.txt\nran target/debug/q5_pool in .\nFile \"~/.pyenv/lib/pool.py\", line 1\n"
        );
    }

    #[test]
    fn a_target_dir_inside_the_workspace_becomes_target() {
        let paths = Paths {
            target: "/work/main/target".into(),
            ..paths()
        };
        assert_eq!(
            paths.normalise("/work/main/target/debug/x and /work/main/src"),
            "target/debug/x and src"
        );
    }

    #[test]
    fn files_start_with_the_command_and_end_with_one_newline() {
        let output = OUTPUTS[0];
        assert_eq!(
            render(&output, None, "hello\n\n\n"),
            format!("$ {}\nhello\n", output.command)
        );
        assert_eq!(render(&output, None, ""), format!("$ {}\n", output.command));
        let python = Output {
            command: "python3 docs/src/x.py",
            ..output
        };
        let label = Some("CPython 3.11.7, default start method: fork");
        assert_eq!(
            render(&python, label, "hi\n"),
            "$ python3 docs/src/x.py  # CPython 3.11.7, default start method: fork\nhi\n"
        );
        // Only Python programs carry the label.
        assert_eq!(
            render(&output, label, ""),
            format!("$ {}\n", output.command)
        );
    }

    #[test]
    fn cargo_run_is_quiet_and_other_commands_run_as_written() {
        let show = |command: &'static str| {
            let output = Output {
                command,
                ..OUTPUTS[0]
            };
            let command = super::command(&output, Path::new("/"), Some(Path::new("/tmp/p")));
            let mut words = vec![command.get_program().to_string_lossy().into_owned()];
            words.extend(command.get_args().map(|a| a.to_string_lossy().into_owned()));
            words.join(" ")
        };
        assert_eq!(
            show("cargo run -p q5_pool -- square"),
            "cargo run --quiet -p q5_pool -- square"
        );
        assert_eq!(show("python3 x.py 1"), "python3 x.py 1");
        assert_eq!(
            show("cargo run -p q4 -- --svg docs/src/q4 --only map"),
            "cargo run --quiet -p q4 -- --svg /tmp/p --only map"
        );
    }

    #[test]
    fn a_command_runs_and_its_exit_code_and_output_are_kept() {
        let output = Output {
            command: "sh -c exit",
            ..OUTPUTS[0]
        };
        let ran = run(&output, Path::new("/")).unwrap();
        assert_eq!(ran.ended, Ended::Code(0));
        let output = Output {
            command: "ls /proc/self/nope",
            ..OUTPUTS[0]
        };
        let ran = run(&output, Path::new("/")).unwrap();
        assert!(matches!(ran.ended, Ended::Code(c) if c != 0));
        assert!(
            ran.text.contains("nope"),
            "stderr is captured: {}",
            ran.text
        );
    }

    #[test]
    fn a_hanging_command_is_stopped_at_its_limit() {
        let output = Output {
            command: "sleep 30",
            expect: Expect::Hangs(Duration::from_millis(200)),
            ..OUTPUTS[0]
        };
        let ran = run(&output, Path::new("/")).unwrap();
        assert!(ran.ended.matches(output.expect), "{:?}", ran.ended);
    }
}
