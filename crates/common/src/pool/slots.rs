//! A pool's worker slots: which process each runs (for `terminate` and `pids`), and the lending
//! of an idle worker to a caller of `apply`.
//!
//! A queued task crosses two thread hops besides the process boundary: caller → supervisor
//! and back. For a small synchronous `apply` those hops cost as much as the round trip to the
//! worker, so an idle supervisor parks its worker here while it waits for the queue, and
//! `apply` borrows it and talks to it directly. Spawning stays with the supervisor (a worker's
//! parent-death signal is tied to the thread that spawned it): a borrower that loses the worker
//! hands the slot back empty and wakes the supervisor to start a replacement.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crossbeam_channel::Sender;

use crate::child::Child;
use crate::link::Link;

/// Where a slot's worker is.
#[derive(Debug)]
enum Lent {
    /// With its supervisor (or there is none).
    Home,
    /// Parked by its idle supervisor, free to borrow.
    Parked(Link),
    /// Borrowed by a caller of `apply`.
    Out,
    /// The borrower lost it (it died or retired); the supervisor starts a new one.
    Lost,
}

#[derive(Debug)]
struct Slot {
    child: Mutex<Option<Arc<Child>>>,
    lent: Mutex<Lent>,
    returned: Condvar,
    /// Wakes the slot's supervisor to replace a lost worker.
    wake: Sender<()>,
}

#[derive(Debug)]
pub(crate) struct Slots {
    slots: Vec<Slot>,
    /// Slots whose worker is parked (possibly stale: `borrow` checks).
    idle: Mutex<Vec<usize>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

// Lock order: a slot's `lent`, then `idle`. `borrow` never holds both.
impl Slots {
    /// One slot per waker; slot `i`'s supervisor listens on the receiver of `wakes[i]`.
    pub(crate) fn new(wakes: Vec<Sender<()>>) -> Self {
        let slots = wakes
            .into_iter()
            .map(|wake| Slot {
                child: Mutex::new(None),
                lent: Mutex::new(Lent::Home),
                returned: Condvar::new(),
                wake,
            })
            .collect();
        Slots {
            slots,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Records slot `slot`'s current worker process.
    pub(crate) fn publish(&self, slot: usize, child: Option<Arc<Child>>) {
        *lock(&self.slots[slot].child) = child;
    }

    /// Process ids of the live workers.
    pub(crate) fn pids(&self) -> Vec<u32> {
        self.slots
            .iter()
            .filter_map(|s| lock(&s.child).as_ref().map(|c| c.pid()))
            .collect()
    }

    /// Kills every worker, wherever it is.
    pub(crate) fn kill_all(&self) {
        for slot in &self.slots {
            if let Some(child) = &*lock(&slot.child) {
                let _ = child.signal(libc::SIGKILL);
            }
        }
    }

    /// Supervisor: leaves its idle worker where a caller of `apply` can borrow it.
    pub(crate) fn park(&self, slot: usize, link: Link) {
        let mut lent = lock(&self.slots[slot].lent);
        *lent = Lent::Parked(link);
        lock(&self.idle).push(slot);
    }

    /// Supervisor: takes its worker back, waiting while a caller has it. `None` if the caller
    /// lost it (or nothing was parked).
    pub(crate) fn unpark(&self, slot: usize) -> Option<Link> {
        let this = &self.slots[slot];
        let mut lent = lock(&this.lent);
        while matches!(*lent, Lent::Out) {
            lent = this.returned.wait(lent).unwrap_or_else(|e| e.into_inner());
        }
        lock(&self.idle).retain(|&s| s != slot);
        match std::mem::replace(&mut *lent, Lent::Home) {
            Lent::Parked(link) => Some(link),
            Lent::Home | Lent::Lost => None,
            Lent::Out => unreachable!("waited until returned"),
        }
    }

    /// Caller: an idle worker to use directly, if there is one.
    pub(crate) fn borrow(&self) -> Option<(usize, Link)> {
        loop {
            let slot = lock(&self.idle).pop()?;
            let mut lent = lock(&self.slots[slot].lent);
            if matches!(*lent, Lent::Parked(_)) {
                let Lent::Parked(link) = std::mem::replace(&mut *lent, Lent::Out) else {
                    unreachable!("just matched")
                };
                return Some((slot, link));
            }
            // A stale entry: the supervisor took its worker back meanwhile. Try the next.
        }
    }

    /// Caller: returns a borrowed worker, or `None` if it died or retired, which asks the
    /// supervisor for a replacement.
    pub(crate) fn give_back(&self, slot: usize, link: Option<Link>) {
        let this = &self.slots[slot];
        let mut lent = lock(&this.lent);
        match link {
            Some(link) => {
                *lent = Lent::Parked(link);
                lock(&self.idle).push(slot);
            }
            None => {
                *lent = Lent::Lost;
                self.publish(slot, None);
                let _ = this.wake.try_send(());
            }
        }
        this.returned.notify_all();
    }
}
