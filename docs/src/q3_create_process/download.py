"""Question 3 in Python (first answer sheet): one process per URL downloads it to fileN.txt."""

import multiprocessing
import sys
import urllib.request


def download_file(url, filename):
    """Runs in a child process: fetch `url`, write it to `filename`."""
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read()
    with open(filename, "wb") as f:
        f.write(body)
    print(f"Downloaded {url} to {filename}")


if __name__ == "__main__":
    urls = sys.argv[1:]
    processes = [
        multiprocessing.Process(target=download_file, args=(url, f"file{i}.txt"))
        for i, url in enumerate(urls, start=1)
    ]
    for p in processes:  # start every download ...
        p.start()
    for p in processes:  # ... then wait for each
        p.join()
    print("All downloads completed")
