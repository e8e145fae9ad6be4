//! The built book, opened page by page in a real (headless) browser.
//!
//! What `mdbook build` and [`crate::check`] cannot see is what a reader's browser does with the
//! pages: a script that throws, a picture that does not load, a diagram mermaid cannot draw, a
//! search that finds nothing. [`check_book`] opens every page of the built HTML in headless
//! Chromium, over `file://` as a reader opening `docs/book/index.html` would, and reports:
//!
//! - every JavaScript exception, console error or failed load;
//! - every image (the SVG pictures among them) that did not load or has no size;
//! - every mermaid diagram that was not drawn into an SVG of non-zero size;
//! - a first heading that is missing or not visible on screen;
//! - a search for "pool" that finds nothing (on the first page).
//!
//! It can also save a screenshot of each page, for a person to look at.

mod cdp;
mod cli;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};

pub use cdp::Browser;
pub use cli::run;

/// One thing wrong with one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The page, relative to the book's HTML directory.
    pub page: String,
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.page, self.message)
    }
}

/// What the browser reports about a loaded page (see [`PAGE_REPORT`]).
#[derive(Debug, Deserialize)]
struct Report {
    images: Vec<Image>,
    diagrams: Vec<Diagram>,
    heading: Option<String>,
    heading_visible: bool,
}

#[derive(Debug, Deserialize)]
struct Image {
    src: String,
    loaded: bool,
    natural: f64,
    url: String,
    width: f64,
    height: f64,
}

#[derive(Debug, Deserialize)]
struct Diagram {
    drawn: bool,
    width: f64,
    height: f64,
}

/// Run in each page once it has loaded: its images, its diagrams and its first heading.
const PAGE_REPORT: &str = r#"JSON.stringify({
  // mdBook shows each picture twice: in the page, and (hidden until clicked) enlarged. A
  // picture is fine if every copy loaded and one of them has a size on the page.
  images: Object.values([...document.querySelectorAll('main img')].reduce((seen, i) => {
    const r = i.getBoundingClientRect(), src = i.getAttribute('src');
    const was = seen[src] || { src, loaded: true, natural: i.naturalWidth, url: i.currentSrc,
                               width: 0, height: 0 };
    seen[src] = { ...was, loaded: was.loaded && i.complete && i.naturalWidth > 0,
                  width: Math.max(was.width, r.width), height: Math.max(was.height, r.height) };
    return seen;
  }, {})),
  diagrams: [...document.querySelectorAll('main pre.mermaid')].map(p => {
    const svg = p.querySelector('svg');
    const r = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    return { drawn: !!svg && !p.textContent.includes('Syntax error'),
             width: r.width, height: r.height };
  }),
  heading: (() => { const h = document.querySelector('main h1, main h2');
                    return h ? h.textContent.trim() : null; })(),
  heading_visible: (() => {
    const h = document.querySelector('main h1, main h2');
    if (!h) return false;
    const r = h.getBoundingClientRect(), s = getComputedStyle(h);
    return r.width > 0 && r.height > 0 && r.top >= 0 && r.top < innerHeight
      && s.visibility !== 'hidden' && s.display !== 'none';
  })(),
})"#;

/// True once the page's images have loaded (or failed) and mermaid has drawn every diagram.
const PAGE_SETTLED: &str = r#"[...document.images].every(i => i.complete)
  && [...document.querySelectorAll('pre.mermaid')].every(p => p.getAttribute('data-processed'))"#;

/// How long a page may take to load and settle.
const PAGE_TIMEOUT: Duration = Duration::from_secs(30);

/// Pages mdBook writes that are not chapters, and why they are not opened: `print.html` holds
/// every chapter again on one page and starts the print dialog; `404.html` links its styles from
/// the site's root, so it only works served by a web server; `toc.html` is the table of contents
/// for browsers without JavaScript.
const NOT_CHAPTERS: [&str; 3] = ["print.html", "404.html", "toc.html"];

/// Every chapter page of the book built in `html` (mdBook's output directory), sorted.
pub fn pages(html: &Path) -> Vec<String> {
    let mut pages: Vec<String> = crate::check::files_under(html)
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "html"))
        .filter_map(|f| Some(f.strip_prefix(html).ok()?.to_str()?.to_owned()))
        .filter(|p| !NOT_CHAPTERS.contains(&p.as_str()))
        .collect();
    pages.sort();
    pages
}

/// Opens every page of the book built in `html`; saves a screenshot of each into
/// `screenshots`, if given. Returns what is wrong, page by page (empty: nothing).
pub fn check_book(
    browser: &mut Browser,
    html: &Path,
    screenshots: Option<&Path>,
) -> std::io::Result<Vec<Failure>> {
    let target = browser.call(None, "Target.createTarget", json!({"url": "about:blank"}))?;
    let attached = browser.call(
        None,
        "Target.attachToTarget",
        json!({"targetId": target["targetId"], "flatten": true}),
    )?;
    let session = attached["sessionId"]
        .as_str()
        .ok_or_else(|| std::io::Error::other("no session for the page"))?
        .to_owned();
    let s = Some(session.as_str());
    for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
        browser.call(s, domain, json!({}))?;
    }
    browser.call(
        s,
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
    )?;
    if let Some(dir) = screenshots {
        fs::create_dir_all(dir)?;
    }
    let mut failures = Vec::new();
    let pages = pages(html);
    if pages.is_empty() {
        failures.push(Failure {
            page: html.display().to_string(),
            message: "no HTML pages: build the book first (mdbook build docs)".into(),
        });
    }
    for (n, page) in pages.iter().enumerate() {
        let url = format!("file://{}", html.join(page).display());
        let mut fail = |message: String| {
            failures.push(Failure {
                page: page.clone(),
                message,
            })
        };
        browser.events(); // forget what the previous page said
        browser.call(s, "Page.navigate", json!({"url": url}))?;
        if let Err(e) = browser.wait_for(&session, "Page.loadEventFired", PAGE_TIMEOUT) {
            fail(format!("did not load: {e}"));
            continue;
        }
        if !settle(browser, &session)? {
            fail("images or diagrams still loading after 30 s".into());
        }
        let report: Report = serde_json::from_str(
            evaluate(browser, &session, PAGE_REPORT)?
                .as_str()
                .unwrap_or("null"),
        )
        .map_err(std::io::Error::other)?;
        for image in &report.images {
            if !image.loaded || image.width <= 0.0 || image.height <= 0.0 {
                fail(format!(
                    "image {} did not load or has no size ({} × {} on the page, {} wide \
                     itself, from {})",
                    image.src, image.width, image.height, image.natural, image.url
                ));
            }
        }
        for (i, diagram) in report.diagrams.iter().enumerate() {
            if !diagram.drawn || diagram.width <= 0.0 || diagram.height <= 0.0 {
                fail(format!("diagram {} was not drawn", i + 1));
            }
        }
        match (&report.heading, report.heading_visible) {
            (None, _) => fail("has no heading".into()),
            (Some(h), false) => fail(format!("its first heading, \"{h}\", is not visible")),
            (Some(_), true) => {}
        }
        if n == 0 && search(browser, &session, "pool")? == 0 {
            fail("a search for \"pool\" finds nothing".into());
        }
        for message in errors(&browser.events()) {
            fail(message);
        }
        if let Some(dir) = screenshots {
            let name = screenshot_name(page);
            save_screenshot(browser, &session, None, &dir.join(&name))?;
            // Each picture and diagram on its own, as the reader sees it on the page.
            let boxes = evaluate(browser, &session, FIGURE_BOXES)?;
            for (i, clip) in boxes.as_array().into_iter().flatten().enumerate() {
                let file = dir.join(format!(
                    "{}-figure{}.png",
                    name.with_extension("").display(),
                    i + 1
                ));
                save_screenshot(browser, &session, Some(clip), &file)?;
            }
        }
    }
    Ok(failures)
}

/// Where each picture and drawn diagram of the page is, in page coordinates.
const FIGURE_BOXES: &str = r#"[...document.querySelectorAll('main img, main pre.mermaid svg')]
  .map(e => e.getBoundingClientRect())
  .filter(r => r.width > 0 && r.height > 0)
  .map(r => ({ x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height,
               scale: 1 }))"#;

/// Saves a PNG of the page's viewport, or of `clip` (page coordinates), to `file`.
fn save_screenshot(
    browser: &mut Browser,
    session: &str,
    clip: Option<&Value>,
    file: &Path,
) -> std::io::Result<()> {
    let mut params = json!({"format": "png"});
    if let Some(clip) = clip {
        params["clip"] = clip.clone();
        params["captureBeyondViewport"] = json!(true);
    }
    let shot = browser.call(Some(session), "Page.captureScreenshot", params)?;
    let data = shot["data"].as_str().unwrap_or_default();
    let png = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data)
        .map_err(std::io::Error::other)?;
    fs::write(file, png)
}

/// `q5_pool.html` → `q5_pool.png`.
pub fn screenshot_name(page: &str) -> PathBuf {
    PathBuf::from(page.replace('/', "_")).with_extension("png")
}

/// Waits until the page's images and diagrams are done; false if they are not in time.
fn settle(browser: &mut Browser, session: &str) -> std::io::Result<bool> {
    let deadline = Instant::now() + PAGE_TIMEOUT;
    while Instant::now() < deadline {
        if evaluate(browser, session, PAGE_SETTLED)? == json!(true) {
            return Ok(true);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(false)
}

/// Types `word` into the book's search bar; returns how many results it lists.
fn search(browser: &mut Browser, session: &str, word: &str) -> std::io::Result<u64> {
    let open = format!(
        r#"(() => {{
          const bar = document.getElementById('mdbook-searchbar');
          if (!bar) return false;
          document.getElementById('mdbook-search-toggle').click();
          bar.value = {word:?};
          bar.dispatchEvent(new KeyboardEvent('keyup', {{ key: 'l' }}));
          bar.dispatchEvent(new Event('input'));
          return true;
        }})()"#
    );
    if evaluate(browser, session, &open)? != json!(true) {
        return Ok(0);
    }
    let count = "document.querySelectorAll('#mdbook-searchresults li').length";
    let deadline = Instant::now() + PAGE_TIMEOUT;
    loop {
        let found = evaluate(browser, session, count)?.as_u64().unwrap_or(0);
        if found > 0 || Instant::now() >= deadline {
            return Ok(found);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Evaluates `expression` in the page; returns its value.
fn evaluate(browser: &mut Browser, session: &str, expression: &str) -> std::io::Result<Value> {
    let result = browser.call(
        Some(session),
        "Runtime.evaluate",
        json!({"expression": expression, "returnByValue": true}),
    )?;
    if let Some(exception) = result.get("exceptionDetails") {
        return Err(std::io::Error::other(format!(
            "the check's own script failed: {exception}"
        )));
    }
    Ok(result["result"]["value"].clone())
}

/// The JavaScript errors, console errors and failed loads among `events`, in words.
pub fn errors(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter_map(|event| {
            let params = &event["params"];
            match event["method"].as_str()? {
                "Runtime.exceptionThrown" => {
                    let details = &params["exceptionDetails"];
                    let text = details["exception"]["description"]
                        .as_str()
                        .or(details["text"].as_str())
                        .unwrap_or("an exception");
                    Some(format!("JavaScript error: {}", first_line(text)))
                }
                "Runtime.consoleAPICalled" if params["type"] == json!("error") => {
                    let text: Vec<String> = params["args"]
                        .as_array()?
                        .iter()
                        .map(|a| {
                            a["value"]
                                .as_str()
                                .map(str::to_owned)
                                .unwrap_or_else(|| a["description"].to_string())
                        })
                        .collect();
                    Some(format!("console error: {}", first_line(&text.join(" "))))
                }
                "Log.entryAdded" if params["entry"]["level"] == json!("error") => {
                    let entry = &params["entry"];
                    let url = entry["url"].as_str().unwrap_or("");
                    Some(format!(
                        "browser error: {} {url}",
                        first_line(entry["text"].as_str().unwrap_or(""))
                    ))
                }
                _ => None,
            }
        })
        .collect()
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_read_from_the_protocols_events() {
        let events = [
            json!({"method": "Runtime.exceptionThrown", "params": {"exceptionDetails": {
                "text": "Uncaught", "exception": {"description": "ReferenceError: mermaid is not defined\n at x.js:1"}}}}),
            json!({"method": "Runtime.consoleAPICalled", "params": {"type": "error",
                "args": [{"type": "string", "value": "Syntax error in text"}]}}),
            json!({"method": "Runtime.consoleAPICalled", "params": {"type": "log",
                "args": [{"type": "string", "value": "fine"}]}}),
            json!({"method": "Log.entryAdded", "params": {"entry": {"level": "error",
                "text": "Failed to load resource: net::ERR_FILE_NOT_FOUND", "url": "file:///b/x.svg"}}}),
            json!({"method": "Log.entryAdded", "params": {"entry": {"level": "warning", "text": "w"}}}),
            json!({"method": "Page.loadEventFired", "params": {}}),
        ];
        assert_eq!(
            errors(&events),
            [
                "JavaScript error: ReferenceError: mermaid is not defined",
                "console error: Syntax error in text",
                "browser error: Failed to load resource: net::ERR_FILE_NOT_FOUND file:///b/x.svg",
            ]
        );
    }

    #[test]
    fn pages_are_the_chapters() {
        let dir = tempfile::tempdir().unwrap();
        for page in [
            "print.html",
            "q1.html",
            "index.html",
            "404.html",
            "toc.html",
            "a/b.html",
        ] {
            let file = dir.path().join(page);
            fs::create_dir_all(file.parent().unwrap()).unwrap();
            fs::write(file, "").unwrap();
        }
        fs::write(dir.path().join("x.js"), "").unwrap();
        assert_eq!(pages(dir.path()), ["a/b.html", "index.html", "q1.html"]);
        assert_eq!(screenshot_name("a/b.html"), PathBuf::from("a_b.png"));
    }
}
