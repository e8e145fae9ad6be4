"""Question 5's map on Dask: the same calc_gamma on a LocalCluster of 2 worker processes.

Beside docs/src/q5_pool/gamma_pool.py, three things change: the cluster replaces
multiprocessing.Pool, client.map replaces pool.imap, and each result is a future. On real
machines, Client("scheduler-host:8786") replaces the LocalCluster and nothing else changes.

--kill-after N kills one worker process once N lines are printed: Dask's nanny starts a new
one and the scheduler runs the lost work again.
"""

import argparse
import logging
import math
import os
import platform
import signal
import sys
import time

try:
    import dask
    import distributed
    from dask.distributed import Client, LocalCluster
except ImportError:
    print(
        "gamma_dask.py: error: Dask is not installed: "
        "python3 -m pip install 'dask[distributed]'",
        file=sys.stderr,
    )
    sys.exit(1)

TIMEOUT_S = 60  # every wait is bounded: a lost cluster is an error, not a hang


def calc_gamma(x, work_ms=0):
    """Runs in a worker: gamma(x), after the optional busy-wait (as in gamma_pool.py)."""
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("values", nargs="*", type=number)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work-ms", type=int, default=0)
    parser.add_argument("--kill-after", type=int, metavar="N")
    args = parser.parse_args()
    values = args.values or [0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    print(
        f"dask {dask.__version__}, distributed {distributed.__version__}, "
        f"{platform.python_implementation()} {platform.python_version()}",
        file=sys.stderr,
    )

    # ANCHOR: map
    with LocalCluster(
        n_workers=args.workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster, Client(cluster) as client:
        futures = client.map(calc_gamma, values, work_ms=args.work_ms)
        for i, (value, future) in enumerate(zip(values, futures)):
            print(f"Gamma({value}) = {future.result(timeout=TIMEOUT_S)}")
            # ANCHOR_END: map
            if args.kill_after is not None and i + 1 == args.kill_after:
                kill_a_busy_worker(client)


def kill_a_busy_worker(client):
    """SIGKILL to the worker process that holds the most unfinished tasks."""
    processing = client.processing()
    address = max(processing, key=lambda w: len(processing[w]))
    pid = client.run(os.getpid, workers=[address])[address]
    os.kill(pid, signal.SIGKILL)
    print(
        f"gamma_dask.py: killed worker {address} (pid {pid}), "
        f"which had {len(processing[address])} task(s) to run",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
