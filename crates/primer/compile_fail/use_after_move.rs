use std::thread;

fn main() {
    let numbers = vec![1, 2, 3];
    let handle = thread::spawn(move || numbers.iter().sum::<u64>());
    println!("{numbers:?}"); // `numbers` went to the thread
    println!("{}", handle.join().unwrap());
}
