//! The Rust column: runs the workloads in [`crate::work`] and [`crate::io`] and records each
//! by key (the keys `benches/python/side_by_side.py` uses for the same workload).

use std::process::Command;
use std::thread;
use std::time::Duration;

use common::{Pool, StartMethod, ThreadPool};

use super::cli::Cli;
use super::results::{Measured, Results};
use super::{DOWNLOADS, SIDE_COARSE_STEPS, SIDE_PAYLOADS};
use crate::child::{self, Echo};
use crate::io::{self, Site};
use crate::measure::{Budget, measure, measure_interleaved, time_n};
use crate::tasks::{ECHO, SQUARE, XORSHIFT};
use crate::wake::{self, Pin, SpinPair, WakePair};
use crate::work::{self, COARSE_STEPS, COARSE_TASKS, GAMMA_VALUES, POOL_WORKERS, START_METHODS};

pub(super) type BoxError = Box<dyn std::error::Error>;

/// Times `f` called `k` times, each on its own copy of `items`, made before the clock starts.
fn time_owned<T: Clone, R>(k: u64, items: &[T], mut f: impl FnMut(Vec<T>) -> R) -> Duration {
    let mut copies = (0..k)
        .map(|_| items.to_vec())
        .collect::<Vec<_>>()
        .into_iter();
    time_n(k, || f(copies.next().expect("one copy per call")))
}

/// `ThreadPool::map` of `square` on a fresh owned copy of `items` per call.
fn owned_map<'t>(
    threads: &'t ThreadPool,
    items: &'t [u64],
) -> Box<dyn FnMut(u64) -> Duration + 't> {
    Box::new(move |k| {
        time_owned(k, items, |v| {
            threads.map(&SQUARE, v).expect("the task does not panic")
        })
    })
}

/// 8 bytes to the echo child and back.
fn echo_8_bytes(echo: &mut Echo) {
    let mut reply = [0u8; 8];
    echo.round_trip(&7u64.to_le_bytes(), &mut reply)
        .expect("echo");
}

/// Measures every Rust workload `--only` lets through, on `cores` cores, downloading from
/// `sites` (a local server per latency in ms).
pub(super) fn run_all(
    cli: &Cli,
    budget: Budget,
    sites: &[(u64, Site)],
    cores: usize,
) -> Result<Results, BoxError> {
    let mut rust = Rust {
        cli,
        budget,
        cores,
        results: Results::new(),
        sites,
    };
    support::errln!("running Rust…");
    rust.spawn();
    rust.pool_startup();
    rust.round_trip()?;
    rust.map_throughput()?;
    rust.cpu_bound()?;
    rust.io_bound()?;
    rust.payload()?;
    rust.memory()?;
    Ok(rust.results)
}

/// A workload for `measure` (it runs the workload `n` times and says how long that took),
/// with its key.
type Keyed<'a> = (String, Box<dyn FnMut(u64) -> Duration + 'a>);

#[derive(Debug)]
struct Rust<'a> {
    cli: &'a Cli,
    budget: Budget,
    cores: usize,
    results: Results,
    /// A local server per latency: (latency in ms, site).
    sites: &'a [(u64, Site)],
}

impl Rust<'_> {
    fn wants(&self, key: &str) -> bool {
        self.cli.wants(key)
    }

    /// Measures `run` (which runs the workload `n` times and returns how long that took).
    fn time(&mut self, key: &str, run: impl FnMut(u64) -> Duration) {
        if self.wants(key) {
            support::errln!("  {key}");
            let stats = measure(self.budget, run);
            self.results.insert(key.to_owned(), Measured::Time(stats));
        }
    }

    /// Measures several workloads taking turns (see `measure_interleaved`): for the ones
    /// whose ratio is a target.
    fn time_together(&mut self, runs: Vec<Keyed<'_>>) {
        let (keys, mut runs): (Vec<String>, Vec<_>) =
            runs.into_iter().filter(|(key, _)| self.wants(key)).unzip();
        if keys.is_empty() {
            return;
        }
        support::errln!("  {} (taking turns)", keys.join(", "));
        let mut refs: Vec<&mut dyn FnMut(u64) -> Duration> =
            runs.iter_mut().map(|r| &mut **r as _).collect();
        let stats = measure_interleaved(self.budget, &mut refs);
        for (key, stats) in keys.into_iter().zip(stats) {
            self.results.insert(key, Measured::Time(stats));
        }
    }

    fn spawn(&mut self) {
        let mut runs: Vec<Keyed<'_>> = vec![(
            "spawn.thread".into(),
            Box::new(|n| time_n(n, work::thread_start_join)),
        )];
        // Both start methods, taking turns: their ratio chose the default.
        for method in START_METHODS {
            runs.push((
                format!("spawn.process[{method}]"),
                Box::new(move |n| {
                    time_n(n, || {
                        work::process_start_join(method).expect("a process starts")
                    })
                }),
            ));
        }
        let floors: [Keyed<'_>; 3] = [
            (
                "spawn.fork".into(),
                Box::new(|n| time_n(n, || work::bare_fork().expect("this process forks"))),
            ),
            (
                "spawn.reexec".into(),
                Box::new(|n| time_n(n, || child::reexec().expect("this binary starts"))),
            ),
            (
                "spawn.true".into(),
                Box::new(|n| time_n(n, || child::spawn_true().expect("/bin/true runs"))),
            ),
        ];
        runs.extend(floors);
        self.time_together(runs);
    }

    fn pool_startup(&mut self) {
        for workers in [1, 2, 4] {
            // Both methods taking turns for the pool of the assignment; the default alone else.
            let methods: &[StartMethod] = if workers == POOL_WORKERS {
                &START_METHODS
            } else {
                &START_METHODS[..1]
            };
            let runs: Vec<Keyed<'_>> = methods
                .iter()
                .map(|&method| -> Keyed<'_> {
                    (
                        format!("pool.ready.{workers}[{method}]"),
                        Box::new(move |n| {
                            let mut total = Duration::ZERO;
                            for _ in 0..n {
                                let (ready, pool) =
                                    work::pool_ready(workers, method).expect("workers start");
                                total += ready;
                                drop(pool); // not timed, as in Python
                            }
                            total
                        }),
                    )
                })
                .collect();
            self.time_together(runs);
        }
    }

    fn round_trip(&mut self) -> Result<(), BoxError> {
        for workers in [1, POOL_WORKERS] {
            let key = format!("roundtrip.apply.{workers}");
            if self.wants(&key) {
                let pool = Pool::new(workers)?;
                pool.apply(&SQUARE, 1)?;
                self.time(&key, |n| {
                    time_n(n, || {
                        pool.apply(&SQUARE, std::hint::black_box(7))
                            .expect("answer");
                    })
                });
            }
        }
        if self.wants("roundtrip.channel") {
            let echo = work::ThreadEcho::new();
            self.time("roundtrip.channel", |n| {
                time_n(n, || {
                    echo.round_trip(7);
                })
            });
        }
        for (key, echo) in [
            ("roundtrip.pipe", Echo::pipe as fn() -> _),
            ("roundtrip.socket", Echo::socket),
        ] {
            if self.wants(key) {
                let mut echo = echo()?;
                self.time(key, |n| time_n(n, || echo_8_bytes(&mut echo)));
            }
        }
        self.placements()
    }

    /// The same round trips with both sides pinned to one core, then to two, and the bare
    /// wake-up and spinning floors beside them (see [`crate::wake`]): what explains the
    /// channel and pipe rows.
    fn placements(&mut self) -> Result<(), BoxError> {
        let Some((here, there)) = wake::two_cores() else {
            return Ok(()); // one core: nothing to compare
        };
        for (place, other) in [("one_core", here), ("two_cores", there)] {
            let key = format!("roundtrip.channel.{place}");
            if self.wants(&key) {
                let echo = work::ThreadEcho::on(Some(other));
                let _pin = Pin::to(here)?;
                self.time(&key, |n| time_n(n, || echo.round_trip(7)));
            }
            let key = format!("roundtrip.pipe.{place}");
            if self.wants(&key) {
                let mut echo = Echo::pipe()?;
                wake::pin_process(echo.pid(), other)?;
                let _pin = Pin::to(here)?;
                self.time(&key, |n| time_n(n, || echo_8_bytes(&mut echo)));
            }
            let key = format!("wake.futex.{place}");
            if self.wants(&key) {
                let pair = WakePair::new(Some(other));
                let _pin = Pin::to(here)?;
                self.time(&key, |n| time_n(n, || pair.round_trip()));
            }
        }
        if self.wants("wake.spin.two_cores") {
            let pair = SpinPair::new(there);
            let _pin = Pin::to(here)?;
            self.time("wake.spin.two_cores", |n| time_n(n, || pair.round_trip()));
        }
        Ok(())
    }

    fn map_throughput(&mut self) -> Result<(), BoxError> {
        let wanted = |this: &Self, what: &str| {
            work::MAP_SIZES
                .iter()
                .any(|n| this.wants(&format!("map.{n}.{what}")))
        };
        for n in work::MAP_SIZES {
            let items = work::squares_input(n);
            self.time(&format!("map.{n}.sequential"), |k| {
                time_n(k, || work::map_sequential(&SQUARE, &items))
            });
        }
        if wanted(self, "pool") {
            let pool = Pool::new(POOL_WORKERS)?;
            for n in work::MAP_SIZES {
                let items = work::squares_input(n);
                self.time(&format!("map.{n}.pool"), |k| {
                    time_n(k, || work::map_pool(&pool, &SQUARE, &items, None))
                });
            }
            let items = work::squares_input(10_000);
            self.time("map.10000.pool.chunks1", |k| {
                time_n(k, || work::map_pool(&pool, &SQUARE, &items, Some(1)))
            });
        }
        let items = work::squares_input(1_000_000);
        let cores = self.cores;
        self.time("map.1000000.threads", |k| {
            time_n(k, || work::map_scoped(&SQUARE, &items, cores))
        });
        // Taking turns: ThreadPool ÷ rayon on the same number of threads is a target.
        let rayon = work::rayon_pool(cores);
        let mut counts = vec![cores, POOL_WORKERS];
        counts.dedup();
        let pools = counts
            .into_iter()
            .map(|n| Ok((n, ThreadPool::new(n)?)))
            .collect::<Result<Vec<_>, BoxError>>()?;
        let (items, rayon) = (&items, &rayon);
        let (_, same) = &pools[0];
        // Both sides of the target take the input by value: an owned `Vec`, made before the
        // clock starts. Borrowed, rayon reads the slice in place while `ThreadPool::map` (like
        // `Pool::map`, it owns its items) copies it first: the `copied` row shows that cost.
        let owned = |threads| owned_map(threads, items);
        // The target's two on their own, so that neither runs right after a third pool whose
        // threads are still spinning down (rayon's idle threads look for work a little while
        // before they sleep, and on 2 cores that slows whoever runs next).
        self.time_together(vec![
            (
                "map.1000000.rayon_owned".into(),
                Box::new(move |k| {
                    time_owned(k, items, |v| work::map_rayon_owned(rayon, &SQUARE, v))
                }),
            ),
            (format!("map.1000000.thread_pool.{cores}"), owned(same)),
        ]);
        let mut runs: Vec<Keyed<'_>> = vec![(
            "map.1000000.rayon".into(),
            Box::new(move |k| time_n(k, || work::map_rayon(rayon, &SQUARE, items))),
        )];
        for (n, threads) in pools.iter().skip(1) {
            runs.push((format!("map.1000000.thread_pool.{n}"), owned(threads)));
        }
        runs.push((
            format!("map.1000000.thread_pool_copied.{cores}"),
            Box::new(move |k| time_n(k, || work::map_thread_pool(same, &SQUARE, items))),
        ));
        runs.push((
            format!("map.1000000.thread_pool_imap.{cores}"),
            Box::new(move |k| time_n(k, || work::imap_thread_pool(same, &SQUARE, items))),
        ));
        self.time_together(runs);
        Ok(())
    }

    fn cpu_bound(&mut self) -> Result<(), BoxError> {
        let cores = self.cores;
        let gamma = work::gamma_input(GAMMA_VALUES);
        for (name, steps) in [("coarse", SIDE_COARSE_STEPS), ("coarse_big", COARSE_STEPS)] {
            let keys = ["sequential".to_owned()].into_iter().chain(
                (1..=cores).flat_map(|w| ["threads", "rayon", "pool"].map(|a| format!("{a}.{w}"))),
            );
            if !keys
                .into_iter()
                .any(|k| self.wants(&format!("cpu.{name}.{k}")))
            {
                continue;
            }
            let tasks = work::coarse_input(COARSE_TASKS, steps);
            let expected = work::coarse_sequential(&tasks);
            let rayons: Vec<_> = (1..=cores).map(work::rayon_pool).collect();
            let mut pools = Vec::new();
            for workers in 1..=cores {
                let pool = Pool::new(workers)?;
                if work::map_pool(&pool, &XORSHIFT, &tasks, None) != expected {
                    return Err("the pool's xorshift results differ from sequential ones".into());
                }
                pools.push(pool);
            }
            // Taking turns: the speedups are ratios of these times.
            let tasks = &tasks;
            let mut runs: Vec<Keyed<'_>> = vec![(
                format!("cpu.{name}.sequential"),
                Box::new(move |k| time_n(k, || work::coarse_sequential(tasks))),
            )];
            for ((workers, rayon), pool) in (1..=cores).zip(&rayons).zip(&pools) {
                runs.push((
                    format!("cpu.{name}.threads.{workers}"),
                    Box::new(move |k| time_n(k, || work::map_scoped(&XORSHIFT, tasks, workers))),
                ));
                runs.push((
                    format!("cpu.{name}.rayon.{workers}"),
                    Box::new(move |k| time_n(k, || work::map_rayon(rayon, &XORSHIFT, tasks))),
                ));
                runs.push((
                    format!("cpu.{name}.pool.{workers}"),
                    Box::new(move |k| time_n(k, || work::map_pool(pool, &XORSHIFT, tasks, None))),
                ));
            }
            self.time_together(runs);
        }
        self.time("cpu.gamma.sequential", |k| {
            time_n(k, || work::map_sequential(&q5_pool::GAMMA, &gamma))
        });
        self.time("cpu.gamma.bare", |k| {
            time_n(k, || {
                gamma
                    .iter()
                    .map(|&x| q5_pool::gamma::gamma(x))
                    .collect::<Vec<_>>()
            })
        });
        for workers in 1..=cores {
            let key = format!("cpu.gamma.pool.{workers}");
            if self.wants(&key) {
                let pool = Pool::new(workers)?;
                self.time(&key, |k| {
                    time_n(k, || work::map_pool(&pool, &q5_pool::GAMMA, &gamma, None))
                });
            }
            let rayon = work::rayon_pool(workers);
            self.time(&format!("cpu.gamma.rayon.{workers}"), |k| {
                time_n(k, || work::map_rayon(&rayon, &q5_pool::GAMMA, &gamma))
            });
        }
        Ok(())
    }

    fn io_bound(&mut self) -> Result<(), BoxError> {
        let pool = if DOWNLOADS
            .iter()
            .any(|(n, ms)| self.wants(&format!("io.{n}x{ms}ms.pool")))
        {
            Some(Pool::new(POOL_WORKERS)?)
        } else {
            None
        };
        // What each process pays once before its first download.
        self.time("io.client", |k| {
            time_n(k, || {
                reqwest::blocking::Client::builder()
                    .no_proxy()
                    .build()
                    .expect("a client")
            })
        });
        for (count, ms) in DOWNLOADS {
            let site = self.sites.iter().find(|(l, _)| *l == ms).map(|(_, s)| s);
            let jobs = site.expect("a site per latency").jobs(count);
            let tag = format!("io.{count}x{ms}ms");
            if count == 3 && ms == 200 && self.wants("io.single.200ms") {
                support::errln!("  io.single.200ms");
                // The slowest of the three downloads, each on its own.
                let slowest = jobs
                    .iter()
                    .map(|job| {
                        measure(self.budget, |k| {
                            time_n(k, || io::sequential(std::slice::from_ref(job)))
                        })
                    })
                    .max_by_key(|s| s.median)
                    .expect("three jobs");
                self.results
                    .insert("io.single.200ms".into(), Measured::Time(slowest));
            }
            self.time(&format!("{tag}.sequential"), |k| {
                time_n(k, || io::sequential(&jobs))
            });
            self.time(&format!("{tag}.threads"), |k| {
                time_n(k, || io::threads(&jobs))
            });
            self.time(&format!("{tag}.processes"), |k| {
                time_n(k, || io::processes(&jobs))
            });
            if let Some(pool) = &pool {
                self.time(&format!("{tag}.pool"), |k| {
                    time_n(k, || io::pool(pool, &jobs))
                });
            }
        }
        Ok(())
    }

    fn payload(&mut self) -> Result<(), BoxError> {
        if !SIDE_PAYLOADS
            .iter()
            .any(|s| self.wants(&format!("payload.{s}")))
        {
            return Ok(());
        }
        let pool = Pool::new(1)?;
        for size in SIDE_PAYLOADS {
            let bytes = work::payload(size);
            // The floor: the two copies in fresh memory that any echo through a process makes.
            self.time(&format!("payload.{size}.fresh_copies"), |k| {
                time_n(k, || work::two_fresh_copies(&bytes))
            });
            if pool.apply(&ECHO, bytes.clone())? != bytes {
                return Err("the payload came back changed".into());
            }
            self.time(&format!("payload.{size}"), |k| {
                // `apply` takes the payload by value: make the copies before the clock starts.
                let mut copies = (0..k)
                    .map(|_| bytes.clone())
                    .collect::<Vec<_>>()
                    .into_iter();
                time_n(k, || {
                    let copy = copies.next().expect("one copy per call");
                    pool.apply(&ECHO, copy).expect("echo")
                })
            });
        }
        Ok(())
    }

    fn memory(&mut self) -> Result<(), BoxError> {
        if self.wants("rss.idle_worker") {
            support::errln!("  rss.idle_worker");
            for method in START_METHODS {
                // As in Python: a pool of one, one task run, a moment's rest, then /proc.
                let pool = Pool::builder().workers(1).start_method(method).build()?;
                pool.apply(&SQUARE, 7)?;
                thread::sleep(Duration::from_millis(100));
                let pid = pool.pids()[0];
                for (key, field) in [
                    (format!("rss.idle_worker[{method}]"), "VmRSS"),
                    (format!("rss.idle_worker.anon[{method}]"), "RssAnon"),
                ] {
                    let kib = work::status_kib(pid, field)?;
                    self.results.insert(key, Measured::Kib(kib));
                }
            }
            // The floor: any small dynamically linked program, idle.
            let mut sleep = Command::new("/bin/sleep").arg("2").spawn()?;
            thread::sleep(Duration::from_millis(100));
            let floor = work::status_kib(sleep.id(), "VmRSS");
            let _ = sleep.kill();
            let _ = sleep.wait();
            self.results
                .insert("rss.sleep".into(), Measured::Kib(floor?));
        }
        Ok(())
    }
}
