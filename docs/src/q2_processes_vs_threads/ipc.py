"""Question 2 in Python: a pipe, a queue and shared memory between processes, and a queue
between threads: the round trip of one number, and a bulk transfer of 64 MiB."""

import multiprocessing
import queue
import statistics
import sys
import threading
import time
from multiprocessing import shared_memory

ROUND_TRIPS = 2000
WARM_UP = 50
BULK_RUNS = 5
BULK = 64 << 20
STOP = None


def block():
    pattern = bytes(i * 7 % 251 for i in range(4096))
    return (pattern * (BULK // len(pattern) + 1))[:BULK]


def pipe_echo(conn):
    data = block()
    while True:
        n = conn.recv()
        if n is STOP:
            return
        if n == "bytes":
            conn.send_bytes(data)  # raw bytes, not pickled
        elif n == "bulk":
            conn.send(data)  # pickled, as any object
        else:
            conn.send(n + 1)


def queue_echo(asks, answers):
    data = block()
    while True:
        n = asks.get()
        if n is STOP:
            return
        answers.put(data if n == "bulk" else n + 1)


def shared_echo(words, shm_name):
    data = block()
    shm = shared_memory.SharedMemory(name=shm_name)
    seen = 0
    while True:
        request = words[0]
        if request == seen:
            continue  # polls: no sleep, no wake-up
        if request == -1:
            shm.close()
            return
        if request < 0:
            shm.buf[:BULK] = data
        seen = request
        words[1] = request + 1


def timed(call, runs, warm):
    times = []
    for i in range(warm + runs):
        start = time.perf_counter()
        call(i)
        took = time.perf_counter() - start
        if i >= warm:
            times.append(took)
    return statistics.median(times)


def unit(seconds):
    for scale, name in [(1, "s"), (1e-3, "ms"), (1e-6, "µs")]:
        if seconds >= scale:
            return f"{seconds / scale:.3g} {name}"
    return f"{seconds * 1e9:.3g} ns"


def row(name, round_trip, bulk):
    print(f"{name:<52} {unit(round_trip):>10} {unit(bulk):>10} {BULK / bulk / 1e9:>6.2f}")


def check(got):
    if len(got) != BULK:
        sys.exit(f"the bulk block arrived with {len(got)} bytes")


if __name__ == "__main__":
    print(f"Communication: a number there and back ({ROUND_TRIPS} times, after {WARM_UP}), "
          f"then {BULK >> 20} MiB from the other side ({BULK_RUNS} times, after 1).")
    print()
    print(f"{'between':<52} {'round trip':>10} {'64 MiB':>10} {'GB/s':>6}")

    # A queue between threads: the object itself is handed over.
    asks, answers = queue.Queue(), queue.Queue()
    echo = threading.Thread(target=queue_echo, args=(asks, answers))
    echo.start()

    def ask(n):
        asks.put(n)
        return answers.get()

    rt = timed(lambda i: ask(i), ROUND_TRIPS, WARM_UP)
    bulk = timed(lambda i: check(ask("bulk")), BULK_RUNS, 1)
    asks.put(STOP)
    echo.join()
    row("queue, threads: queue.Queue", rt, bulk)

    # multiprocessing.Pipe between processes: pickled objects, or raw bytes.
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.Process(target=pipe_echo, args=(theirs,))
    child.start()

    def pipe_ask(n):
        ours.send(n)
        return ours.recv()

    def pipe_bytes(_):
        ours.send("bytes")
        check(ours.recv_bytes())

    def pipe_bulk(_):
        ours.send("bulk")
        check(ours.recv())

    rt = timed(pipe_ask, ROUND_TRIPS, WARM_UP)
    raw = timed(pipe_bytes, BULK_RUNS, 1)
    bulk = timed(pipe_bulk, BULK_RUNS, 1)
    ours.send(STOP)
    child.join()
    row("pipe, processes: Pipe, send_bytes: raw bytes", rt, raw)
    row("pipe, processes: Pipe, send: pickled", rt, bulk)

    # multiprocessing.Queue between processes: pickled, through a pipe, by a feeder thread.
    asks, answers = multiprocessing.Queue(16), multiprocessing.Queue(16)
    child = multiprocessing.Process(target=queue_echo, args=(asks, answers))
    child.start()
    rt = timed(lambda i: ask(i), ROUND_TRIPS, WARM_UP)
    bulk = timed(lambda i: check(ask("bulk")), BULK_RUNS, 1)
    asks.put(STOP)
    child.join()
    row("queue, processes: multiprocessing.Queue", rt, bulk)

    # Shared memory: two polled words (an Array without a lock) and a SharedMemory block.
    words = multiprocessing.Array("q", 2, lock=False)
    shm = shared_memory.SharedMemory(create=True, size=BULK)
    child = multiprocessing.Process(target=shared_echo, args=(words, shm.name))
    child.start()

    def shared_ask(request):
        words[0] = request
        while words[1] != request + 1:
            pass

    def shared_bulk(i):
        shared_ask(-(i + 2))  # a negative request asks for the block
        check(bytes(shm.buf[:BULK]))  # copied out, as the Rust side does

    rt = timed(lambda i: shared_ask(i + 1), ROUND_TRIPS, WARM_UP)
    bulk = timed(shared_bulk, BULK_RUNS, 1)
    words[0] = -1
    child.join()
    shm.close()
    shm.unlink()
    row("shared memory, processes: Array, SharedMemory", rt, bulk)
