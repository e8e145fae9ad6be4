use std::thread;

fn main() {
    let numbers = vec![1, 2, 3];
    // No `move`: the closure borrows `numbers`, but the thread may outlive `main`.
    let handle = thread::spawn(|| numbers.iter().sum::<u64>());
    println!("{}", handle.join().unwrap());
}
