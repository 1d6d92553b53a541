//! Aggregates kept in memory between commands, so that a command on an event with thousands of
//! participations does not read and decode them all again.
//!
//! An entry is the aggregate as it stood at one sequence of its log. [`Commands`] uses it only
//! after checking that the log's last sequence for that aggregate is still that one, so a change
//! written by another process is never missed; the optimistic check on commit still guards the
//! race that follows. An entry is taken out while a command runs and put back only after its
//! changes are committed: a refused command or a failed commit leaves no entry behind.
//!
//! [`Commands`]: crate::store::Commands

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// How many aggregates of one type are kept; the least recently used one goes first.
pub const AGGREGATES_KEPT: usize = 128;

/// How often the cache was used, and how often the aggregate had to be loaded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheCounts {
    /// Commands that started from the kept aggregate.
    pub hits: u64,
    /// Commands that loaded the aggregate from the store (none kept, or it was behind the log).
    pub misses: u64,
}

struct Entry<A> {
    aggregate: A,
    sequence: usize,
    used: u64,
}

/// A bounded, least-recently-used map from aggregate id to the aggregate and its sequence.
pub struct AggregateCache<A> {
    capacity: usize,
    entries: Mutex<HashMap<String, Entry<A>>>,
    clock: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl<A> AggregateCache<A> {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::default(),
            clock: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Removes and returns the aggregate kept for `id`, with the sequence it is at.
    pub fn take(&self, id: &str) -> Option<(A, usize)> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(id).map(|e| (e.aggregate, e.sequence))
    }

    /// Keeps `aggregate`, as it stands at `sequence`, evicting the least recently used entry
    /// when full.
    pub fn put(&self, id: &str, aggregate: A, sequence: usize) {
        if self.capacity == 0 {
            return;
        }
        let used = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(id) {
            // A linear scan: the capacity is small and a command costs far more.
            if let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            {
                entries.remove(&oldest);
            }
        }
        entries.insert(
            id.to_string(),
            Entry {
                aggregate,
                sequence,
                used,
            },
        );
    }

    pub fn count_hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_miss(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
    }

    pub fn counts(&self) -> CacheCounts {
        CacheCounts {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taking_removes_the_entry() {
        let cache = AggregateCache::new(4);
        cache.put("a", 1, 3);
        assert_eq!(cache.take("a"), Some((1, 3)));
        assert_eq!(cache.take("a"), None);
    }

    #[test]
    fn the_least_recently_used_entry_goes_first() {
        let cache = AggregateCache::new(2);
        cache.put("a", 1, 1);
        cache.put("b", 2, 1);
        // "a" is used again (taken and put back), so "b" is now the oldest.
        let (a, seq) = cache.take("a").expect("a");
        cache.put("a", a, seq + 1);
        cache.put("c", 3, 1);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.take("b"), None);
        assert_eq!(cache.take("a"), Some((1, 2)));
        assert_eq!(cache.take("c"), Some((3, 1)));
    }

    #[test]
    fn replacing_an_entry_evicts_nothing() {
        let cache = AggregateCache::new(2);
        cache.put("a", 1, 1);
        cache.put("b", 2, 1);
        cache.put("b", 5, 2);
        assert_eq!(cache.take("a"), Some((1, 1)));
        assert_eq!(cache.take("b"), Some((5, 2)));
    }

    #[test]
    fn a_cache_of_nothing_keeps_nothing() {
        let cache = AggregateCache::new(0);
        cache.put("a", 1, 1);
        assert!(cache.is_empty());
    }
}
