"""Two threads run the same CPU-bound loop in small slices; each records when it ran.

Each slice is timed. A thread ran during a slice that took about as long as a slice takes
alone; a slice that took more than 3 times that, or a gap before it, means the thread waited
(for the GIL, or for a core) somewhere inside it. Runs of back-to-back slices that did not wait
are printed as `run THREAD NATIVE_ID START_US END_US SLICES`, times from the threads' common
start. With the GIL, one thread at a time runs Python code, so the runs of the two threads take
turns. The Rust example `slices` (cargo run -p q1_why_multiprocessing --example slices) does
the same and prints the same lines.
"""

import sys
import threading
import time

THREADS = 2
SLICES = 600
SLICE_US = 100


def work(n):
    """Pure Python arithmetic: holds the GIL the whole time."""
    total = 0
    for i in range(n):
        total = (total + i * i) % 1_000_003
    return total


def timed(n):
    start = time.monotonic_ns()
    work(n)
    return time.monotonic_ns() - start


def calibrate(us):
    """Iterations of `work` that take about `us` microseconds alone, and how long they take."""
    n = 20_000
    work(n)  # warm up
    best = min(timed(n) for _ in range(5))
    n = max(1, n * us * 1000 // best)
    return n, min(timed(n) for _ in range(5))


# ANCHOR: runs_of
def runs_of(number, n, alone_ns):
    """Times SLICES slices; returns the runs of slices during which this thread never waited."""
    native = threading.get_native_id()
    runs = []
    first = last = None
    count = 0
    for _ in range(SLICES):
        start = time.monotonic_ns()
        work(n)
        end = time.monotonic_ns()
        waited = end - start > 3 * alone_ns or (last is not None and start - last > alone_ns)
        if waited and count:
            runs.append((number, native, first, last, count))
            count = 0
        if end - start > 3 * alone_ns:
            continue
        if count == 0:
            first = start
        last = end
        count += 1
    if count:
        runs.append((number, native, first, last, count))
    return runs
# ANCHOR_END: runs_of


def main():
    n, alone_ns = calibrate(SLICE_US)
    runs = []
    lock = threading.Lock()
    ready = threading.Barrier(THREADS + 1)

    def run(number):
        ready.wait()
        mine = runs_of(number, n, alone_ns)
        with lock:
            runs.extend(mine)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    ready.wait()
    origin = time.monotonic_ns()
    for t in threads:
        t.join()
    wall = time.monotonic_ns() - origin
    version = sys.version.split()[0]
    print(f"Python {version}: {THREADS} threads, {SLICES} slices each of {n} iterations "
          f"({alone_ns / 1000:.0f} µs alone); wall time {wall / 1e6:.0f} ms")
    print("run thread native_id start_us end_us slices")
    for number, native, start, end, count in sorted(runs, key=lambda r: r[2]):
        start_us = max(0, start - origin) // 1000
        print(f"run {number} {native} {start_us} {(end - origin) // 1000} {count}")


if __name__ == "__main__":
    main()
