"""The Python half of the side-by-side table: the same workloads as the Rust runner
(benches/src/runner/), timed the same way, printed as JSON.

Run by the runner; on its own:

    python3 benches/python/side_by_side.py [--quick | --smoke] [--only TEXT] [--server MS=URL]

Workloads are keyed like the Rust ones. Start methods are named in brackets: `fork` is Linux's
default before Python 3.14, `forkserver` its default since (children are forked from a server
process started on first use), `spawn` starts a fresh interpreter (the default on macOS and
Windows). Only the standard library is used.
"""

import argparse
import json
import math
import multiprocessing as mp
import os
import platform
import queue
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

# The same constants as benches/src/work.rs and the runner.
POOL_WORKERS = 4
MAP_SIZES = [1_000, 10_000, 100_000, 1_000_000]
COARSE_TASKS = 24
SIDE_COARSE_STEPS = 100_000
GAMMA_VALUES = 100_000
PAYLOAD_SIZES = [1 << 10, 1 << 20, 64 << 20]
MASK = (1 << 64) - 1

BUDGETS = {
    # time (s), min samples, max samples: as in benches/src/measure.rs
    "full": (1.0, 7, 1000),
    "quick": (0.2, 3, 1000),
    "smoke": (0.0, 1, 1),
}
MIN_BATCH_TIME = 0.002


# --- the tasks (top level, so `spawn` children can import them) ---------------------------


def noop():
    pass


def square(x):
    return x * x


def xorshift(args):
    """benches/src/tasks.rs `xorshift`: xorshift64* rounds, Python ints kept to 64 bits."""
    seed, steps = args
    x = seed | 1
    for _ in range(steps):
        x ^= x >> 12
        x ^= (x << 25) & MASK
        x ^= x >> 27
        x = (x * 0x2545F4914F6CDD1D) & MASK
    return x


def calc_gamma(x):
    return math.gamma(x)


def echo(b):
    return b


def download(job):
    """The same steps as question 3's Rust `download`: GET, write a temporary file, sync it,
    rename it into place."""
    url, temp, final = job
    with urllib.request.urlopen(url, timeout=30) as response:
        body = response.read()
    with open(temp, "wb") as f:
        f.write(body)
        f.flush()
        os.fsync(f.fileno())
    os.rename(temp, final)
    return len(body)


def pipe_echo(read_fd, write_fd, parent_fds, cpu=None):
    for fd in parent_fds:
        os.close(fd)  # the parent's ends: without this, we would never see end of file
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    while True:
        data = os.read(read_fd, 65536)
        if not data:
            return
        os.write(write_fd, data)


_barrier = None


def _set_barrier(barrier):
    global _barrier
    _barrier = barrier


def _meet(_):
    """Every worker must take one of these before any returns: proof all are up."""
    _barrier.wait()
    return os.getpid()


# --- timing: the same procedure as benches/src/measure.rs ----------------------------------


def measure(budget, run):
    """`run(n)` runs the workload n times and returns the seconds it took."""
    total_time, min_samples, max_samples = budget
    start = time.perf_counter()
    first = run(1)
    batch = 1
    if first < MIN_BATCH_TIME and max_samples > 1:
        probe = max(1, int(0.001 / max(first, 1e-9)))
        per_call = run(probe) / probe
        batch = max(1, math.ceil(MIN_BATCH_TIME / max(per_call, 1e-9)))
    samples = []
    if batch == 1 and max_samples == 1:
        samples.append(first)
    while len(samples) < max_samples and (
        len(samples) < min_samples or time.perf_counter() - start < total_time
    ):
        samples.append(run(batch) / batch)
    samples.sort()
    n = len(samples)
    median = samples[n // 2] if n % 2 else (samples[n // 2 - 1] + samples[n // 2]) / 2
    # The quartiles, picked as benches/src/measure.rs picks them: how noisy the run was.
    q1, q3 = samples[(n - 1) // 4], samples[-(-3 * (n - 1) // 4)]
    return {"median": median, "min": samples[0], "q1": q1, "q3": q3, "samples": n}


def time_n(n, f):
    start = time.perf_counter()
    for _ in range(n):
        f()
    return time.perf_counter() - start


def status_kib(pid, field):
    """A memory figure from /proc/PID/status, in KiB: VmRSS, RssAnon…"""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


# --- the workloads ---------------------------------------------------------------------------


class Bench:
    def __init__(self, budget, only, servers):
        self.budget = budget
        self.only = only
        self.servers = servers
        self.results = {}
        self.checks = {}

    def wants(self, key):
        return not self.only or any(part in key for part in self.only)

    def time(self, key, run):
        if self.wants(key):
            self.results[key] = measure(self.budget, run)

    def value(self, key, value):
        if self.wants(key):
            self.results[key] = {"value": value}

    def spawn(self):
        def thread(n):
            return time_n(n, lambda: _start_join(threading.Thread(target=noop)))

        self.time("spawn.thread", thread)
        for method in ("fork", "forkserver", "spawn"):
            ctx = mp.get_context(method)
            self.time(
                f"spawn.process[{method}]",
                lambda n, ctx=ctx: time_n(n, lambda: _start_join(ctx.Process(target=noop))),
            )
        cmd = [sys.executable, "-c", "pass"]
        self.time(
            "spawn.reexec",
            lambda n: time_n(n, lambda: subprocess.run(cmd, check=True)),
        )

    def pool_startup(self):
        for method in ("fork", "forkserver", "spawn"):
            ctx = mp.get_context(method)
            for workers in (1, 2, 4):
                key = f"pool.ready.{workers}[{method}]"
                if not self.wants(key):
                    continue

                def ready(n, ctx=ctx, workers=workers):
                    total = 0.0
                    for _ in range(n):
                        barrier = ctx.Barrier(workers)
                        start = time.perf_counter()
                        pool = ctx.Pool(workers, initializer=_set_barrier, initargs=(barrier,))
                        pool.map(_meet, range(workers), chunksize=1)
                        total += time.perf_counter() - start
                        pool.terminate()
                        pool.join()
                    return total

                self.time(key, ready)

            def constructor(n, ctx=ctx):
                total = 0.0
                for _ in range(n):
                    start = time.perf_counter()
                    pool = ctx.Pool(POOL_WORKERS)
                    total += time.perf_counter() - start
                    pool.terminate()
                    pool.join()
                return total

            self.time(f"pool.constructor.{POOL_WORKERS}[{method}]", constructor)

    def round_trip(self):
        if any(self.wants(f"roundtrip.apply.{w}") for w in (1, POOL_WORKERS)):
            for workers in (1, POOL_WORKERS):
                with mp.get_context("fork").Pool(workers) as pool:
                    pool.apply(square, (1,))
                    self.time(
                        f"roundtrip.apply.{workers}",
                        lambda n, pool=pool: time_n(n, lambda: pool.apply(square, (7,))),
                    )
        # As in Rust: free placement, then both sides pinned to one core, then to two.
        places = [("", None, None)]
        allowed = sorted(os.sched_getaffinity(0))
        if len(allowed) >= 2:
            here, there = allowed[0], allowed[1]
            places += [(".one_core", here, here), (".two_cores", here, there)]
        for suffix, here, there in places:
            if self.wants(f"roundtrip.channel{suffix}"):
                self._channel(f"roundtrip.channel{suffix}", here, there)
            if self.wants(f"roundtrip.pipe{suffix}"):
                self._pipe(f"roundtrip.pipe{suffix}", here, there)

    def _pinned(self, key, here, run):
        """Times `run` with this thread on core `here` (if given), then as it was."""
        before = os.sched_getaffinity(0)
        if here is not None:
            os.sched_setaffinity(0, {here})
        try:
            self.time(key, run)
        finally:
            os.sched_setaffinity(0, before)

    def _channel(self, key, here, there):
        requests, replies = queue.SimpleQueue(), queue.SimpleQueue()

        def echo_thread():
            if there is not None:
                os.sched_setaffinity(0, {there})  # 0: this thread
            while (x := requests.get()) is not None:
                replies.put(x)

        t = threading.Thread(target=echo_thread)
        t.start()

        def channel(n):
            def once():
                requests.put(7)
                replies.get()

            return time_n(n, once)

        self._pinned(key, here, channel)
        requests.put(None)
        t.join()

    def _pipe(self, key, here, there):
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        child = mp.get_context("fork").Process(
            target=pipe_echo,
            args=(to_child_r, from_child_w, (to_child_w, from_child_r), there),
        )
        child.start()
        os.close(to_child_r)
        os.close(from_child_w)
        message = (7).to_bytes(8, "little")

        def pipe(n):
            def once():
                os.write(to_child_w, message)
                got = b""
                while len(got) < 8:
                    got += os.read(from_child_r, 8 - len(got))

            return time_n(n, once)

        self._pinned(key, here, pipe)
        os.close(to_child_w)
        child.join()
        os.close(from_child_r)

    def map_throughput(self):
        for n in MAP_SIZES:
            items = list(range(n))
            self.time(
                f"map.{n}.sequential",
                lambda k, items=items: time_n(k, lambda: [square(x) for x in items]),
            )
        pool_keys = [f"map.{n}.pool" for n in MAP_SIZES]
        pool_keys += ["map.10000.pool.chunks1", "map.1000000.executor"]
        if not any(self.wants(k) for k in pool_keys):
            return
        with mp.get_context("fork").Pool(POOL_WORKERS) as pool:
            for n in MAP_SIZES:
                items = list(range(n))
                self.time(
                    f"map.{n}.pool",
                    lambda k, items=items: time_n(k, lambda: pool.map(square, items)),
                )
            items = list(range(10_000))
            self.time(
                "map.10000.pool.chunks1",
                lambda k: time_n(k, lambda: pool.map(square, items, chunksize=1)),
            )
        with ProcessPoolExecutor(POOL_WORKERS, mp_context=mp.get_context("fork")) as ex:
            items = list(range(1_000_000))
            list(ex.map(square, range(10)))
            self.time(
                "map.1000000.executor",
                lambda k: time_n(k, lambda: list(ex.map(square, items, chunksize=62_500))),
            )

    def cpu_bound(self, cores):
        keys = ["cpu.coarse.sequential", "cpu.gamma.sequential", "cpu.gamma.bare", "cpu.gamma.loop"]
        for w in range(1, cores + 1):
            keys += [f"cpu.coarse.threads.{w}", f"cpu.coarse.pool.{w}", f"cpu.gamma.pool.{w}"]
        if not any(self.wants(k) for k in keys):
            return
        tasks = [(seed, SIDE_COARSE_STEPS) for seed in range(COARSE_TASKS)]
        self.checks["coarse"] = [str(v) for v in map(xorshift, tasks)]
        values = [0.5 + (i % 340) * 0.5 for i in range(GAMMA_VALUES)]
        self.checks["gamma"] = [repr(v) for v in map(calc_gamma, values[:340])]
        self.time("cpu.coarse.sequential", lambda k: time_n(k, lambda: list(map(xorshift, tasks))))
        self.time(
            "cpu.gamma.sequential", lambda k: time_n(k, lambda: list(map(calc_gamma, values)))
        )
        # No Python function around it: what is left is map's loop and the C function.
        self.time("cpu.gamma.bare", lambda k: time_n(k, lambda: list(map(math.gamma, values))))
        # The same loop over a C function that does almost nothing: the interpreter's share.
        self.time("cpu.gamma.loop", lambda k: time_n(k, lambda: list(map(math.fabs, values))))
        for workers in range(1, cores + 1):
            with ThreadPoolExecutor(workers) as ex:
                self.time(
                    f"cpu.coarse.threads.{workers}",
                    lambda k, ex=ex: time_n(k, lambda: list(ex.map(xorshift, tasks))),
                )
            if not self.wants(f"cpu.coarse.pool.{workers}") and not self.wants(
                f"cpu.gamma.pool.{workers}"
            ):
                continue
            with mp.get_context("fork").Pool(workers) as pool:
                self.time(
                    f"cpu.coarse.pool.{workers}",
                    lambda k, pool=pool: time_n(k, lambda: pool.map(xorshift, tasks)),
                )
                self.time(
                    f"cpu.gamma.pool.{workers}",
                    lambda k, pool=pool: time_n(k, lambda: pool.map(calc_gamma, values)),
                )

    def io_bound(self):
        if not self.servers:
            return
        with tempfile.TemporaryDirectory() as out:
            for count, latency_ms in ((3, 200), (3, 50), (12, 50)):
                base = self.servers.get(latency_ms)
                if base is None:
                    continue
                jobs = [
                    (
                        f"{base}/file{i}.txt",
                        os.path.join(out, f"file{i}.txt.part"),
                        os.path.join(out, f"file{i}.txt"),
                    )
                    for i in range(1, count + 1)
                ]
                self._downloads(count, latency_ms, jobs)

    def _downloads(self, count, latency_ms, jobs):
        tag = f"io.{count}x{latency_ms}ms"
        if count == 3 and latency_ms == 200 and self.wants("io.single.200ms"):
            # The slowest of the three downloads, each on its own.
            stats = [
                measure(self.budget, lambda k, j=j: time_n(k, lambda: download(j)))
                for j in jobs
            ]
            self.results["io.single.200ms"] = max(stats, key=lambda s: s["median"])
        self.time(
            f"{tag}.sequential",
            lambda k: time_n(k, lambda: [download(j) for j in jobs]),
        )

        def threads(k):
            def once():
                ts = [threading.Thread(target=download, args=(j,)) for j in jobs]
                for t in ts:
                    t.start()
                for t in ts:
                    t.join()

            return time_n(k, once)

        self.time(f"{tag}.threads", threads)

        def processes(k):
            ctx = mp.get_context("fork")

            def once():
                ps = [ctx.Process(target=download, args=(j,)) for j in jobs]
                for p in ps:
                    p.start()
                for p in ps:
                    p.join()

            return time_n(k, once)

        self.time(f"{tag}.processes", processes)
        if self.wants(f"{tag}.pool"):
            with mp.get_context("fork").Pool(POOL_WORKERS) as pool:
                pool.map(square, range(POOL_WORKERS))
                self.time(
                    f"{tag}.pool",
                    lambda k: time_n(k, lambda: pool.map(download, jobs, chunksize=1)),
                )

    def payload(self):
        if not any(self.wants(f"payload.{size}") for size in PAYLOAD_SIZES):
            return
        with mp.get_context("fork").Pool(1) as pool:
            for size in PAYLOAD_SIZES:
                data = bytes(i % 251 for i in range(251)) * (size // 251) + bytes(size % 251)
                assert pool.apply(echo, (data,)) == data
                self.time(
                    f"payload.{size}",
                    lambda k, data=data: time_n(k, lambda: pool.apply(echo, (data,))),
                )

    def memory(self):
        for method in ("fork", "forkserver", "spawn"):
            key = f"rss.idle_worker[{method}]"
            if not self.wants(key):
                continue
            with mp.get_context(method).Pool(1) as pool:
                pid = pool.apply(os.getpid)
                pool.apply(square, (7,))
                time.sleep(0.1)
                self.value(key, status_kib(pid, "VmRSS"))
                self.value(f"rss.idle_worker.anon[{method}]", status_kib(pid, "RssAnon"))


def _start_join(p):
    p.start()
    p.join()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="a fifth of a second per workload")
    mode.add_argument("--smoke", action="store_true", help="one sample per workload")
    parser.add_argument("--only", action="append", default=[], help="keys containing TEXT")
    parser.add_argument(
        "--server",
        action="append",
        default=[],
        metavar="MS=URL",
        help="a local server answering after MS milliseconds, serving file1.txt … file12.txt",
    )
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    budget = BUDGETS["smoke" if args.smoke else "quick" if args.quick else "full"]
    servers = {int(ms): url for ms, url in (s.split("=", 1) for s in args.server)}
    bench = Bench(budget, args.only, servers)
    for workload in (
        # First, while this process is small: a forked worker starts as a copy of it.
        bench.memory,
        bench.spawn,
        bench.pool_startup,
        bench.round_trip,
        bench.map_throughput,
        lambda: bench.cpu_bound(args.cores),
        bench.io_bound,
        bench.payload,
    ):
        workload()
    meta = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "default_start_method": mp.get_start_method(),
    }
    json.dump({"meta": meta, "results": bench.results, "checks": bench.checks}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
