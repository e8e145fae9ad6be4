// ANCHOR: main
fn main() -> std::process::ExitCode {
    // The mistake: `common::init(mistakes::TASKS);` belongs here, as the first line.
    mistakes::forgot_init::run()
}
// ANCHOR_END: main
