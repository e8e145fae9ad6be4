//! What each start method costs: a `Process` started and joined, and a `Pool(4)` made ready,
//! by "spawn" and by "forkserver", taking turns so both see the same machine.
//!
//! ```sh
//! cargo run --release -p common --example start_methods
//! ```

use std::time::{Duration, Instant};

use common::{Pool, Process, StartMethod, Task, task};

fn noop(_: ()) {}
const NOOP: Task<(), ()> = task!(noop);

const METHODS: [StartMethod; 2] = [StartMethod::Spawn, StartMethod::ForkServer];

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() -> common::Result<()> {
    common::init(&[&NOOP]);
    println!(
        "fork server: {:?}; default start method: {}",
        common::fork_server_pid(),
        common::default_start_method()
    );
    let rounds = 40;
    let mut process = [Vec::new(), Vec::new()];
    let mut pool = [Vec::new(), Vec::new()];
    for _ in 0..rounds {
        for (i, method) in METHODS.into_iter().enumerate() {
            let start = Instant::now();
            Process::new(&NOOP, ())
                .start_method(method)
                .start()?
                .join()?;
            process[i].push(start.elapsed());
            let start = Instant::now();
            let ready = Pool::builder().workers(4).start_method(method).build()?;
            pool[i].push(start.elapsed());
            drop(ready);
        }
    }
    let [spawn, fork] = process.map(median);
    println!("Process start + join: spawn {spawn:?}, forkserver {fork:?}");
    let [spawn, fork] = pool.map(median);
    println!("Pool(4) ready: spawn {spawn:?}, forkserver {fork:?}");
    Ok(())
}
