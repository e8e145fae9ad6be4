"""Question 6 in Python (first answer sheet): 4 processes, each printing a different number."""

import multiprocessing
import os
import random


def print_random(number, value):
    """Runs in child process `number`: prints the number the parent drew for it."""
    print(f"Process number {number} (pid {os.getpid()}), random number generated : {value}")


if __name__ == "__main__":
    values = random.sample(range(1, 101), 4)  # 4 different numbers, drawn by the parent
    processes = [
        multiprocessing.Process(target=print_random, args=(number, value))
        for number, value in enumerate(values)
    ]
    for p in processes:  # start them all ...
        p.start()
    for p in processes:  # ... then wait for each
        p.join()
