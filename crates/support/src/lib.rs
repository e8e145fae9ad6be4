//! Helpers the exercise binaries share, so each exercise holds only its own answer.
//!
//! - [`cli`]: command-line parsing with one-line usage errors and the exit codes every
//!   exercise documents, and how every run ends.
//! - [`out`]: writing output that the environment cannot turn into a panic (a closed pipe, a
//!   full disk): [`outln!`] instead of `println!`, [`errln!`] instead of `eprintln!`.
//! - [`python`]: printing values the way Python prints them, so outputs can be compared with
//!   the reference programs line by line.
//! - [`proc`]: looking at processes through `/proc` and signalling them, for tests that check
//!   no child process is left behind.
//! - [`units`]: printing durations (and other measurements) with three significant digits.
//! - [`cpu`]: keeping a core busy for a while, the exercises' stand-in for CPU-bound work.
//! - [`alloc`]: running out of memory as a one-line error and exit code 1, not an abort.
//! - [`hostile`]: for tests, running a program as a hostile but ordinary user would (a closed
//!   pipe, a full disk, resource limits, a terminal).
//! - `examples` (feature `examples`): for tests, running the package's examples as a reader
//!   runs them.

pub mod alloc;
pub mod cli;
pub mod cpu;
#[cfg(feature = "examples")]
pub mod examples;
pub mod hostile;
pub mod out;
pub mod proc;
pub mod python;
pub mod units;
