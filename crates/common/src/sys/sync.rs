//! Waiting across processes: futexes on shared memory, and the C library's robust,
//! process-shared mutex.

use std::cell::UnsafeCell;
use std::io;
use std::mem::MaybeUninit;
use std::sync::atomic::AtomicU32;
use std::time::{Duration, Instant};

/// Waits while `word` holds `expected`, for at most `timeout`: until a [`futex_wake`] on the
/// same word (in any process that maps it), a signal, or the time is up. It may also return
/// early for no reason; callers look at the word again. Not `FUTEX_PRIVATE`: the word lives in
/// memory shared with other processes.
pub(crate) fn futex_wait(word: &AtomicU32, expected: u32, timeout: Duration) {
    let ts = libc::timespec {
        tv_sec: timeout.as_secs().min(i32::MAX as u64) as libc::time_t,
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    // SAFETY: `word` is a valid, aligned u32 for the call; `ts` is a valid relative timeout.
    // The kernel only reads them. Any error (the word had changed, a timeout, a signal) means
    // "look again", which is what the caller does.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            expected,
            &ts as *const libc::timespec,
        );
    }
}

/// Wakes every process and thread waiting in [`futex_wait`] on `word`.
pub(crate) fn futex_wake(word: &AtomicU32) {
    // SAFETY: `word` is a valid, aligned u32; FUTEX_WAKE only reads the address.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, i32::MAX);
    }
}

/// A `pthread_mutex_t` made robust and process-shared, to live in shared memory.
///
/// Robust: when the thread that holds it dies (its process is killed, exits, or the thread
/// ends), the kernel releases it, and the next locker is told so (`EOWNERDEAD`). It relies on
/// the C library's per-thread robust list, which the kernel walks when a thread ends.
#[repr(transparent)]
pub(crate) struct RobustMutex(UnsafeCell<libc::pthread_mutex_t>);

// SAFETY: a process-shared pthread mutex is made to be used by many threads (and processes) at
// once; every access goes through the pthread functions.
unsafe impl Sync for RobustMutex {}

/// How a lock was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Locked {
    /// Taken; the previous holder released it.
    Fine,
    /// Taken, but the previous holder died holding it (and it was made usable again).
    OwnerDied,
    /// Not taken: the time ran out.
    TimedOut,
}

impl RobustMutex {
    /// Initialises the mutex in place.
    ///
    /// # Safety
    /// `this` points at writable memory for a `RobustMutex` (suitably aligned) that no thread or
    /// process uses yet, and that is not initialised already.
    pub(crate) unsafe fn init(this: *mut RobustMutex) -> io::Result<()> {
        let mut attr = MaybeUninit::<libc::pthread_mutexattr_t>::uninit();
        // SAFETY: `attr` is initialised by pthread_mutexattr_init before any other use; the
        // mutex memory is the caller's promise; the attribute values are valid constants.
        unsafe {
            check(libc::pthread_mutexattr_init(attr.as_mut_ptr()))?;
            let attr = attr.as_mut_ptr();
            let set = (|| {
                check(libc::pthread_mutexattr_setpshared(
                    attr,
                    libc::PTHREAD_PROCESS_SHARED,
                ))?;
                check(libc::pthread_mutexattr_setrobust(
                    attr,
                    libc::PTHREAD_MUTEX_ROBUST,
                ))?;
                // Error-checking: a thread that locks twice gets EDEADLK, not a deadlock.
                check(libc::pthread_mutexattr_settype(
                    attr,
                    libc::PTHREAD_MUTEX_ERRORCHECK,
                ))?;
                check(libc::pthread_mutex_init((*this).0.get(), attr))
            })();
            libc::pthread_mutexattr_destroy(attr);
            set
        }
    }

    /// Takes the lock, waiting at most until `deadline` (`None`: for as long as it takes).
    ///
    /// # Panics
    /// If this thread holds it already.
    pub(crate) fn lock(&self, deadline: Option<Instant>) -> io::Result<Locked> {
        let ret = match deadline {
            // SAFETY: the mutex was initialised by `init` (the owner of the memory checked).
            None => unsafe { libc::pthread_mutex_lock(self.0.get()) },
            Some(deadline) => self.lock_until(deadline),
        };
        match ret {
            0 => Ok(Locked::Fine),
            libc::EOWNERDEAD => {
                // The holder died: whatever it protected may be half-changed, which the caller
                // learns from `OwnerDied`. Marking it consistent keeps the lock usable.
                // SAFETY: we hold the mutex (EOWNERDEAD means it is ours now).
                check(unsafe { libc::pthread_mutex_consistent(self.0.get()) })?;
                Ok(Locked::OwnerDied)
            }
            libc::ETIMEDOUT => Ok(Locked::TimedOut),
            libc::EDEADLK => panic!("this thread already holds the lock"),
            e => Err(io::Error::from_raw_os_error(e)),
        }
    }

    /// `pthread_mutex_timedlock` takes a deadline on the wall clock, which may jump; so wait in
    /// short steps, each with a wall-clock deadline a moment ahead, against a monotonic one.
    fn lock_until(&self, deadline: Instant) -> libc::c_int {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let step = left.min(Duration::from_millis(100));
            let mut now = MaybeUninit::<libc::timespec>::uninit();
            // SAFETY: `now` is valid for writes; CLOCK_REALTIME always exists.
            let now = unsafe {
                libc::clock_gettime(libc::CLOCK_REALTIME, now.as_mut_ptr());
                now.assume_init()
            };
            let nanos = now.tv_nsec as u64 + step.subsec_nanos() as u64;
            let until = libc::timespec {
                tv_sec: now.tv_sec
                    + step.as_secs() as libc::time_t
                    + (nanos / 1_000_000_000) as libc::time_t,
                tv_nsec: (nanos % 1_000_000_000) as libc::c_long,
            };
            // SAFETY: the mutex is initialised; `until` is a valid absolute time.
            let ret = unsafe { libc::pthread_mutex_timedlock(self.0.get(), &until) };
            if ret != libc::ETIMEDOUT || Instant::now() >= deadline {
                return ret;
            }
        }
    }

    /// Releases the lock.
    ///
    /// # Safety
    /// The calling thread holds it (took it with [`lock`](Self::lock)).
    pub(crate) unsafe fn unlock(&self) {
        // SAFETY: the caller holds the lock.
        unsafe { libc::pthread_mutex_unlock(self.0.get()) };
    }
}

fn check(ret: libc::c_int) -> io::Result<()> {
    match ret {
        0 => Ok(()),
        e => Err(io::Error::from_raw_os_error(e)),
    }
}
