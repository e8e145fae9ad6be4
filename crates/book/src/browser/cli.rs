//! The `browser` tool: opens every page of the built book in headless Chromium and reports
//! what a reader's browser would show wrong (see [`super::check_book`]).
//!
//! ```text
//! mdbook build docs && cargo run -p book --bin browser
//! cargo run -p book --bin browser -- --screenshots target/book-screenshots
//! ```
//!
//! Its own output follows the exercises' rules (`support::out`): a reader who goes away ends it
//! quietly, a write error is one line and exit code 1.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{Browser, check_book, pages};
use support::out::OutputError;
use support::{errln, outln};

const USAGE: &str = "\
Usage: cargo run -p book --bin browser -- [--screenshots DIR] [HTML_DIR]

Opens every page of the book built in HTML_DIR (default: docs/book, as `mdbook build docs`
writes it) in headless Chromium: no JavaScript error, every image and diagram drawn with a
size, each page's first heading visible, and a search for \"pool\" finds something.
Chromium is $CHROMIUM, or `chromium` on the PATH (Debian: apt-get install chromium).

Options:
  --screenshots DIR  save a screenshot of each page in DIR
  -h, --help         print this help

Exit codes: 0 every page is fine, 1 some page is not (each problem printed), 2 usage error.";

/// Runs the tool on its command-line arguments (without the program's name); returns the exit
/// code: 0 every page is fine, 1 some page is not (each problem printed), 2 usage error.
pub fn run(args: impl IntoIterator<Item = String>) -> ExitCode {
    let mut screenshots = None;
    let mut html = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                return support::cli::finish("browser", outln!("{USAGE}").map(|()| true));
            }
            "--screenshots" => match args.next() {
                Some(dir) => screenshots = Some(PathBuf::from(dir)),
                None => return usage("--screenshots needs a directory"),
            },
            option if option.starts_with('-') => {
                return usage(&format!("unknown option '{option}'"));
            }
            dir if html.is_none() => html = Some(PathBuf::from(dir)),
            extra => return usage(&format!("unexpected argument '{extra}'")),
        }
    }
    let html = html.unwrap_or_else(|| crate::book_dir().join("book"));
    if !html.join("index.html").is_file() {
        errln!(
            "browser: error: no book in {} (build it first: mdbook build docs)",
            html.display()
        );
        return ExitCode::FAILURE;
    }
    let chromium =
        std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("chromium"), PathBuf::from);
    let mut chrome = match Browser::start(&chromium) {
        Ok(chrome) => chrome,
        Err(e) => {
            errln!(
                "browser: error: cannot start {}: {e} (Debian: apt-get install chromium)",
                chromium.display()
            );
            return ExitCode::FAILURE;
        }
    };
    let pages = pages(&html);
    let failures = match check_book(&mut chrome, &html, screenshots.as_deref()) {
        Ok(failures) => failures,
        Err(e) => {
            errln!("browser: error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let report = || -> Result<bool, OutputError> {
        for failure in &failures {
            outln!("FAILED  {failure}")?;
        }
        let failed: std::collections::BTreeSet<&str> =
            failures.iter().map(|f| f.page.as_str()).collect();
        if let Some(dir) = &screenshots {
            outln!("screenshots of {} pages in {}", pages.len(), dir.display())?;
        }
        // The closing line CI reads: pages passed and failed.
        outln!(
            "browser: {} passed, {} failed",
            pages.len() - failed.len(),
            failed.len()
        )?;
        Ok(failures.is_empty())
    };
    support::cli::finish("browser", report())
}

fn usage(message: &str) -> ExitCode {
    errln!("browser: error: {message} (see --help)");
    ExitCode::from(2)
}
