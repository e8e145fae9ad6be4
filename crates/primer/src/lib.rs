//! The tested examples of the book's chapter *The Rust you need*: just enough Rust to read the
//! answers to the six questions.
//!
//! Each module is one idea. The code the chapter shows is included from here by anchor, so
//! every listing builds and is tested; the programs that must *not* compile live in
//! `compile_fail/`, each proven by a `compile_fail` doctest below and shown in the book with
//! the compiler's real message (captured by `cargo run -p book --bin regenerate`).
//!
//! - [`ownership`]: `move` gives a thread what it needs.
//! - [`sharing`]: `Arc`, `Send` and `Sync`, `Mutex` and atomics.
//! - [`scoped`]: threads that borrow.
//! - [`errors`]: `Result` and `?`.
//! - [`panics`]: what `join` returns after a panic, and how a panic is still missed.
//! - [`timing`]: one workload to time in a debug and a release build.
//!
//! [`programs`] holds the plumbing of the chapter's three programs (`cargo run -p primer --bin
//! panics`, `workloads`, `debug_vs_release`): their command lines and their output, which
//! follow every exercise's rules.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod errors;
pub mod ownership;
pub mod panics;
pub mod programs;
pub mod scoped;
pub mod sharing;
pub mod timing;

/// A thread that borrows a local variable does not compile: the thread may outlive it.
///
/// ```compile_fail,E0373
#[doc = include_str!("../compile_fail/borrow_into_thread.rs")]
/// ```
///
/// Once moved into a thread, a value is gone from the function that moved it.
///
/// ```compile_fail,E0382
#[doc = include_str!("../compile_fail/use_after_move.rs")]
/// ```
pub mod must_not_compile_ownership {}

/// An `Rc` cannot go to another thread (`Rc` is not `Send`).
///
/// ```compile_fail,E0277
#[doc = include_str!("../compile_fail/rc_across_threads.rs")]
/// ```
///
/// A `RefCell` cannot be shared by threads (`RefCell` is not `Sync`).
///
/// ```compile_fail,E0277
#[doc = include_str!("../compile_fail/refcell_across_threads.rs")]
/// ```
///
/// What an `Arc` holds cannot be changed through it.
///
/// ```compile_fail,E0594
#[doc = include_str!("../compile_fail/assign_through_arc.rs")]
/// ```
pub mod must_not_compile_sharing {}
