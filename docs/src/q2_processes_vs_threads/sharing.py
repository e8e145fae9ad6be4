"""Question 2 in Python: four workers add 1 to one counter. Which updates survive?"""

import multiprocessing
import sys
import threading
import time

WORKERS = 4
N = 100_000

# CPython asks a running thread to let another run every 5 ms. Each thread here is done within
# a few milliseconds, so at that interval a run may see no switch at all; a longer program sees
# thousands. Asking every 0.01 ms shows in one short run what a long one hits anyway.
sys.setswitchinterval(0.00001)

counter = 0  # a global: shared by threads; every child process has its own copy


def add_one(n):
    return n + 1


def plain():
    global counter
    for _ in range(N):
        counter += 1  # read, add, write: a thread may be switched out in between


def around_a_call():
    global counter
    for _ in range(N):
        counter = add_one(counter)  # the call is a place where the switch often happens


lock = threading.Lock()


def under_a_lock():
    global counter
    for _ in range(N):
        with lock:
            counter = add_one(counter)


def raw_value(value):
    for _ in range(N):
        value.value += 1  # read and write, no lock: processes race on it


def locked_value(value):
    for _ in range(N):
        with value.get_lock():
            value.value += 1


def run(make, target, args=()):
    """Starts WORKERS workers on `target`, waits for them; returns the wall time."""
    start = time.perf_counter()
    workers = [make(target=target, args=args) for _ in range(WORKERS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - start


def row(workers, what, counted, seconds):
    missing = WORKERS * N - counted
    print(f"{workers:<12} {what:<52} {counted:>8} {missing:>7} {seconds * 1e3:>8.1f} ms")


if __name__ == "__main__":
    print(f"Sharing: {WORKERS} workers each add 1 to one counter, {N} times: {WORKERS * N} in all.")
    print()
    print(f"{'workers':<12} {'the counter':<52} {'counted':>8} {'missing':>7} {'time':>11}")
    for what, target in [
        ("counter += 1 on a global", plain),
        ("counter = add_one(counter): a call in between", around_a_call),
        ("the same under a threading.Lock", under_a_lock),
    ]:
        counter = 0
        seconds = run(threading.Thread, target)
        row("4 threads", what, counter, seconds)
    counter = 0
    seconds = run(multiprocessing.Process, plain)
    row("4 processes", "the same global: each child adds to its own copy", counter, seconds)
    value = multiprocessing.Value("q", 0, lock=False)
    seconds = run(multiprocessing.Process, raw_value, (value,))
    row("4 processes", "v.value += 1 on a Value(lock=False)", value.value, seconds)
    value = multiprocessing.Value("q", 0)
    seconds = run(multiprocessing.Process, locked_value, (value,))
    row("4 processes", "with v.get_lock(): v.value += 1", value.value, seconds)
