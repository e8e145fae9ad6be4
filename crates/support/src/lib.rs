//! Helpers the exercise binaries share, so each exercise holds only its own answer.
//!
//! - [`cli`]: command-line parsing with one-line usage errors and the exit codes every
//!   exercise documents.
//! - [`python`]: printing values the way Python prints them, so outputs can be compared with
//!   the reference programs line by line.

pub mod cli;
pub mod python;
