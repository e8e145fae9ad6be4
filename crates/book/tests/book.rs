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
