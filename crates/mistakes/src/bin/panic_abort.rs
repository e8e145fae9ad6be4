fn main() -> std::process::ExitCode {
    // Workers are this binary started again; in them, this line serves tasks and never returns.
    common::init(mistakes::TASKS);
    mistakes::panic_abort::run()
}
