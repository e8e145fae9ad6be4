"""Question 2 in Python: does the parent see a change made by a thread? By a process?"""

import multiprocessing
import threading

counter = 42


def add_one():
    global counter
    counter += 1
    print(f"  the worker sees {counter - 1} and sets {counter}")


if __name__ == "__main__":
    for kind, worker in [
        ("thread", threading.Thread(target=add_one)),
        ("process", multiprocessing.Process(target=add_one)),
    ]:
        counter = 42
        print(f"{kind}: the parent sets the counter to {counter}")
        worker.start()
        worker.join()
        print(f"  the parent reads {counter}")
