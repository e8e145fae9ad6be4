//! Times `primer`'s workloads in whatever build this is: `cargo run -p primer --bin workloads`
//! (debug) or `cargo run --release -p primer --bin workloads`.

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    primer::timing::run_workloads(&args)
}
