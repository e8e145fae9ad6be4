//! [`enable_test_support!`](crate::enable_test_support): pools and processes in ordinary
//! `#[test]` functions.

/// Lets ordinary `#[test]` functions (the default test harness) use [`Pool`](crate::Pool) and
/// [`Process`](crate::Process). Write it once in a test file, at the top level, with the tasks
/// the tests send, as you would give them to [`init`](crate::init):
///
/// ```standalone_crate
/// fn square(x: u64) -> u64 {
///     x * x
/// }
/// const SQUARE: common::Task<u64, u64> = common::task!(square);
///
/// common::enable_test_support!(&[&SQUARE]);
///
/// #[test]
/// fn squares_in_worker_processes() {
///     let pool = common::Pool::new(2).unwrap();
///     assert_eq!(pool.map(&SQUARE, 1..=3).unwrap(), [1, 4, 9]);
/// }
/// # fn main() {} // (a doctest has a main of its own; a test file has none)
/// ```
///
/// # Why it is needed, and how it works
///
/// A worker is the running binary started again, and [`init`](crate::init) must be the first
/// thing it runs, so that a worker serves tasks instead of running the program. A test binary's
/// `main` belongs to the test harness, which offers no hook. So this macro registers a
/// constructor (with the [`ctor`](https://docs.rs/ctor) crate) that calls `init` before the
/// harness's `main`: in the test binary that only records the tasks; in a worker it serves
/// tasks and exits, and the harness never starts there. Workers keep their own arguments, so
/// the harness never sees them, prints nothing into their output, and lists no extra test.
///
/// (procspawn's `enable_test_support!` instead starts every child as the test binary running
/// one helper test: the harness then runs in every child, prints its own lines into the child's
/// output, which procspawn silences by default, and the helper shows up among your tests.)
///
/// # What differs from `init` in `main`
///
/// A worker started this way runs before the Rust runtime has set up `main`: a stack overflow
/// in a task is a plain `SIGSEGV` (reported as [`Error::WorkerDied`](crate::Error::WorkerDied))
/// rather than the usual "has overflowed its stack" message, and the worker's thread has no
/// name in panic messages. Everything else (panics, output, signals) is as in a worker started
/// from `main`.
///
/// Tests run in parallel threads of one process: pools of several tests run side by side, and
/// [`active_children`](crate::active_children) lists every test's children.
///
/// Use it once per test binary, and not in a doc example that may be merged with others (as
/// edition 2024 merges doctests into one binary): its constructor serves the list it was given
/// in every worker of that binary. Mark such an example `standalone_crate`.
// The example shows a test file, `#[test]` and all; as a doctest it only has to compile.
#[allow(clippy::test_attr_in_doctest)]
#[macro_export]
macro_rules! enable_test_support {
    ($tasks:expr $(,)?) => {
        $crate::__private::ctor::declarative::ctor! {
            // SAFETY: the constructor runs before `main`, when std's runtime is not set up yet.
            // In the test binary itself `init` only records the task list (a `OnceLock` and a
            // `Vec`: allocation works before `main`). In a worker it serves tasks and exits
            // without returning; that uses the allocator, threads-free I/O on descriptors it
            // owns, and the panic machinery, none of which needs `main` to have run.
            #[ctor(unsafe, anonymous)]
            fn common_test_support() {
                $crate::init($tasks);
            }
        }
    };
}
