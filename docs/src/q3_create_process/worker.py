"""Question 3 in Python (second answer sheet): one process prints its id and a number."""

import multiprocessing
import os


def worker(number):
    print(f"Worker process ID: {os.getpid()}, Number: {number}")


if __name__ == "__main__":
    print(f"Main process ID: {os.getpid()}")
    process = multiprocessing.Process(target=worker, args=(5,))
    process.start()
    process.join()
    print(f"Process {process.pid} finished with exit code {process.exitcode}")
