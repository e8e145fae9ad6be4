# The reference program for question 5, from the first answer sheet,
# exactly as given: it needs no network, so nothing had to be adapted.
# The side-by-side runner (benches/src/runner/programs.rs) runs it against `cargo run -p q5_pool` and compares the output.

import multiprocessing
import math

def calc_gamma(x):
    """Function to be executed by worker processes"""
    result = math.gamma(x)
    return result

if __name__ == '__main__':
    # Create a list of values for which to calculate the gamma function
    values = [0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]

    # Create a pool of worker processes
    pool = multiprocessing.Pool(processes=4)

    # Map the gamma function calculation function to the values
    results = pool.map(calc_gamma, values)

    # Close the pool and wait for the worker processes to finish
    pool.close()
    pool.join()

    # Print the results
    for i in range(len(values)):
        print(f"Gamma({values[i]}) = {results[i]}")
