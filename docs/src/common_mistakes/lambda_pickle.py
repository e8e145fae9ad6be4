"""A lambda cannot go to a pool: pickle sends a function by its name, and a lambda has none."""
import multiprocessing

if __name__ == "__main__":
    offset = 10
    with multiprocessing.Pool(2) as pool:
        print(pool.map(lambda x: x + offset, [1, 2, 3]))
