"""A global is one per process: pool workers change their own copy, threads change the parent's."""
import multiprocessing
from concurrent.futures import ThreadPoolExecutor

calls = 0


def count_call(_item):
    global calls
    calls += 1
    return calls


if __name__ == "__main__":
    with multiprocessing.Pool(2) as pool:
        pool.map(count_call, range(8))
    print(f"8 tasks on 2 worker processes: calls in the parent is {calls}")
    with ThreadPoolExecutor(2) as threads:
        list(threads.map(count_call, range(8)))
    print(f"8 tasks on 2 threads: calls in the parent is {calls}")
