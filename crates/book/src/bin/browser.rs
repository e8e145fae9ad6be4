//! `cargo run -p book --bin browser -- [--screenshots DIR] [HTML_DIR]`: opens every page of the
//! built book in headless Chromium (see [`book::browser`]).

fn main() -> std::process::ExitCode {
    book::browser::run(std::env::args().skip(1))
}
