//! Helpers the exercise binaries share, so each exercise holds only its own answer.
//!
//! - [`cli`]: command-line parsing with one-line usage errors and the exit codes every
//!   exercise documents.
//! - [`python`]: printing values the way Python prints them, so outputs can be compared with
//!   the reference programs line by line.
//! - [`proc`]: looking at processes through `/proc` and signalling them, for tests that check
//!   no child process is left behind.
//! - [`units`]: printing durations (and other measurements) with three significant digits.
//! - [`cpu`]: keeping a core busy for a while, the exercises' stand-in for CPU-bound work.

pub mod cli;
pub mod cpu;
pub mod proc;
pub mod python;
pub mod units;
