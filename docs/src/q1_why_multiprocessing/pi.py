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


def timed(label, workers, run, sequential=None):
    """Runs `run`, prints how long it took, its speedup and how many points fell inside."""
    start = time.perf_counter()
    inside = sum(run())
    took = time.perf_counter() - start
    speedup = (sequential or took) / took
    print(f"{label:<12} {workers:>7} {took:>9.3f} s {speedup:>7.2f}x   {inside:,}")
    return took, speedup


def reading(processes, threads, load, cores):
    """What the run shows, in a sentence, from its own numbers."""
    said = f"processes ran at {processes:.2f}x the sequential speed, threads at {threads:.2f}x"
    if processes < 1.25:
        return f"{said}: neither gained much; with a load average of {load:.2f} on {cores} cores, other programs held the cores."
    if threads < 1.25:
        return f"{said}: only the processes computed on several cores at once; the GIL lets one thread at a time run Python code."
    return f"{said}: both gained, which CPython's GIL allows only in a free-threaded build."


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 4_000_000
    workers = os.cpu_count()
    pieces = [(seed, size // PIECES) for seed in range(PIECES)]
    load = os.getloadavg()[0]
    print(f"{size:,} points in {PIECES} pieces, {workers} workers (load average {load:.2f})")
    print(f"{'mode':<12} {'workers':>7} {'total':>11} {'speedup':>8}   points inside")
    alone, _ = timed("sequential", 1, lambda: map(count_inside, pieces))
    with multiprocessing.Pool(workers) as pool:
        _, on_processes = timed(
            "processes", workers, lambda: pool.map(count_inside, pieces, chunksize=1), alone
        )
    with ThreadPoolExecutor(workers) as threads:
        _, on_threads = timed("threads", workers, lambda: threads.map(count_inside, pieces), alone)
    print(f"Reading: {reading(on_processes, on_threads, load, workers)}")
