// ANCHOR: main
fn main() -> std::process::ExitCode {
    // The mistake: this line comes before `init`, so every spawned worker runs it too.
    println!("reading the settings, in process {}", std::process::id());
    common::init(mistakes::TASKS);
    mistakes::code_before_init::run()
}
// ANCHOR_END: main
