//! [`Queue`]: Python's `multiprocessing.Queue`, bounded, between any processes it is sent to,
//! with [`QueueSender`] and [`QueueReceiver`] ends that tell when the other side is gone.

use std::fmt;
use std::marker::PhantomData;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::IpcError;
use super::record;
use super::region::{Kind, Layout, Region};
use crate::descriptor::{deserialize_fd, serialize_fd};
use crate::sys::{self, Locked};

/// The queue's counters, in shared memory beside its lock.
///
/// `sent` counts the records senders have sent, `claimed` the gets that have started (a get
/// claims its item before it waits for one). A put may go ahead while `sent - claimed` is below
/// the capacity: at most `maxsize` items wait in the queue that no get has claimed. Senders take
/// the region's robust lock to check, send and count as one step, so two senders never both
/// take the last place.
///
/// Every death leaves the queue larger, never smaller, so no death can make a later put wait
/// for a place that will never come: a sender that dies after sending, before counting, leaves
/// one item uncounted; a receiver that dies while it waits leaves its claim behind. Either way
/// the queue can hold one more item from then on.
#[repr(C)]
struct Control {
    sent: AtomicU32,
    claimed: AtomicU32,
    /// Senders waiting for a place (so a get knows whether to wake anyone).
    waiting: AtomicU32,
    capacity: u32,
}

/// How often a sender waiting for a place looks whether the receivers are all gone.
const CHECK_EVERY: Duration = Duration::from_millis(50);

/// The largest `maxsize`.
pub const MAX_QUEUE_SIZE: usize = 1 << 30;

/// A bounded queue between processes (and threads): Python's `multiprocessing.Queue(maxsize)`.
///
/// Any process that holds a `Queue` can [`put`](Self::put) and [`get`](Self::get); it reaches
/// a [`Process`](crate::Process) or a [`Pool`](crate::Pool)'s worker as (part of) a task
/// argument, its descriptors passed beside the task (see [`Descriptor`](crate::Descriptor)).
/// Items are serde values, encoded with postcard; each is delivered whole to exactly one
/// getter. A `put` waits while `maxsize` items wait to be taken; a `get` while none does.
///
/// A `Queue` is both ends at once, as in Python. The kernel knows who holds which end, so a
/// process that only puts should hold only a [`QueueSender`] (from [`sender`](Self::sender)),
/// and one that only gets a [`QueueReceiver`]: then when every sender has closed its end or
/// died, a `get` on an empty queue returns [`IpcError::Disconnected`] instead of waiting forever
/// (Python's `get` hangs), and when every receiver is gone a `put` does too (Python's feeder
/// thread fails silently and the item is lost).
///
/// ```
/// use common::{Pool, QueueSender, Queue, Task, task, IpcError};
///
/// /// In a worker: puts its share of the numbers, then returns (closing its end).
/// fn produce((queue, from): (QueueSender<u64>, u64)) -> Result<(), IpcError> {
///     for n in from..from + 100 {
///         queue.put(&n)?;
///     }
///     Ok(())
/// }
/// const PRODUCE: Task<(QueueSender<u64>, u64), Result<(), IpcError>> = task!(produce);
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     common::init(&[&PRODUCE]);
///     let (sender, receiver) = Queue::<u64>::new(16)?.split();
///     let pool = Pool::new(3)?;
///     let done = pool.map_async(&PRODUCE, [0, 100, 200].map(|from| (sender.clone(), from)))?;
///     drop(sender); // the workers' copies are now the only senders
///     let mut sum = 0;
///     loop {
///         match receiver.get() {
///             Ok(n) => sum += n,
///             Err(IpcError::Disconnected) => break, // every producer has finished
///             Err(e) => return Err(e.into()),
///         }
///     }
///     assert_eq!(sum, (0..300).sum::<u64>());
///     for produced in done.get()? {
///         produced?;
///     }
///     Ok(())
/// }
/// ```
///
/// How it works: items are records on a `SOCK_SEQPACKET` socket pair (the kernel hands each
/// to one reader, whole), large ones in a sealed in-memory file beside the record; the bound
/// is two counters in shared memory and a robust lock that senders take to check it. A process
/// killed in the middle of a `put` or a `get` can make the queue one item larger, never smaller,
/// so no death makes anyone wait forever. Python's `Queue` uses a pipe, a lock held by readers
/// and a semaphore: a process killed while holding the lock leaves it held, and every other
/// reader waits forever.
pub struct Queue<T> {
    sender: QueueSender<T>,
    receiver: QueueReceiver<T>,
}

/// The sending end of a [`Queue`]: clone it for each producer.
pub struct QueueSender<T> {
    sock: Arc<OwnedFd>,
    control: Arc<Region>,
    _item: PhantomData<fn(T)>,
}

/// The receiving end of a [`Queue`]: clone it for each consumer.
pub struct QueueReceiver<T> {
    sock: Arc<OwnedFd>,
    control: Arc<Region>,
    _item: PhantomData<fn() -> T>,
}

impl<T> Queue<T> {
    /// A queue that holds at most `maxsize` items not yet taken (1 to [`MAX_QUEUE_SIZE`]).
    pub fn new(maxsize: usize) -> std::io::Result<Queue<T>> {
        if !(1..=MAX_QUEUE_SIZE).contains(&maxsize) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("a queue's maxsize must be 1 to {MAX_QUEUE_SIZE}, not {maxsize}"),
            ));
        }
        let control = Region::create(c"common-queue", Layout::of::<Control>(Kind::Queue), 1)?;
        // SAFETY: the data is fresh, aligned and sized for one `Control`, shared with nobody
        // yet; the counters start at zero (as the memory is).
        unsafe {
            control.data().cast::<Control>().write(Control {
                sent: AtomicU32::new(0),
                claimed: AtomicU32::new(0),
                waiting: AtomicU32::new(0),
                capacity: maxsize as u32,
            });
        }
        let (to_readers, readers) = sys::seqpacket_pair()?;
        // One direction only: senders never read, receivers never write.
        let control = Arc::new(control);
        Ok(Queue {
            sender: QueueSender {
                sock: Arc::new(to_readers),
                control: Arc::clone(&control),
                _item: PhantomData,
            },
            receiver: QueueReceiver {
                sock: Arc::new(readers),
                control,
                _item: PhantomData,
            },
        })
    }

    /// Both ends, to hand out separately (and drop the ones this process does not use).
    pub fn split(self) -> (QueueSender<T>, QueueReceiver<T>) {
        (self.sender, self.receiver)
    }

    /// A new sending end.
    pub fn sender(&self) -> QueueSender<T> {
        self.sender.clone()
    }

    /// A new receiving end.
    pub fn receiver(&self) -> QueueReceiver<T> {
        self.receiver.clone()
    }
}

impl<T: Serialize> Queue<T> {
    /// [`QueueSender::put`].
    pub fn put(&self, item: &T) -> Result<(), IpcError> {
        self.sender.put(item)
    }

    /// [`QueueSender::put_timeout`].
    pub fn put_timeout(&self, item: &T, timeout: Duration) -> Result<(), IpcError> {
        self.sender.put_timeout(item, timeout)
    }
}

impl<T: DeserializeOwned> Queue<T> {
    /// [`QueueReceiver::get`].
    pub fn get(&self) -> Result<T, IpcError> {
        self.receiver.get()
    }

    /// [`QueueReceiver::get_timeout`].
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, IpcError> {
        self.receiver.get_timeout(timeout)
    }
}

fn control(region: &Region) -> &Control {
    // SAFETY: the region was made (or checked on arrival) for one `Control`, written before it
    // was shared; `capacity` is never written again and the rest are atomics.
    unsafe { &*region.data().cast::<Control>() }
}

/// The region's lock, released when dropped.
struct Held<'a>(&'a Region);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        // SAFETY: a `Held` is made only by the thread that just took the lock.
        unsafe { self.0.unlock() }
    }
}

impl<T: Serialize> QueueSender<T> {
    /// Puts a copy of `item` (encoded now), waiting while the queue is full (Python's
    /// `put(item)`). [`IpcError::Disconnected`] if every receiver is gone: nobody could ever
    /// take it.
    pub fn put(&self, item: &T) -> Result<(), IpcError> {
        self.put_until(item, None)
    }

    /// [`put`](Self::put), waiting at most `timeout` for a place: [`IpcError::Full`] if none
    /// came (Python's `put(item, timeout=…)` raises `queue.Full`). Zero does not wait.
    pub fn put_timeout(&self, item: &T, timeout: Duration) -> Result<(), IpcError> {
        self.put_until(item, sys::deadline(timeout))
    }

    fn put_until(&self, item: &T, deadline: Option<Instant>) -> Result<(), IpcError> {
        let mut message = record::encode(item)?;
        let c = control(&self.control);
        // A sender that died holding the lock may have sent without counting: the queue is
        // then one larger, which is safe (see `Control`).
        if self.control.lock(deadline)? == Locked::TimedOut {
            return Err(IpcError::Full);
        }
        let _held = Held(&self.control);
        loop {
            let claimed = c.claimed.load(Ordering::SeqCst);
            let waiting = c.sent.load(Ordering::Relaxed).wrapping_sub(claimed) as i32;
            if waiting < c.capacity as i32 {
                break;
            }
            if record::hung_up(self.sock.as_fd())? {
                return Err(IpcError::Disconnected);
            }
            let left = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => CHECK_EVERY,
            };
            if left.is_zero() {
                return Err(IpcError::Full);
            }
            c.waiting.fetch_add(1, Ordering::SeqCst);
            // Returns at once if a get has claimed since `claimed` was read: no lost wake-up.
            sys::futex_wait(&c.claimed, claimed, left.min(CHECK_EVERY));
            c.waiting.fetch_sub(1, Ordering::SeqCst);
        }
        if !record::send(self.sock.as_fd(), &mut message, deadline)? {
            return Err(IpcError::Full);
        }
        c.sent.fetch_add(1, Ordering::Release);
        Ok(())
    }
}

impl<T: DeserializeOwned> QueueReceiver<T> {
    /// Takes the next item, waiting for one (Python's `get()`). Once every sender has closed
    /// its end or died and the queue is empty, [`IpcError::Disconnected`].
    pub fn get(&self) -> Result<T, IpcError> {
        self.get_until(None)
    }

    /// [`get`](Self::get), waiting at most `timeout`: [`IpcError::Empty`] if nothing came
    /// (Python's `get(timeout=…)` raises `queue.Empty`). Zero does not wait.
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, IpcError> {
        self.get_until(sys::deadline(timeout))
    }

    fn get_until(&self, deadline: Option<Instant>) -> Result<T, IpcError> {
        let c = control(&self.control);
        // Claim first: a sender waiting for a place may go ahead now, and whatever this get
        // ends with, the count stays right (see `Control`).
        c.claimed.fetch_add(1, Ordering::SeqCst);
        if c.waiting.load(Ordering::SeqCst) > 0 {
            sys::futex_wake(&c.claimed);
        }
        match record::recv(self.sock.as_fd(), deadline) {
            Ok(Some(message)) => message.decode(),
            Ok(None) => {
                c.claimed.fetch_sub(1, Ordering::SeqCst);
                Err(IpcError::Empty)
            }
            Err(e) => {
                c.claimed.fetch_sub(1, Ordering::SeqCst);
                Err(e)
            }
        }
    }
}

impl<T> Clone for QueueSender<T> {
    fn clone(&self) -> Self {
        QueueSender {
            sock: Arc::clone(&self.sock),
            control: Arc::clone(&self.control),
            _item: PhantomData,
        }
    }
}

impl<T> Clone for QueueReceiver<T> {
    fn clone(&self) -> Self {
        QueueReceiver {
            sock: Arc::clone(&self.sock),
            control: Arc::clone(&self.control),
            _item: PhantomData,
        }
    }
}

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Queue {
            sender: self.sender.clone(),
            receiver: self.receiver.clone(),
        }
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("maxsize", &control(&self.sender.control).capacity)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for QueueSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueSender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for QueueReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueReceiver").finish_non_exhaustive()
    }
}

/// Serde for the ends: their socket and their counters, attached (see `attach`).
macro_rules! serde_end {
    ($end:ident) => {
        impl<T> Serialize for $end<T> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeTuple;
                let mut tuple = s.serialize_tuple(2)?;
                tuple.serialize_element(&Fd(self.sock.as_fd()))?;
                tuple.serialize_element(&Fd(self.control.fd()))?;
                tuple.end()
            }
        }

        impl<'de, T> Deserialize<'de> for $end<T> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let (OwnedFdDe(sock), OwnedFdDe(control)) = Deserialize::deserialize(d)?;
                let layout = Layout::of::<Control>(Kind::Queue);
                let (control, _) =
                    Region::open(control, layout).map_err(serde::de::Error::custom)?;
                Ok($end {
                    sock: Arc::new(sock),
                    control: Arc::new(control),
                    _item: PhantomData,
                })
            }
        }
    };
}
serde_end!(QueueSender);
serde_end!(QueueReceiver);

impl<T> Serialize for Queue<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (&self.sender, &self.receiver).serialize(s)
    }
}

impl<'de, T> Deserialize<'de> for Queue<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (sender, receiver) = Deserialize::deserialize(d)?;
        Ok(Queue { sender, receiver })
    }
}

/// A borrowed descriptor, encoded as an attachment.
pub(crate) struct Fd<'a>(pub std::os::fd::BorrowedFd<'a>);

impl Serialize for Fd<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_fd(self.0, s)
    }
}

/// A descriptor decoded from an attachment.
pub(crate) struct OwnedFdDe(pub OwnedFd);

impl<'de> Deserialize<'de> for OwnedFdDe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_fd(d).map(OwnedFdDe)
    }
}
