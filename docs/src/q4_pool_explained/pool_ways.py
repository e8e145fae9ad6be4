"""Question 4 in Python: 3 workers, 10 uneven tasks, handed over in four ways."""

import multiprocessing
import os
import time

LENGTHS_MS = [60, 160, 40, 20, 100, 40, 140, 20, 80, 40]


def task(number):
    """Runs in a worker: sleeps for the task's length, says which process ran it."""
    time.sleep(LENGTHS_MS[number] / 1000)
    return number, os.getpid()


def show(title, results, start):
    print(f"== {title}: {(time.perf_counter() - start) * 1000:.0f} ms")
    for number, pid in results:
        print(f"  task {number} ({LENGTHS_MS[number]:>3} ms) ran on pid {pid}")


if __name__ == "__main__":
    tasks = range(len(LENGTHS_MS))
    with multiprocessing.Pool(3) as pool:
        start = time.perf_counter()
        show("apply, one at a time", [pool.apply(task, (n,)) for n in tasks], start)
        start = time.perf_counter()
        handles = [pool.apply_async(task, (n,)) for n in tasks]
        show("apply_async, then get", [h.get() for h in handles], start)
        start = time.perf_counter()
        show("map", pool.map(task, tasks), start)
        start = time.perf_counter()
        show("imap", list(pool.imap(task, tasks)), start)
