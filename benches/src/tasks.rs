//! The tasks the benchmarks send to worker processes. Each is also called directly (sequential,
//! threads, rayon), so every approach runs exactly the same function.

use common::{Registered, Task, task};
use serde_bytes::ByteBuf;

/// Does nothing: what is left is the cost of the machinery around a task.
pub fn noop(_: ()) {}

/// The second answer sheet's `calculate_square`.
pub fn square(x: u64) -> u64 {
    x * x
}

/// A coarse CPU-bound task: `steps` rounds of the xorshift64* generator from `seed`.
///
/// Each round depends on the one before and mixes shifts, xors and a multiplication, so
/// neither the compiler nor the CPU can skip, merge or overlap rounds (a plain linear
/// congruential generator would not do: LLVM folds eight of its steps into one). The time is
/// proportional to `steps` and nothing else: no memory, no allocation.
/// `benches/python/side_by_side.py` computes the same numbers with Python ints.
///
/// ```
/// assert_eq!(benches::tasks::xorshift(1, 0), 1);
/// assert_eq!(benches::tasks::xorshift(1, 1), 5180492295206395165);
/// ```
pub fn xorshift(seed: u64, steps: u64) -> u64 {
    let mut x = seed | 1; // xorshift is stuck at 0
    for _ in 0..steps {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        x = x.wrapping_mul(0x2545_f491_4f6c_dd1d);
    }
    x
}

/// A payload sent to a worker and sent back: `serde_bytes` makes it one copy each way
/// (a plain `Vec<u8>` is encoded byte by byte).
pub fn echo(bytes: ByteBuf) -> ByteBuf {
    bytes
}

/// The same echo on a plain `Vec<u8>`, to show what `serde_bytes` saves.
pub fn echo_vec(bytes: Vec<u8>) -> Vec<u8> {
    bytes
}

/// See [`noop`].
pub const NOOP: Task<(), ()> = task!(noop);
/// See [`square`].
pub const SQUARE: Task<u64, u64> = task!(square);
/// See [`xorshift`].
pub const XORSHIFT: Task<(u64, u64), u64> = task!(xorshift(seed, steps));
/// See [`echo`].
pub const ECHO: Task<ByteBuf, ByteBuf> = task!(echo);
/// See [`echo_vec`].
pub const ECHO_VEC: Task<Vec<u8>, Vec<u8>> = task!(echo_vec);

/// Every task a benchmark binary can run in a worker (given to [`common::init`] by
/// [`crate::init`]); q5's gamma task and q3's download are borrowed from the exercises.
pub static TASKS: &[&dyn Registered] = &[
    &NOOP,
    &SQUARE,
    &XORSHIFT,
    &ECHO,
    &ECHO_VEC,
    &q5_pool::GAMMA,
    &q3_create_process::download::DOWNLOAD,
];
