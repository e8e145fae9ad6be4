use std::sync::Arc;
use std::thread;

fn main() {
    let counter = Arc::new(0);
    let for_thread = Arc::clone(&counter);
    // An `Arc` hands out shared references only: nobody may change what it holds.
    let handle = thread::spawn(move || *for_thread += 1);
    handle.join().unwrap();
    println!("{counter}");
}
