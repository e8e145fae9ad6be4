//! Runs `collatz` in a debug and in a release build and compares the two times.

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    primer::timing::debug_vs_release(&args)
}
