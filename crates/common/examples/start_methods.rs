//! What each start method costs: a `Process` started and joined, a `Pool(4)` made ready, and
//! an idle worker's memory, by "spawn" and by "forkserver", taking turns so that both see the
//! same machine.
//!
//! ```sh
//! cargo run --release -p common --example start_methods
//! ```

use std::time::{Duration, Instant};

use common::{Pool, Process, StartMethod, Task, task};

fn noop(_: ()) {}
const NOOP: Task<(), ()> = task!(noop);

/// Each method, with what its row says it does.
const METHODS: [(StartMethod, &str); 2] = [
    (StartMethod::Spawn, "spawn (start the program again)"),
    (
        StartMethod::ForkServer,
        "forkserver (fork a copy made at init)",
    ),
];
const ROUNDS: usize = 40;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// A duration as the book writes them: three significant digits and a unit.
fn human(d: Duration) -> String {
    let s = d.as_secs_f64();
    let (value, unit) = if s >= 1e-3 {
        (s * 1e3, "ms")
    } else {
        (s * 1e6, "µs")
    };
    match value {
        v if v >= 100.0 => format!("{v:.0} {unit}"),
        v if v >= 10.0 => format!("{v:.1} {unit}"),
        v => format!("{v:.2} {unit}"),
    }
}

/// A field of `/proc/PID/status`, in MB.
fn status_mb(pid: u32, field: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with(field))?.to_owned();
            let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!("{:.1} MB", kib * 1024.0 / 1e6))
        })
        .unwrap_or_else(|| "—".into())
}

fn main() -> common::Result<()> {
    common::init(&[&NOOP]);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "Machine: {} cores, load average {}; the fork server is process {}; default start method: {}.",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        load.split_whitespace().next().unwrap_or("?"),
        common::fork_server_pid().map_or("none".into(), |p| p.to_string()),
        common::default_start_method()
    );
    let mut process = [Vec::new(), Vec::new()];
    let mut pool = [Vec::new(), Vec::new()];
    for _ in 0..ROUNDS {
        for (i, (method, _)) in METHODS.into_iter().enumerate() {
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
    println!(
        "{ROUNDS} rounds, the two methods taking turns; medians, and one idle worker's memory:\n"
    );
    println!(
        "{:<40} {:>22} {:>15} {:>13} {:>15}",
        "start method", "Process start + join", "Pool(4) ready", "worker VmRSS", "of it private"
    );
    let [process, pool] = [process, pool].map(|times| times.map(median));
    for (i, (method, label)) in METHODS.into_iter().enumerate() {
        let idle = Pool::builder().workers(1).start_method(method).build()?;
        idle.apply(&NOOP, ())?;
        std::thread::sleep(Duration::from_millis(100));
        let pid = idle.pids()[0];
        println!(
            "{label:<40} {:>22} {:>15} {:>13} {:>15}",
            human(process[i]),
            human(pool[i]),
            status_mb(pid, "VmRSS:"),
            status_mb(pid, "RssAnon:")
        );
    }
    println!(
        "\nReading: forked from the fork server, a Process took {:.2}× the time of one started \
         again, and a Pool(4) was ready in {:.2}× the time.",
        process[1].as_secs_f64() / process[0].as_secs_f64(),
        pool[1].as_secs_f64() / pool[0].as_secs_f64()
    );
    Ok(())
}
