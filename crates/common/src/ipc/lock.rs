//! [`Lock`]: a lock shared by processes, which survives the death of its holder; and the guard
//! that [`Value`](crate::Value) and [`Array`](crate::Array) share with it.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, LockResult, PoisonError, TryLockError, TryLockResult};
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::region::{Kind, Layout, Region};
use crate::descriptor::{deserialize_fd, serialize_fd};
use crate::sys::{self, Locked};

/// A lock shared by processes: Python's `multiprocessing.Lock`, made safe against the death
/// of the process that holds it.
///
/// It lives in a page of shared memory, and reaches a worker as a task argument (a clone is
/// the same lock). It is a robust, process-shared `pthread_mutex_t`: when the thread that holds
/// it dies (its process killed, aborted, exited), the kernel releases it and wakes the next
/// waiter. That waiter gets the lock, inside an `Err` ([`PoisonError`]), as with a
/// `std::sync::Mutex` whose holder panicked: what the lock protected may be half-changed. The
/// lock stays poisoned, every later `lock` saying so, until [`clear_poison`](Self::clear_poison).
/// A holder that panics poisons it too. Python's `Lock` stays locked forever when its holder
/// dies, and every process that waits for it hangs.
///
/// ```
/// use std::time::Duration;
/// use common::{Lock, Process, Task, task};
///
/// /// In the child: takes the lock, and dies holding it.
/// fn die_holding(lock: Lock) {
///     let _held = lock.lock().unwrap();
///     std::process::exit(3);
/// }
/// const DIE_HOLDING: Task<Lock, ()> = task!(die_holding);
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     common::init(&[&DIE_HOLDING]);
///     let lock = Lock::new()?;
///     let child = Process::start(&DIE_HOLDING, lock.clone())?;
///     assert!(child.join().is_err()); // exit code 3
///     // The lock is free again, and says its last holder died with it.
///     let taken = lock.lock_timeout(Duration::from_secs(5));
///     assert!(matches!(taken, Err(std::sync::TryLockError::Poisoned(_))));
///     drop(taken); // the guard is inside the error: dropping it unlocks
///     lock.clear_poison();
///     assert!(lock.lock().is_ok());
///     Ok(())
/// }
/// ```
///
/// A thread that takes a lock it already holds panics, rather than waiting for itself forever.
/// The guard cannot leave its thread (the holder is a thread, not a process).
#[derive(Clone)]
pub struct Lock {
    region: Arc<Region>,
}

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock")
            .field("poisoned", &self.is_poisoned())
            .finish_non_exhaustive()
    }
}

impl Lock {
    /// A new, unlocked lock in a page of shared memory of its own.
    pub fn new() -> std::io::Result<Lock> {
        let region = Region::create(c"common-lock", Layout::of::<()>(Kind::Lock), 0)?;
        Ok(Lock {
            region: Arc::new(region),
        })
    }

    /// Waits for the lock and takes it. `Err` (with the guard inside) if it is poisoned: a
    /// holder died or panicked holding it.
    pub fn lock(&self) -> LockResult<LockGuard<'_>> {
        guarded(&self.region, None, no_data()).map_err(|e| match e {
            TryLockError::Poisoned(p) => p,
            TryLockError::WouldBlock => unreachable!("a wait without a deadline ends locked"),
        })
    }

    /// Takes the lock if it is free within `timeout` (Python's `acquire(timeout=…)`);
    /// `Err(WouldBlock)` if it is not.
    pub fn lock_timeout(&self, timeout: Duration) -> TryLockResult<LockGuard<'_>> {
        guarded(&self.region, sys::deadline(timeout), no_data())
    }

    /// Takes the lock if it is free now.
    pub fn try_lock(&self) -> TryLockResult<LockGuard<'_>> {
        self.lock_timeout(Duration::ZERO)
    }

    /// Whether a holder died or panicked holding the lock (since the last
    /// [`clear_poison`](Self::clear_poison)).
    pub fn is_poisoned(&self) -> bool {
        self.region.is_poisoned()
    }

    /// Declares what the lock protects consistent again.
    pub fn clear_poison(&self) {
        self.region.set_poisoned(false);
    }
}

/// A bare lock's data: nothing, at a well-aligned address.
fn no_data() -> *mut () {
    std::ptr::NonNull::dangling().as_ptr()
}

/// Held while a [`Lock`] (or a [`Value`](crate::Value), an [`Array`](crate::Array)) is
/// locked; the lock is released when it is dropped. Reaches the protected data, if any.
pub struct SharedGuard<'a, T: ?Sized> {
    region: &'a Region,
    data: *mut T,
    /// The holder is this thread: the guard must not move to another.
    _not_send: PhantomData<*mut ()>,
}

/// The guard of a [`Lock`], which protects no data of its own.
pub type LockGuard<'a> = SharedGuard<'a, ()>;

// SAFETY: sharing a `&Guard` only gives `&T`, as sharing `&T` does.
unsafe impl<T: ?Sized + Sync> Sync for SharedGuard<'_, T> {}

impl<T: ?Sized + fmt::Debug> fmt::Debug for SharedGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Takes `region`'s lock (until `deadline`), and gives access to `data` while held.
pub(crate) fn guarded<T: ?Sized>(
    region: &Region,
    deadline: Option<std::time::Instant>,
    data: *mut T,
) -> TryLockResult<SharedGuard<'_, T>> {
    let locked = match region.lock(deadline) {
        Ok(locked) => locked,
        // Only a corrupt mutex fails this way; nothing sensible can be done with it.
        Err(e) => panic!("the shared lock is broken: {e}"),
    };
    if locked == Locked::TimedOut {
        return Err(TryLockError::WouldBlock);
    }
    let guard = SharedGuard {
        region,
        data,
        _not_send: PhantomData,
    };
    if region.is_poisoned() {
        return Err(TryLockError::Poisoned(PoisonError::new(guard)));
    }
    Ok(guard)
}

impl<T: ?Sized> Deref for SharedGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: `data` points into the region (alive for 'a), initialised, and this thread
        // holds the region's lock, which every access to the data takes: nobody writes it now.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for SharedGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for `deref`; the lock makes this access exclusive, and `&mut self` makes
        // it the only one through this guard.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized> Drop for SharedGuard<'_, T> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.region.set_poisoned(true);
        }
        // SAFETY: this thread took the lock when it made the guard, and still holds it.
        unsafe { self.region.unlock() }
    }
}

impl Serialize for Lock {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_fd(self.region.fd(), s)
    }
}

impl<'de> Deserialize<'de> for Lock {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let fd = deserialize_fd(d)?;
        let (region, _) =
            Region::open(fd, Layout::of::<()>(Kind::Lock)).map_err(serde::de::Error::custom)?;
        Ok(Lock {
            region: Arc::new(region),
        })
    }
}
