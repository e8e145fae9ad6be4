//! Python's `multiprocessing.Pool` and `Process`, in Rust, on real child processes, plus the
//! same `map` on a thread pool so the two can be compared with one call each.
//!
//! TODO(design essay) is written below once the API settles.

mod child;
mod error;
mod link;
mod panic;
mod pool;
mod process;
mod progress;
mod sys;
mod task;
mod threads;
mod trace;
mod wire;
mod worker;

pub use error::{Error, Exit, Result, signal_name};
pub use pool::{Args, AsyncResult, Call, IMap, Pool, PoolBuilder};
pub use process::Process;
pub use task::{Registered, Task};
pub use threads::{ThreadIMap, ThreadPool};
pub use trace::{Span, Trace};
pub use worker::init;
