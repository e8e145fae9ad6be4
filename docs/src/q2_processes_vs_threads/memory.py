"""Question 2 in Python: does the parent see a change made by a thread? By a process?"""

import multiprocessing
import threading

counter = 0  # the module's value: what a freshly imported copy of this file starts from


def add_one():
    global counter
    counter += 1
    print(f"  the worker sees {counter - 1} and sets {counter}")


if __name__ == "__main__":
    workers = [
        ("thread", lambda: threading.Thread(target=add_one)),
        # fork: the child is a copy of the parent, counter included
        ("process (fork)", lambda: multiprocessing.get_context("fork").Process(target=add_one)),
        # spawn: a new interpreter imports this file again, so counter starts from the module's 0
        ("process (spawn)", lambda: multiprocessing.get_context("spawn").Process(target=add_one)),
    ]
    for kind, make in workers:
        counter = 42
        print(f"{kind}: the parent sets the counter to {counter}")
        worker = make()
        worker.start()
        worker.join()
        print(f"  the parent reads {counter}")
