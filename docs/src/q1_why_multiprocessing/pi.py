"""Question 1 in Python: estimate pi three ways (sequential, processes, threads) and time each."""

import multiprocessing
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor

PIECES = 16


def count_inside(piece):
    """Runs in a worker: throws `points` random points, counts those inside the quarter circle."""
    seed, points = piece
    rng = random.Random(seed)  # each piece has its own seed: same answer in every mode
    inside = 0
    for _ in range(points):
        x, y = rng.random(), rng.random()
        if x * x + y * y < 1.0:
            inside += 1
    return inside


def timed(label, workers, run):
    """Runs `run`, prints how long it took and how many points fell inside."""
    start = time.perf_counter()
    inside = sum(run())
    print(f"{label:<12} {workers:>7} {time.perf_counter() - start:>9.3f} s   {inside:,}")


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 4_000_000
    workers = os.cpu_count()
    pieces = [(seed, size // PIECES) for seed in range(PIECES)]
    load = os.getloadavg()[0]
    print(f"{size:,} points in {PIECES} pieces, {workers} workers (load average {load:.2f})")
    print(f"{'mode':<12} {'workers':>7} {'total':>11}   points inside")
    timed("sequential", 1, lambda: map(count_inside, pieces))
    with multiprocessing.Pool(workers) as pool:
        timed("processes", workers, lambda: pool.map(count_inside, pieces, chunksize=1))
    with ThreadPoolExecutor(workers) as threads:
        timed("threads", workers, lambda: threads.map(count_inside, pieces))
