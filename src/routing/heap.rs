//! The route searches' priority queue: std's `BinaryHeap` of `(key, node)` packed into one
//! `u128` (`key << 32 | node`).
//!
//! Packing orders entries exactly as the tuple `(key, node)` (a total order), so the
//! sequence of popped entries is the same as `BinaryHeap<Reverse<(u64, u32)>>`'s for the
//! same pushes and pops (equal entries are indistinguishable): it cannot change a route.
//! One branch-free integer comparison replaces the tuple's two-step one, which matters on
//! the hot path (the `lnd` search pushes ~7 entries per pop). A hand-written 4-ary heap was
//! tried and measured no better (more comparisons per pop). Stale entries are the caller's
//! business (lazy deletion). Property-tested against the tuple heap below.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Min-heap of `(key, node)`.
#[derive(Debug, Default, Clone)]
pub struct KeyHeap {
    h: BinaryHeap<Reverse<u128>>,
}

impl KeyHeap {
    pub fn new() -> Self {
        KeyHeap::default()
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.h.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.h.is_empty()
    }

    /// Removes every entry (keeps the allocation).
    #[inline]
    pub fn clear(&mut self) {
        self.h.clear();
    }

    /// Adds `(key, node)`. O(log n), O(1) on average for random keys.
    #[inline]
    pub fn push(&mut self, key: u64, node: u32) {
        self.h
            .push(Reverse((u128::from(key) << 32) | u128::from(node)));
    }

    /// Removes and returns the least `(key, node)`. O(log n).
    #[inline]
    pub fn pop(&mut self) -> Option<(u64, u32)> {
        self.h.pop().map(|Reverse(x)| ((x >> 32) as u64, x as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    proptest! {
        /// Any interleaving of pushes and pops (small keys and nodes, so ties and
        /// duplicates are frequent) pops the same sequence as `BinaryHeap`.
        #[test]
        fn pops_the_same_sequence_as_binary_heap(
            ops in prop::collection::vec((0u8..3, 0u64..20, 0u32..8), 0..400),
            big in any::<bool>(),
        ) {
            let mut q = KeyHeap::new();
            let mut b = BinaryHeap::new();
            for (op, k, n) in ops {
                let k = if big { u64::MAX - k } else { k };
                if op == 0 {
                    prop_assert_eq!(q.pop(), b.pop().map(|Reverse(x)| x));
                } else {
                    q.push(k, n);
                    b.push(Reverse((k, n)));
                }
                prop_assert_eq!(q.len(), b.len());
            }
            while let Some(Reverse(x)) = b.pop() {
                prop_assert_eq!(q.pop(), Some(x));
            }
            prop_assert!(q.is_empty());
            prop_assert_eq!(q.pop(), None);
        }
    }

    #[test]
    fn clear_empties_and_the_heap_is_reusable() {
        let mut q = KeyHeap::new();
        for i in (0..100u32).rev() {
            q.push(u64::from(i % 7), i);
        }
        q.clear();
        assert!(q.is_empty());
        q.push(5, 1);
        q.push(3, 2);
        q.push(3, 1);
        assert_eq!(q.pop(), Some((3, 1)));
        assert_eq!(q.pop(), Some((3, 2)));
        assert_eq!(q.pop(), Some((5, 1)));
        assert_eq!(q.pop(), None);
    }
}
