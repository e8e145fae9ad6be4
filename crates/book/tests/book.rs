//! The book in `docs/` as mdBook will build it: every include, link, chapter and output checked.
//! A failure lists each problem as `file:line: what is wrong`.

#[test]
fn the_book_has_no_broken_includes_links_chapters_or_outputs() {
    let book = book::book_dir();
    assert!(
        book.join("book.toml").is_file(),
        "no book at {}",
        book.display()
    );
    let problems = book::check::check(&book);
    let root = book::workspace_root();
    let listing: Vec<String> = problems
        .iter()
        .map(|p| {
            let file = p.file.strip_prefix(&root).unwrap_or(&p.file);
            format!("  {}:{}: {}", file.display(), p.line, p.message)
        })
        .collect();
    assert!(
        problems.is_empty(),
        "the book has {} problem(s):\n{}",
        problems.len(),
        listing.join("\n")
    );
}

/// Copies the directory `from` to `to`, recursively.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The claims are held to the real outputs: in a copy of the book whose Q2 output says a
/// `Process` started as fast as a thread, the chapter's claim about that order fails.
#[test]
fn a_changed_number_in_a_copy_of_the_book_breaks_its_claim() {
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&book::book_dir(), copy.path());
    let output = copy
        .path()
        .join("src/q2_processes_vs_threads/cost.output.txt");
    let text = std::fs::read_to_string(&output).unwrap();
    let row = text
        .lines()
        .find(|l| l.starts_with("child process: common::Process start + join"))
        .expect("the Process row");
    // The median as fast as a thread's, under the same label: no real run shows that.
    let label = row.split("  ").next().expect("a label").trim_end();
    let fast = format!("{label}  1.00 µs  1.00×");
    std::fs::write(&output, text.replace(row, &fast)).unwrap();
    let problems = book::check::check(copy.path());
    let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("q2_processes_vs_threads.md:")
                && m.contains("claim no longer holds")
                && m.contains("common::Process start + join")),
        "no broken claim reported: {messages:#?}"
    );
    // The untouched book has none.
    assert!(book::check::check(&book::book_dir()).is_empty());
}
