//! Per-channel results stored compactly: what feeds `channels.csv`.
//!
//! On a large network most channels see no traffic in a run (BA 1M nodes: 2M channels,
//! 10,000 payments), so per-direction counters live in a [`SparseVec`] (4 bytes per
//! channel, a record only for channels used), and [`ChannelResults`] keeps the end state in
//! 40 bytes per channel; a full [`ChannelStats`] row is built on demand.

use super::results::{ChannelStats, DirStats};
use crate::topology::NodeId;
use crate::units::Msat;

/// A map from dense ids (channel ids) to `T`, with a record allocated on first write.
/// Hand-written rather than a hash map: it is read and written on the hot path (every
/// settled or failed hop, every touched channel's depletion check), where a plain index
/// beats hashing, and it costs 4 bytes per id that was never written.
#[derive(Debug, Clone, Default)]
pub struct SparseVec<T> {
    /// Per id: 0 when absent, else 1 + its position in `items`.
    slot: Vec<u32>,
    /// The records, in order of first write, with their ids.
    items: Vec<(u32, T)>,
}

impl<T: Default> SparseVec<T> {
    pub fn new() -> Self {
        SparseVec {
            slot: Vec::new(),
            items: Vec::new(),
        }
    }

    /// An empty map with room for ids `0..ids` (it still grows past them): sized once
    /// rather than by doubling, which on 2M channels leaves up to twice the room.
    pub fn with_ids(ids: usize) -> Self {
        SparseVec {
            slot: vec![0; ids],
            items: Vec::new(),
        }
    }

    /// The record of `id`, if one was written.
    #[inline]
    pub fn get(&self, id: usize) -> Option<&T> {
        match self.slot.get(id) {
            Some(&k) if k > 0 => Some(&self.items[k as usize - 1].1),
            _ => None,
        }
    }

    /// The record of `id`, created (as `T::default()`) if absent.
    #[inline]
    pub fn entry(&mut self, id: usize) -> &mut T {
        if self.slot.len() <= id {
            self.slot.resize(id + 1, 0);
        }
        let k = match self.slot[id] {
            0 => {
                self.items.push((id as u32, T::default()));
                self.slot[id] = self.items.len() as u32;
                self.items.len()
            }
            k => k as usize,
        };
        &mut self.items[k - 1].1
    }

    /// The records written, with their ids, in order of first write.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (usize, &mut T)> {
        self.items.iter_mut().map(|(id, t)| (*id as usize, t))
    }

    /// Number of records written.
    pub fn records(&self) -> usize {
        self.items.len()
    }
}

/// A channel's state at the end of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelEnd {
    pub nodes: [NodeId; 2],
    pub capacity: Msat,
    pub balance_end: [Msat; 2],
    pub open: bool,
}

/// Per-channel results of a run (index = channel id, channels opened during the run
/// included): the end state of every channel, balances at the start of measurement, and
/// the per-direction counters of the channels that had any. [`ChannelResults::get`] and
/// [`ChannelResults::iter`] give full [`ChannelStats`] rows.
#[derive(Debug, Clone, Default)]
pub struct ChannelResults {
    ends: Vec<ChannelEnd>,
    /// Per channel that existed when measurement started (later ones started at zero).
    balance_start: Vec<[Msat; 2]>,
    dirs: SparseVec<[DirStats; 2]>,
}

impl ChannelResults {
    pub fn new(
        ends: Vec<ChannelEnd>,
        balance_start: Vec<[Msat; 2]>,
        dirs: SparseVec<[DirStats; 2]>,
    ) -> Self {
        ChannelResults {
            ends,
            balance_start,
            dirs,
        }
    }

    /// Number of channels.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The statistics of channel `i`. Panics when `i >= len()`.
    pub fn get(&self, i: usize) -> ChannelStats {
        let e = &self.ends[i];
        ChannelStats {
            nodes: e.nodes,
            capacity: e.capacity,
            balance_start: self
                .balance_start
                .get(i)
                .copied()
                .unwrap_or([Msat::ZERO; 2]),
            balance_end: e.balance_end,
            open: e.open,
            dirs: self.dirs.get(i).cloned().unwrap_or_default(),
        }
    }

    /// Every channel's statistics, in channel-id order.
    pub fn iter(&self) -> impl Iterator<Item = ChannelStats> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// Tests build results from full rows (the run builds them from its counters with
/// [`ChannelResults::new`]).
#[cfg(test)]
impl From<Vec<ChannelStats>> for ChannelResults {
    fn from(rows: Vec<ChannelStats>) -> Self {
        let mut dirs = SparseVec::new();
        let mut balance_start = Vec::with_capacity(rows.len());
        let ends = rows
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                balance_start.push(c.balance_start);
                if c.dirs != <[DirStats; 2]>::default() {
                    *dirs.entry(i) = c.dirs;
                }
                ChannelEnd {
                    nodes: c.nodes,
                    capacity: c.capacity,
                    balance_end: c.balance_end,
                    open: c.open,
                }
            })
            .collect();
        ChannelResults::new(ends, balance_start, dirs)
    }
}

/// Equal when every channel's statistics are (however they are stored).
impl PartialEq for ChannelResults {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        /// SparseVec behaves as a map with default records on first write.
        #[test]
        fn sparse_vec_matches_a_map(ops in proptest::collection::vec((0usize..300, 0u64..5), 0..200)) {
            let mut s: SparseVec<u64> = if ops.len() % 2 == 0 { SparseVec::new() } else { SparseVec::with_ids(100) };
            let mut r: BTreeMap<usize, u64> = BTreeMap::new();
            for (id, add) in ops {
                *s.entry(id) += add;
                *r.entry(id).or_default() += add;
                prop_assert_eq!(s.get(id), r.get(&id));
            }
            for id in 0..310 {
                prop_assert_eq!(s.get(id), r.get(&id));
            }
            prop_assert_eq!(s.records(), r.len());
            let mut seen: Vec<(usize, u64)> = s.iter_mut().map(|(i, v)| (i, *v)).collect();
            seen.sort_unstable();
            prop_assert_eq!(seen, r.into_iter().collect::<Vec<_>>());
        }

        /// ChannelResults gives back the rows it was built from.
        #[test]
        fn channel_results_round_trip(rows in proptest::collection::vec((0u64..3, 0u64..3, any::<bool>()), 0..40)) {
            let stats: Vec<ChannelStats> = rows
                .iter()
                .enumerate()
                .map(|(i, &(f, b, open))| ChannelStats {
                    nodes: [NodeId(i as u32), NodeId(i as u32 + 1)],
                    capacity: Msat(10 + b),
                    balance_start: [Msat(b), Msat(10)],
                    balance_end: [Msat(10), Msat(b)],
                    open,
                    dirs: [
                        DirStats { forwarded: f, ..Default::default() },
                        DirStats { failures: b * f, ..Default::default() },
                    ],
                })
                .collect();
            let c = ChannelResults::from(stats.clone());
            prop_assert_eq!(c.len(), stats.len());
            prop_assert_eq!(c.iter().collect::<Vec<_>>(), stats);
        }
    }
}
