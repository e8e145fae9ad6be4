//! `cargo run -p book --bin regenerate -- [--check] [FILTER...]`: regenerates the outputs the
//! book shows (see [`book::regenerate`]).

fn main() -> std::process::ExitCode {
    book::regenerate::run(std::env::args().skip(1))
}
