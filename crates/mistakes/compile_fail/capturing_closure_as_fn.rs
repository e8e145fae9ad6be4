fn main() {
    let offset = 10;
    // `common::Task::new` takes a plain `fn(A) -> R`, the type of this variable.
    let add_offset: fn(u64) -> u64 = move |x| x + offset;
    println!("{}", add_offset(1));
}
