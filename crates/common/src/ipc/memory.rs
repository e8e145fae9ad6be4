//! Shared memory of plain data: [`SharedAtomic`] (atomics, no lock), [`Value`] and [`Array`]
//! (plain data behind a [`Lock`](crate::Lock)-like robust lock): Python's `RawValue`,
//! `Value` and `Array`, and `shared_memory` for bytes.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::atomic;
use std::sync::{Arc, LockResult, PoisonError, TryLockError, TryLockResult};
use std::time::Duration;

use bytemuck::Pod;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::lock::{SharedGuard, guarded};
use super::region::{Kind, Layout, Region};
use crate::descriptor::{deserialize_fd, serialize_fd};
use crate::sys;

mod sealed {
    pub trait Sealed {}
}

/// An atomic type that works in memory shared by processes: lock-free and address-free, as
/// the standard library's integer atomics are on Linux (and arrays of them). Sealed.
///
/// # Safety
/// Every operation on a value of the type is a lock-free atomic instruction on its own bytes,
/// with no pointer inside and nothing kept outside its memory; all zero bytes are a valid value.
pub unsafe trait Atomic: Sync + sealed::Sealed {}

macro_rules! atomics {
    ($($t:ident),*) => {$(
        impl sealed::Sealed for atomic::$t {}
        // SAFETY: the integer atomics of std are lock-free on every Linux target that has
        // them (`target_has_atomic`), operate on their own bytes only, and zero is valid.
        unsafe impl Atomic for atomic::$t {}
    )*};
}
atomics!(
    AtomicBool,
    AtomicI8,
    AtomicU8,
    AtomicI16,
    AtomicU16,
    AtomicI32,
    AtomicU32,
    AtomicI64,
    AtomicU64,
    AtomicIsize,
    AtomicUsize
);
impl<A: Atomic, const N: usize> sealed::Sealed for [A; N] {}
// SAFETY: an array of such atomics is such atomics side by side.
unsafe impl<A: Atomic, const N: usize> Atomic for [A; N] {}

/// An atomic in shared memory, used as any atomic (`fetch_add`, `load`…) by every process it
/// is sent to: the lock-free way to share a counter between processes.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use common::{Pool, SharedAtomic, Task, task};
///
/// /// In a worker: adds `n` ones to the shared counter.
/// fn count((counter, n): (SharedAtomic<AtomicU64>, u64)) {
///     for _ in 0..n {
///         counter.fetch_add(1, Ordering::Relaxed);
///     }
/// }
/// const COUNT: Task<(SharedAtomic<AtomicU64>, u64), ()> = task!(count);
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     common::init(&[&COUNT]);
///     let counter = SharedAtomic::new(AtomicU64::new(0))?;
///     let pool = Pool::new(2)?;
///     pool.map(&COUNT, (0..4).map(|_| (counter.clone(), 1000)))?;
///     assert_eq!(counter.load(Ordering::Relaxed), 4000); // every process added to one counter
///     Ok(())
/// }
/// ```
///
/// It derefs to the atomic, so the standard library's documentation is its own; Python has no
/// atomics (its `Value` takes a lock for every change). Only the atomic types of
/// [`std::sync::atomic`] (and arrays of them) can be shared: their operations work on any
/// process's mapping of the same memory.
pub struct SharedAtomic<A: Atomic> {
    region: Arc<Region>,
    _atomic: PhantomData<A>,
}

impl<A: Atomic> SharedAtomic<A> {
    /// `value` in a page of shared memory of its own.
    pub fn new(value: A) -> std::io::Result<Self> {
        let region = Region::create(c"common-atomic", Layout::of::<A>(Kind::Atomic), 1)?;
        // SAFETY: the region's data is fresh, aligned for `A` (checked by `create`), sized for
        // one `A`, and shared with nobody yet.
        unsafe { region.data().cast::<A>().write(value) };
        Ok(SharedAtomic {
            region: Arc::new(region),
            _atomic: PhantomData,
        })
    }
}

impl<A: Atomic> Deref for SharedAtomic<A> {
    type Target = A;
    fn deref(&self) -> &A {
        // SAFETY: the data holds an initialised `A` (written by `new`, or by the process that
        // sent it), aligned, mapped for as long as `self`; `A` is an address-free atomic, whose
        // every access from any process is an atomic operation, so a shared reference is sound.
        unsafe { &*self.region.data().cast::<A>() }
    }
}

impl<A: Atomic> Clone for SharedAtomic<A> {
    fn clone(&self) -> Self {
        SharedAtomic {
            region: Arc::clone(&self.region),
            _atomic: PhantomData,
        }
    }
}

impl<A: Atomic + fmt::Debug> fmt::Debug for SharedAtomic<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SharedAtomic").field(&**self).finish()
    }
}

/// A value of plain data in shared memory, behind a lock shared by every process it is sent
/// to: Python's `multiprocessing.Value` (with its lock).
///
/// ```
/// use common::{Process, Task, Value, task};
///
/// /// In the child: adds 1 to the shared value, 1000 times, under its lock.
/// fn add(value: Value<u64>) {
///     for _ in 0..1000 {
///         *value.lock().unwrap() += 1; // Python: with v.get_lock(): v.value += 1
///     }
/// }
/// const ADD: Task<Value<u64>, ()> = task!(add);
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     common::init(&[&ADD]);
///     let value = Value::new(0u64)?;
///     let children: Vec<_> = (0..3).map(|_| common::Process::start(&ADD, value.clone())).collect();
///     for child in children {
///         child?.join()?;
///     }
///     assert_eq!(value.get(), 3000);
///     Ok(())
/// }
/// ```
///
/// `T` is plain data ([`bytemuck::Pod`]: numbers, arrays and `#[repr(C)]` structs of them; no
/// pointers, which would mean nothing in another process). Any bytes are a valid `T`, so even a
/// value left half-written by a process that died holding the lock is one; the lock then says
/// so, as [`Lock`](crate::Lock) does.
pub struct Value<T: Pod> {
    region: Arc<Region>,
    _value: PhantomData<fn() -> T>,
}

impl<T: Pod> Value<T> {
    /// `value` in shared memory of its own, with its lock.
    pub fn new(value: T) -> std::io::Result<Self> {
        let region = Region::create(c"common-value", Layout::of::<T>(Kind::Value), 1)?;
        // SAFETY: the data is fresh, aligned and sized for one `T`, shared with nobody yet.
        unsafe { region.data().cast::<T>().write(value) };
        Ok(Value {
            region: Arc::new(region),
            _value: PhantomData,
        })
    }

    /// Waits for the lock and gives the value; `Err` (with the guard) if a holder died or
    /// panicked holding it (see [`Lock`](crate::Lock)).
    pub fn lock(&self) -> LockResult<SharedGuard<'_, T>> {
        guarded(&self.region, None, self.region.data().cast()).map_err(only_poisoned)
    }

    /// [`lock`](Self::lock), waiting at most `timeout`.
    pub fn lock_timeout(&self, timeout: Duration) -> TryLockResult<SharedGuard<'_, T>> {
        guarded(
            &self.region,
            sys::deadline(timeout),
            self.region.data().cast(),
        )
    }

    /// A copy of the value, read under the lock (Python's `v.value`). It ignores poisoning: a
    /// `T` is always valid, though one a dying process was writing may be half-changed.
    pub fn get(&self) -> T {
        *self.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the value under the lock (Python's `v.value = x`).
    pub fn set(&self, value: T) {
        *self.lock().unwrap_or_else(PoisonError::into_inner) = value;
    }

    /// Whether a holder of the lock died or panicked holding it.
    pub fn is_poisoned(&self) -> bool {
        self.region.is_poisoned()
    }

    /// Declares the value consistent again.
    pub fn clear_poison(&self) {
        self.region.set_poisoned(false);
    }
}

impl<T: Pod> Clone for Value<T> {
    fn clone(&self) -> Self {
        Value {
            region: Arc::clone(&self.region),
            _value: PhantomData,
        }
    }
}

impl<T: Pod + fmt::Debug> fmt::Debug for Value<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Value").field(&self.get()).finish()
    }
}

/// A fixed-length array of plain data in shared memory, behind a lock shared by every process
/// it is sent to: Python's `multiprocessing.Array`, and `shared_memory.SharedMemory` as
/// `Array<u8>`.
///
/// ```
/// use common::{Array, Process, Task, task};
///
/// /// In the child: fills the shared array with squares.
/// fn squares(array: Array<u32>) {
///     let mut numbers = array.lock().unwrap();
///     for (i, n) in numbers.iter_mut().enumerate() {
///         *n = (i * i) as u32;
///     }
/// }
/// const SQUARES: Task<Array<u32>, ()> = task!(squares);
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     common::init(&[&SQUARES]);
///     let array = Array::<u32>::new(5)?; // zeroed, like Python's Array('I', 5)
///     Process::start(&SQUARES, array.clone())?.join()?;
///     assert_eq!(array.to_vec(), [0, 1, 4, 9, 16]);
///     Ok(())
/// }
/// ```
///
/// The memory has no name (Python's `SharedMemory` has one in `/dev/shm`): it reaches a worker
/// only as a task argument, and is freed when the last process that holds it lets go, even
/// after a crash, where a Python segment whose owner was killed before `unlink` stays behind.
pub struct Array<T: Pod> {
    region: Arc<Region>,
    len: usize,
    _value: PhantomData<fn() -> T>,
}

impl<T: Pod> Array<T> {
    /// `len` elements of `T`, all zero bytes, in shared memory of their own, with their lock.
    pub fn new(len: usize) -> std::io::Result<Self> {
        // The memory of a new in-memory file is zero-filled, and zero is a valid `T` (`Pod`).
        let region = Region::create(c"common-array", Layout::of::<T>(Kind::Array), len)?;
        Ok(Array {
            region: Arc::new(region),
            len,
            _value: PhantomData,
        })
    }

    /// A copy of `values` in shared memory.
    pub fn from_slice(values: &[T]) -> std::io::Result<Self> {
        let array = Array::new(values.len())?;
        array
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .copy_from_slice(values);
        Ok(array)
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it has no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Waits for the lock and gives the elements; `Err` (with the guard) if a holder died or
    /// panicked holding it (see [`Lock`](crate::Lock)).
    pub fn lock(&self) -> LockResult<SharedGuard<'_, [T]>> {
        guarded(&self.region, None, self.elements()).map_err(only_poisoned)
    }

    /// [`lock`](Self::lock), waiting at most `timeout`.
    pub fn lock_timeout(&self, timeout: Duration) -> TryLockResult<SharedGuard<'_, [T]>> {
        guarded(&self.region, sys::deadline(timeout), self.elements())
    }

    /// A copy of the elements, read under the lock (ignoring poisoning, as [`Value::get`]).
    pub fn to_vec(&self) -> Vec<T> {
        self.lock().unwrap_or_else(PoisonError::into_inner).to_vec()
    }

    /// Whether a holder of the lock died or panicked holding it.
    pub fn is_poisoned(&self) -> bool {
        self.region.is_poisoned()
    }

    /// Declares the elements consistent again.
    pub fn clear_poison(&self) {
        self.region.set_poisoned(false);
    }

    fn elements(&self) -> *mut [T] {
        std::ptr::slice_from_raw_parts_mut(self.region.data().cast::<T>(), self.len)
    }
}

impl<T: Pod> Clone for Array<T> {
    fn clone(&self) -> Self {
        Array {
            region: Arc::clone(&self.region),
            len: self.len,
            _value: PhantomData,
        }
    }
}

impl<T: Pod> fmt::Debug for Array<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Array")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

/// A wait without a deadline ends with the lock taken: only poisoning is left to report.
fn only_poisoned<G>(e: TryLockError<G>) -> PoisonError<G> {
    match e {
        TryLockError::Poisoned(p) => p,
        TryLockError::WouldBlock => unreachable!("a wait without a deadline ends locked"),
    }
}

/// Serde for the shared-memory types: the region's descriptor, attached (see `attach`); what
/// it holds is checked on arrival.
macro_rules! serde_region {
    ($t:ident<$p:ident: $bound:path>, $kind:expr, $build:expr) => {
        impl<$p: $bound> Serialize for $t<$p> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                serialize_fd(self.region.fd(), s)
            }
        }

        impl<'de, $p: $bound> Deserialize<'de> for $t<$p> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let fd = deserialize_fd(d)?;
                let (region, len) =
                    Region::open(fd, Layout::of::<$p>($kind)).map_err(serde::de::Error::custom)?;
                let build: fn(Arc<Region>, usize) -> Self = $build;
                Ok(build(Arc::new(region), len))
            }
        }
    };
}

serde_region!(SharedAtomic<A: Atomic>, Kind::Atomic, |region, _| SharedAtomic {
    region,
    _atomic: PhantomData
});
serde_region!(Value<T: Pod>, Kind::Value, |region, _| Value {
    region,
    _value: PhantomData
});
serde_region!(Array<T: Pod>, Kind::Array, |region, len| Array {
    region,
    len,
    _value: PhantomData
});

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn clones_share_one_memory() {
        let a = SharedAtomic::new(AtomicU64::new(5)).unwrap();
        a.clone().fetch_add(1, Ordering::Relaxed);
        assert_eq!(a.load(Ordering::Relaxed), 6);
        let v = Value::new(1.5f64).unwrap();
        v.clone().set(2.5);
        assert_eq!(v.get(), 2.5);
        let arr = Array::from_slice(&[1u16, 2, 3]).unwrap();
        arr.clone().lock().unwrap()[1] = 20;
        assert_eq!(arr.to_vec(), [1, 20, 3]);
        assert_eq!(Array::<u8>::new(0).unwrap().len(), 0);
    }

    #[test]
    fn a_panic_under_the_lock_poisons_it_until_cleared() {
        let v = Value::new(0u32).unwrap();
        let in_thread = v.clone();
        std::thread::spawn(move || {
            let _guard = in_thread.lock().unwrap();
            panic!("while holding");
        })
        .join()
        .unwrap_err();
        assert!(v.is_poisoned());
        assert!(v.lock().is_err());
        v.clear_poison();
        assert!(v.lock().is_ok());
    }

    #[test]
    fn a_held_lock_times_out_elsewhere() {
        let v = Value::new(0u8).unwrap();
        let _held = v.lock().unwrap();
        let other = v.clone();
        let waited = std::thread::spawn(move || {
            matches!(
                other.lock_timeout(Duration::from_millis(50)),
                Err(TryLockError::WouldBlock)
            )
        });
        assert!(waited.join().unwrap());
    }
}
