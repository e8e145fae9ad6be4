"""Question 5 in Python: the gamma function on a pool of 4 worker processes."""

import argparse
import math
import multiprocessing
import time

work_ms = 0  # each worker process has its own copy


def set_work_ms(ms):
    """The pool's initializer: every worker runs it once."""
    global work_ms
    work_ms = ms


def calc_gamma(x):
    """Runs in a worker: gamma(x), after the optional busy-wait."""
    deadline = time.monotonic() + work_ms / 1000
    while time.monotonic() < deadline:
        pass
    return math.gamma(x)


def number(text):
    """'1' stays an int and '1.0' a float: Python prints them differently."""
    try:
        return int(text)
    except ValueError:
        return float(text)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("values", nargs="*", type=number)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--work-ms", type=int, default=0)
    args = parser.parse_args()
    values = args.values or [0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]

    with multiprocessing.Pool(
        args.workers, initializer=set_work_ms, initargs=(args.work_ms,)
    ) as pool:
        for value, gamma in zip(values, pool.imap(calc_gamma, values)):
            print(f"Gamma({value}) = {gamma}")
