"""sys.exit() in a pool task: the worker exits, and the pool waits forever for its result."""
import multiprocessing
import sys


def exit_on_3(x):
    if x == 3:
        sys.exit(3)  # SystemExit is a BaseException: the worker's loop does not catch it
    return x * 10


if __name__ == "__main__":
    with multiprocessing.Pool(2) as pool:
        print("mapping 1 to 4 on 2 workers", flush=True)
        print(pool.map(exit_on_3, [1, 2, 3, 4]))
