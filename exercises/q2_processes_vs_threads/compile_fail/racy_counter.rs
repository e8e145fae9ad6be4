use std::thread;

fn main() {
    let mut counter = 0u64;
    // Four threads add 1 to the same integer, 100,000 times each, as Python's threads do.
    thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..100_000 {
                    counter += 1;
                }
            });
        }
    });
    println!("{counter}");
}
