//! The built-in server: the [`fileserver`] crate (an HTTP server on `127.0.0.1` with routes
//! that misbehave on purpose), and the three files it serves when `download` is given no URL.

pub use fileserver::*;

/// The three files the `download` command serves when given no URL.
pub const SAMPLE_FILES: [(&str, &str); 3] = [
    (
        "data1.txt",
        "A process is a running program with its own memory.\n\
         Two processes share nothing unless they arrange to:\n\
         a pipe, a socket, a file, a mapped page.\n",
    ),
    (
        "data2.txt",
        "A thread runs inside a process and shares all of its memory.\n\
         In Rust, threads run in parallel; the compiler checks what they share.\n",
    ),
    (
        "data3.txt",
        "Downloading is waiting: for a name, a connection, the first byte.\n\
         Waiting in parallel is what makes three downloads take the time of one.\n",
    ),
];
