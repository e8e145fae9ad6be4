//! A panic that `join` reports, then one that `let _ =` hides.

fn main() {
    println!("join returned: {:?}", primer::panics::join_after_panic());
    let files = ["notes.txt", "my notes.txt", "todo.txt"];
    let saved = primer::panics::save_all(&files);
    println!("saved {saved} of {} files, and main goes on", files.len());
}
