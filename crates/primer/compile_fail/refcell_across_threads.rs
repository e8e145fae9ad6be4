use std::cell::RefCell;
use std::thread;

fn main() {
    let total = RefCell::new(0);
    // Scoped threads may borrow `total`, but only if it is safe to share: `RefCell` is not.
    thread::scope(|s| {
        s.spawn(|| *total.borrow_mut() += 1);
        s.spawn(|| *total.borrow_mut() += 1);
    });
    println!("{}", total.into_inner());
}
