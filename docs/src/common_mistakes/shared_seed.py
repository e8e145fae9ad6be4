"""Forked children copy the parent's random state: a generator made before the fork repeats."""
import multiprocessing
import random

rng = random.Random()  # seeded once, from the OS, when the module is loaded


def draw(queue):
    # `random.randint` uses the module's own generator, which Python reseeds in a forked child;
    # `rng` is an object of this program, copied as it was.
    queue.put((rng.randint(1, 100), random.randint(1, 100)))


if __name__ == "__main__":
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    children = [context.Process(target=draw, args=(queue,)) for _ in range(3)]
    for child in children:
        child.start()
    draws = [queue.get() for _ in children]
    for child in children:
        child.join()
    print(f"a Random() made before the fork: {[own for own, _ in draws]}")
    print(f"the random module's generator:   {[module for _, module in draws]}")
