# The reference program for question 6, from the first answer sheet,
# exactly as given: it needs no network, so nothing had to be adapted.
# The side-by-side runner (benches/src/runner/programs.rs) runs it against `cargo run -p q6_four_processes` and compares the output.

import multiprocessing
import random

def generate_random_number(num):
    """
    This function generates random numbers between 1 to 100
    """
    random_number = random.randint(1, 100)
    print(f"Process number {num}, random number generated : {random_number}")

if __name__ == '__main__':
    # Creating a processess list
    processes = []
    for i in range(4):
        p = multiprocessing.Process(target=generate_random_number, args=(i,))
        processes.append(p)
        p.start()
    
    # Waiting for processess to complete
    for p in processes:
        p.join()
