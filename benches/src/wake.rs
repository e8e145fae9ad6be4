//! Wake-ups: what a round trip between two threads or processes costs when the other side is
//! asleep, and where the scheduler puts it.
//!
//! A blocking round trip (a channel between threads, 8 bytes over a pipe to a child) is two
//! wake-ups: the other side sleeps in the kernel until the message comes, then this side sleeps
//! until the answer comes. On an idle core of a virtual machine a wake-up is slow (the core has
//! halted and the hypervisor must interrupt it awake: tens to hundreds of microseconds); on
//! the core that sent the message it is a plain switch between two threads (a few
//! microseconds). Which of the two a round trip gets is the scheduler's choice, made anew all
//! the time, and it depends on what else the machine is running. That is why such rows swing
//! between runs. This module measures the floors, so the runner can print them in the same run:
//!
//! - [`Pin`]: runs this thread on one core, and back as it was afterwards;
//! - [`WakePair`]: the bare wake-up, with nothing else: one thread unparks another (a futex
//!   wake) and parks until it is unparked back;
//! - [`SpinPair`]: the same handshake with both threads awake, spinning: no wake-up at all.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::{self, JoinHandle, Thread};

/// Two cores this process may run on, if it may run on two: `(first, second)`.
pub fn two_cores() -> Option<(usize, usize)> {
    let allowed = allowed_cpus(0).ok()?;
    let mut cpus = allowed.into_iter();
    Some((cpus.next()?, cpus.next()?))
}

/// The cores thread or process `tid` (0: this thread) may run on.
fn allowed_cpus(tid: libc::pid_t) -> io::Result<Vec<usize>> {
    // SAFETY: cpu_set_t is a plain bit array; all zeros is a valid (empty) set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: the pointer and size describe `set`, which lives across the call.
    let rc = unsafe { libc::sched_getaffinity(tid, std::mem::size_of_val(&set), &mut set) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((0..libc::CPU_SETSIZE as usize)
        // SAFETY: `cpu` is below CPU_SETSIZE, the size of the set.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect())
}

fn set_cpus(tid: libc::pid_t, cpus: &[usize]) -> io::Result<()> {
    // SAFETY: as in `allowed_cpus`.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &cpu in cpus {
        // SAFETY: CPU_SET ignores numbers past the set's size; the set is ours.
        unsafe { libc::CPU_SET(cpu, &mut set) };
    }
    // SAFETY: the pointer and size describe `set`.
    let rc = unsafe { libc::sched_setaffinity(tid, std::mem::size_of_val(&set), &set) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Runs process `pid` (a child with one thread) on `cpu` only.
pub fn pin_process(pid: u32, cpu: usize) -> io::Result<()> {
    set_cpus(pid as libc::pid_t, &[cpu])
}

/// While alive, this thread runs on one core only; on drop it may run where it could before.
#[derive(Debug)]
pub struct Pin {
    before: Vec<usize>,
}

impl Pin {
    pub fn to(cpu: usize) -> io::Result<Pin> {
        let before = allowed_cpus(0)?;
        set_cpus(0, &[cpu])?;
        Ok(Pin { before })
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        let _ = set_cpus(0, &self.before);
    }
}

/// A thread that waits to be woken, and wakes its caller back: [`WakePair::round_trip`] is
/// two futex wake-ups (`thread::park` and `unpark`) and nothing else.
#[derive(Debug)]
pub struct WakePair {
    shared: Arc<Shared>,
    other: Option<JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    /// Round trips asked for; the other thread answers by setting `done` to the same number.
    asked: AtomicU64,
    done: AtomicU64,
    stop: AtomicBool,
    /// The thread that calls `round_trip` (one thread, set on the first call).
    caller: OnceLock<Thread>,
}

impl WakePair {
    /// The other thread runs on `cpu` if given.
    pub fn new(cpu: Option<usize>) -> WakePair {
        let shared = Arc::new(Shared {
            asked: AtomicU64::new(0),
            done: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            caller: OnceLock::new(),
        });
        let theirs = Arc::clone(&shared);
        let other = thread::spawn(move || {
            let _pin = cpu.and_then(|c| Pin::to(c).ok());
            let mut seen = 0;
            loop {
                let asked = theirs.asked.load(Ordering::Acquire);
                if theirs.stop.load(Ordering::Acquire) {
                    return;
                }
                if asked == seen {
                    thread::park(); // may return spuriously: the loop checks again
                    continue;
                }
                seen = asked;
                theirs.done.store(seen, Ordering::Release);
                if let Some(caller) = theirs.caller.get() {
                    caller.unpark();
                }
            }
        });
        WakePair {
            shared,
            other: Some(other),
        }
    }

    /// Wakes the other thread and sleeps until it wakes this one back.
    pub fn round_trip(&self) {
        self.shared.caller.get_or_init(thread::current);
        let n = self.shared.asked.fetch_add(1, Ordering::AcqRel) + 1;
        self.other
            .as_ref()
            .expect("set until drop")
            .thread()
            .unpark();
        while self.shared.done.load(Ordering::Acquire) < n {
            thread::park();
        }
    }
}

impl Drop for WakePair {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(other) = self.other.take() {
            other.thread().unpark();
            let _ = other.join();
        }
    }
}

/// Two threads on two cores passing a number back and forth through one atomic word, both
/// spinning: what a round trip costs when nobody sleeps (the cache line crossing twice).
#[derive(Debug)]
pub struct SpinPair {
    word: Arc<AtomicU64>,
    other: Option<JoinHandle<()>>,
}

/// Tells the spinning thread to end.
const STOP: u64 = u64::MAX;

impl SpinPair {
    /// The other thread spins on `cpu`; the caller must run on another core (see [`Pin`]), or
    /// the two would take turns on one core, a time slice each.
    pub fn new(cpu: usize) -> SpinPair {
        let word = Arc::new(AtomicU64::new(0));
        let theirs = Arc::clone(&word);
        let other = thread::spawn(move || {
            let _pin = Pin::to(cpu).ok();
            loop {
                let v = theirs.load(Ordering::Acquire);
                if v == STOP {
                    return;
                }
                if v % 2 == 1 {
                    theirs.store(v + 1, Ordering::Release);
                } else {
                    std::hint::spin_loop();
                }
            }
        });
        SpinPair {
            word,
            other: Some(other),
        }
    }

    /// Hands the word over (odd) and spins until it comes back (even).
    pub fn round_trip(&self) {
        let v = self.word.load(Ordering::Acquire) + 1;
        self.word.store(v, Ordering::Release);
        while self.word.load(Ordering::Acquire) != v + 1 {
            std::hint::spin_loop();
        }
    }
}

impl Drop for SpinPair {
    fn drop(&mut self) {
        self.word.store(STOP, Ordering::Release);
        if let Some(other) = self.other.take() {
            let _ = other.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wake_and_spin_pairs_answer_every_round_trip() {
        let pair = WakePair::new(None);
        for _ in 0..1000 {
            pair.round_trip();
        }
        assert_eq!(pair.shared.done.load(Ordering::Acquire), 1000);
        drop(pair);
        if let Some((a, b)) = two_cores() {
            let _pin = Pin::to(a).unwrap();
            let spin = SpinPair::new(b);
            for _ in 0..1000 {
                spin.round_trip();
            }
            assert_eq!(spin.word.load(Ordering::Acquire), 2000);
        }
    }

    #[test]
    fn a_pin_is_undone_on_drop() {
        let before = allowed_cpus(0).unwrap();
        {
            let _pin = Pin::to(before[0]).unwrap();
            assert_eq!(allowed_cpus(0).unwrap(), [before[0]]);
        }
        assert_eq!(allowed_cpus(0).unwrap(), before);
    }
}
