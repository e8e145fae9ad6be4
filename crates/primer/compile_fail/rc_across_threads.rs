use std::rc::Rc;
use std::thread;

fn main() {
    let numbers = Rc::new(vec![1, 2, 3]);
    let for_thread = Rc::clone(&numbers);
    // `Rc` counts its owners without atomics: two threads could corrupt the count.
    let handle = thread::spawn(move || for_thread.iter().sum::<u64>());
    println!("{}", handle.join().unwrap());
}
