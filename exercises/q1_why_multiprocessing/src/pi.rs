//! The CPU-bound job: estimate π by throwing random points at a square.
//!
//! A point `(x, y)` drawn uniformly from the unit square falls inside the quarter circle
//! `x² + y² < 1` with probability π/4, so `4 × inside / points` estimates π. Every point is
//! independent of the others, which is what makes the job easy to split: each [`Piece`] is a
//! number of points plus the seed of its own generator, and the answer is the sum of the pieces.

use rand::rngs::{ChaCha12Rng, Xoshiro256PlusPlus};
use rand::{Rng, RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

/// How many pieces a job is cut into (fewer when it has fewer points).
///
/// Far more pieces than cores, so a worker that finishes early takes another piece instead of
/// idling while a slow one finishes. And a fixed number, not one per worker: the pieces, and so
/// the answer, depend only on the size and the seed, never on how many workers run them.
pub const PIECES: u64 = 64;

/// One piece of the job: everything a worker needs, as a plain value that can be sent to
/// another process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Piece {
    /// How many points to throw.
    pub points: u64,
    /// The seed of this piece's own generator.
    pub seed: [u8; 32],
}

// ANCHOR: plan
/// Cuts a job of `points` points into at most [`PIECES`] pieces whose sizes differ by at most
/// one, each with its own seed. The same `points` and `seed` always give the same pieces.
///
/// ```
/// use q1_why_multiprocessing::pi::plan;
/// let pieces = plan(1000, 7);
/// assert_eq!(pieces.len(), 64);
/// assert_eq!(pieces.iter().map(|p| p.points).sum::<u64>(), 1000);
/// assert_eq!(pieces, plan(1000, 7));
/// ```
pub fn plan(points: u64, seed: u64) -> Vec<Piece> {
    let pieces = PIECES.min(points);
    if pieces == 0 {
        return Vec::new();
    }
    let (base, extra) = (points / pieces, points % pieces);
    // The pieces' seeds come from one generator of a different, cryptographic kind (ChaCha),
    // as rand advises when seeding many fast generators: their streams are then unrelated.
    let mut seeds = ChaCha12Rng::seed_from_u64(seed);
    (0..pieces)
        .map(|i| {
            let mut seed = [0; 32];
            seeds.fill_bytes(&mut seed);
            Piece {
                points: base + u64::from(i < extra),
                seed,
            }
        })
        .collect()
}
// ANCHOR_END: plan

// ANCHOR: count_inside
/// Throws the piece's points and counts those inside the quarter circle. Runs in a worker
/// process, a thread or the main thread: same piece, same count.
///
/// ```
/// use q1_why_multiprocessing::pi::{count_inside, plan};
/// let piece = plan(100_000, 1)[0];
/// assert_eq!(count_inside(piece), count_inside(piece));
/// assert!(count_inside(piece) <= piece.points);
/// ```
pub fn count_inside(piece: Piece) -> u64 {
    // Xoshiro256++: a small, fast generator with a fixed algorithm, and fast even in a debug
    // build (ChaCha is about 100 times slower there), which is what `cargo run` gives you.
    let mut rng = Xoshiro256PlusPlus::from_seed(piece.seed);
    let mut inside = 0;
    for _ in 0..piece.points {
        let x: f64 = rng.random();
        let y: f64 = rng.random();
        if x * x + y * y < 1.0 {
            inside += 1;
        }
    }
    inside
}
// ANCHOR_END: count_inside

/// π as estimated from `inside` of `points` points.
///
/// ```
/// assert_eq!(q1_why_multiprocessing::pi::estimate(785, 1000), 3.14);
/// ```
pub fn estimate(inside: u64, points: u64) -> f64 {
    4.0 * inside as f64 / points as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_the_job_evenly() {
        for points in [1, 2, 63, 64, 65, 1000, 1_000_003] {
            let pieces = plan(points, 0);
            assert_eq!(pieces.len() as u64, PIECES.min(points), "{points}");
            assert_eq!(pieces.iter().map(|p| p.points).sum::<u64>(), points);
            let sizes = pieces.iter().map(|p| p.points);
            let (min, max) = (sizes.clone().min().unwrap(), sizes.max().unwrap());
            assert!(max - min <= 1, "{points}: {min}..{max}");
        }
        assert!(plan(0, 0).is_empty());
    }

    #[test]
    fn every_piece_has_its_own_seed_and_the_seed_decides_them() {
        let pieces = plan(1000, 42);
        for (i, a) in pieces.iter().enumerate() {
            assert!(pieces[i + 1..].iter().all(|b| b.seed != a.seed));
        }
        assert_eq!(pieces, plan(1000, 42));
        assert_ne!(pieces, plan(1000, 43));
    }

    #[test]
    fn the_answer_is_fixed_by_size_and_seed() {
        // Pinned: a change of generator or of the plan would change every published output.
        let inside: u64 = plan(100_000, 1).into_iter().map(count_inside).sum();
        assert_eq!(inside, PINNED_INSIDE_100K_SEED_1);
        let pi = estimate(inside, 100_000);
        assert!((pi - std::f64::consts::PI).abs() < 0.02, "{pi}");
    }

    /// Points inside the quarter circle for `--size 100000 --seed 1` (also in tests/cli.rs).
    const PINNED_INSIDE_100K_SEED_1: u64 = 78_718;

    #[test]
    fn estimate_is_four_times_the_fraction_inside() {
        assert_eq!(estimate(1, 1), 4.0);
        assert_eq!(estimate(0, 10), 0.0);
        assert_eq!(estimate(3, 4), 3.0);
    }
}
