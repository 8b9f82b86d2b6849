//! A counting semaphore on std primitives, whose waits end at a deadline.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// The fleet's connection permits.
pub(super) struct Semaphore {
    free: Mutex<usize>,
    cv: Condvar,
}

/// One permit, given back when dropped.
pub(super) struct Permit<'a>(&'a Semaphore);

impl Semaphore {
    pub(super) fn new(n: usize) -> Self {
        Self {
            free: Mutex::new(n),
            cv: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, usize> {
        self.free.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a permit until `deadline` (forever without one); `None` once it has passed.
    pub(super) fn acquire_until(&self, deadline: Option<Instant>) -> Option<Permit<'_>> {
        let mut free = self.lock();
        while *free == 0 {
            free = match deadline {
                None => self.cv.wait(free).unwrap_or_else(PoisonError::into_inner),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return None;
                    }
                    self.cv
                        .wait_timeout(free, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
        *free -= 1;
        Some(Permit(self))
    }

    /// A permit if one is free now, without waiting.
    pub(super) fn try_acquire(&self) -> Option<Permit<'_>> {
        let mut free = self.lock();
        if *free == 0 {
            return None;
        }
        *free -= 1;
        Some(Permit(self))
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        *self.0.lock() += 1;
        self.0.cv.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_wait_ends_at_its_deadline_and_a_dropped_permit_is_free_again() {
        let s = Semaphore::new(1);
        let p = s.try_acquire().unwrap();
        assert!(s.try_acquire().is_none());
        let soon = Instant::now() + Duration::from_millis(50);
        assert!(s.acquire_until(Some(soon)).is_none());
        drop(p);
        assert!(s.acquire_until(Some(soon)).is_some());
    }
}
