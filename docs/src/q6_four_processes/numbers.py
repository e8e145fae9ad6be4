"""Question 6 in Python (second answer sheet): processes print 1, 2, 3, 4 and their ids."""

import multiprocessing
import os


def print_number(number):
    print(f"Process ID: {os.getpid()}, Number: {number}")


if __name__ == "__main__":
    processes = [multiprocessing.Process(target=print_number, args=(n,)) for n in [1, 2, 3, 4]]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    print("All processes have finished.")
