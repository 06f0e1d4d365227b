//! The network layer: per-run mutable channel state and the compact adjacency used by
//! route search.
//!
//! [`Network`] is built from an immutable [`Topology`] at the start of a run. Its fields and
//! those of [`ChannelState`] are private: every balance change goes through `Network`'s
//! methods (`lock`, `settle`, `fail`, `deposit`, `withdraw`), which keep the **conservation
//! invariant** of every channel:
//! `balance[0] + balance[1] + inflight[0] + inflight[1] == capacity`.
//!
//! It does no I/O and knows nothing of payments, strategies or the security model; those
//! layers read it (routing, strategies through their `View`, security, metrics) and only
//! the engine mutates it.

use crate::topology::{ChannelId, ChannelSpec, FeePolicy, NodeId, Topology};
use crate::units::Msat;

/// Lifecycle of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelStatus {
    /// Usable for payments.
    Open,
    /// A close (cooperative, unilateral or dispute) is pending on chain: no new HTLCs.
    Closing,
    /// Closed on chain: balances were paid out.
    Closed,
}

/// The live state of one channel in a run.
#[derive(Debug, Clone)]
pub struct ChannelState {
    nodes: [NodeId; 2],
    capacity: Msat,
    /// Settled balance of each side, not counting HTLCs it has in flight.
    balance: [Msat; 2],
    /// Sum of HTLCs in flight offered by each side.
    inflight: [Msat; 2],
    /// Number of HTLCs in flight offered by each side.
    htlcs: [u16; 2],
    reserve: [Msat; 2],
    policy: [FeePolicy; 2],
    status: ChannelStatus,
    /// State number: incremented by every committed update (lock, settle, fail, splice).
    version: u64,
}

impl ChannelState {
    fn from_spec(s: &ChannelSpec) -> Self {
        ChannelState {
            nodes: s.nodes,
            capacity: s.capacity,
            balance: s.balance,
            inflight: [Msat::ZERO; 2],
            htlcs: [0; 2],
            reserve: s.reserve,
            policy: s.policy,
            status: ChannelStatus::Open,
            version: 0,
        }
    }

    /// The two endpoints: side `d` is `nodes()[d]`.
    #[inline]
    pub fn nodes(&self) -> [NodeId; 2] {
        self.nodes
    }
    /// The node at side `d`.
    #[inline]
    pub fn node(&self, d: usize) -> NodeId {
        self.nodes[d]
    }
    #[inline]
    pub fn capacity(&self) -> Msat {
        self.capacity
    }
    /// Settled balance of side `d`, not counting HTLCs it has in flight.
    #[inline]
    pub fn balance(&self, d: usize) -> Msat {
        self.balance[d]
    }
    /// Settled balances of both sides.
    #[inline]
    pub fn balances(&self) -> [Msat; 2] {
        self.balance
    }
    /// In-flight sums of both sides.
    #[inline]
    pub fn inflights(&self) -> [Msat; 2] {
        self.inflight
    }
    /// Sum of the HTLCs side `d` has offered and that are still in flight.
    #[inline]
    pub fn inflight(&self, d: usize) -> Msat {
        self.inflight[d]
    }
    /// Number of HTLCs in flight offered by side `d`.
    #[inline]
    pub fn htlcs(&self, d: usize) -> u16 {
        self.htlcs[d]
    }
    /// Balance plus own in-flight HTLCs of side `d`: what it holds until they resolve.
    #[inline]
    pub fn local(&self, d: usize) -> Msat {
        self.balance[d] + self.inflight[d]
    }
    #[inline]
    pub fn reserve(&self, d: usize) -> Msat {
        self.reserve[d]
    }
    /// The forwarding policy side `d` applies to HTLCs it sends out over this channel.
    #[inline]
    pub fn policy(&self, d: usize) -> &FeePolicy {
        &self.policy[d]
    }
    #[inline]
    pub fn status(&self) -> ChannelStatus {
        self.status
    }
    /// State number: incremented by every committed update.
    #[inline]
    pub fn version(&self) -> u64 {
        self.version
    }

    /// What side `d` can offer in a new HTLC right now (above its reserve).
    #[inline]
    pub fn spendable(&self, d: usize) -> Msat {
        self.balance[d].saturating_sub(self.reserve[d])
    }

    /// The most a sender believes direction `d` can carry: min(max HTLC, capacity), or 0
    /// when the channel is not open. Copied into the route-search adjacency.
    #[inline]
    fn route_limit(&self, d: usize) -> u64 {
        if self.status == ChannelStatus::Open {
            self.policy[d].max_htlc.0.min(self.capacity.0)
        } else {
            0
        }
    }

    /// Why side `d` can not offer an HTLC of `amount` now, if it can not.
    #[inline]
    pub fn check_offer(&self, d: usize, amount: Msat) -> Result<(), OfferRefusal> {
        let p = &self.policy[d];
        if self.status != ChannelStatus::Open {
            return Err(OfferRefusal::Closed);
        }
        if amount < p.min_htlc || amount > p.max_htlc {
            return Err(OfferRefusal::Policy);
        }
        if self.htlcs[d] >= p.max_accepted_htlcs {
            return Err(OfferRefusal::TooManyHtlcs);
        }
        if self.spendable(d) < amount {
            return Err(OfferRefusal::Balance);
        }
        Ok(())
    }

    /// Whether side `d` could offer an HTLC of *some* amount `>= at_least` now, i.e. whether
    /// [`ChannelState::check_offer`] accepts some `a >= at_least`. O(1). Lets route search
    /// answer "no route" from the sender's own channels alone (a route's first hop carries
    /// the payment plus fees, so at least the payment).
    #[inline]
    pub fn could_offer_at_least(&self, d: usize, at_least: Msat) -> bool {
        let p = &self.policy[d];
        self.status == ChannelStatus::Open
            && self.htlcs[d] < p.max_accepted_htlcs
            && at_least.max(p.min_htlc) <= p.max_htlc.min(self.spendable(d))
    }

    /// Local share of side `d`: its balance plus what it has in flight, over capacity.
    pub fn share(&self, d: usize) -> f64 {
        if self.capacity.0 == 0 {
            return 0.0;
        }
        (self.balance[d].0 + self.inflight[d].0) as f64 / self.capacity.0 as f64
    }

    #[inline]
    pub fn conserved(&self) -> bool {
        self.balance[0].0 as u128
            + self.balance[1].0 as u128
            + self.inflight[0].0 as u128
            + self.inflight[1].0 as u128
            == self.capacity.0 as u128
    }

    /// The side of `n` in this channel.
    pub fn side_of(&self, n: NodeId) -> Option<usize> {
        if self.nodes[0] == n {
            Some(0)
        } else if self.nodes[1] == n {
            Some(1)
        } else {
            None
        }
    }
}

/// Why an HTLC offer was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferRefusal {
    Balance,
    Policy,
    TooManyHtlcs,
    Closed,
}

/// One directed edge as seen from its *destination* node, for backward route search.
/// Static fields are copied here for cache locality; it is rebuilt when the channel set
/// or a capacity changes.
#[derive(Debug, Clone, Copy)]
pub struct InEdge {
    /// The channel.
    pub chan: u32,
    /// The node the edge comes from.
    pub from: u32,
    /// The side of `from` in the channel, i.e. the direction of the edge.
    pub dir: u8,
    /// `from` has this one channel only: it can start or end a route, never forward on one
    /// (it would have to use this channel twice). Lets the search skip leaves.
    pub from_is_leaf: bool,
    pub cltv_delta: u16,
    pub fee_ppm: u32,
    pub base_fee: u64,
    pub min_htlc: u64,
    /// min(max_htlc, capacity): the most the sender believes can pass; 0 when the channel
    /// is not open (so the route search needs no second, cache-missing lookup).
    pub max_amount: u64,
}

/// The mutable network of one run.
#[derive(Debug, Clone)]
pub struct Network {
    channels: Vec<ChannelState>,
    node_count: usize,
    /// CSR adjacency of incoming edges: node v's are `in_edges[in_start[v]..in_start[v+1]]`.
    in_start: Vec<u32>,
    in_edges: Vec<InEdge>,
    /// Channels of each node (both directions), CSR with `in_start` (a node has one
    /// in-edge per channel).
    node_chans: Vec<u32>,
    /// Position in `in_edges` of directed edge `chan * 2 + dir`.
    slot: Vec<u32>,
    /// `in_edges[i].from` alone (4 bytes instead of 48): the neighbours of each node, CSR
    /// with `in_start`, one per channel (closed ones included). The A* hop bound's
    /// breadth-first search reads only these.
    nbrs: Vec<u32>,
}

impl Network {
    pub fn new(t: &Topology) -> Self {
        let channels = t
            .channels()
            .map(|(_, s)| ChannelState::from_spec(s))
            .collect();
        let mut n = Network {
            channels,
            node_count: t.node_count(),
            in_start: Vec::new(),
            in_edges: Vec::new(),
            node_chans: Vec::new(),
            slot: Vec::new(),
            nbrs: Vec::new(),
        };
        n.rebuild_adjacency();
        n
    }

    pub fn node_count(&self) -> usize {
        self.node_count
    }

    /// Number of channels (open, closing or closed).
    #[inline]
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Every channel's state, indexed by [`ChannelId`].
    #[inline]
    pub fn channels(&self) -> &[ChannelState] {
        &self.channels
    }

    /// The channel states, for inspection after a run.
    pub fn into_channels(self) -> Vec<ChannelState> {
        self.channels
    }

    /// Rebuilds the CSR adjacency (after an open, close or splice). O(N + M).
    pub fn rebuild_adjacency(&mut self) {
        let n = self.node_count;
        let mut deg = vec![0u32; n + 1];
        for c in &self.channels {
            deg[c.nodes[0].idx()] += 1;
            deg[c.nodes[1].idx()] += 1;
        }
        let mut start = vec![0u32; n + 1];
        for v in 0..n {
            start[v + 1] = start[v] + deg[v];
        }
        let total = start[n] as usize;
        let mut fill = start.clone();
        let mut chans = vec![0u32; total];
        let dummy = InEdge {
            chan: 0,
            from: 0,
            dir: 0,
            from_is_leaf: false,
            cltv_delta: 0,
            fee_ppm: 0,
            base_fee: 0,
            min_htlc: 0,
            max_amount: 0,
        };
        let mut edges = vec![dummy; total];
        let mut slot_of = vec![0u32; self.channels.len() * 2];
        for (ci, c) in self.channels.iter().enumerate() {
            for d in 0..2 {
                // Edge from side d to side 1-d, stored at its destination.
                let to = c.nodes[1 - d].idx();
                let slot = fill[to] as usize;
                fill[to] += 1;
                let p = &c.policy[d];
                chans[slot] = ci as u32;
                slot_of[ci * 2 + d] = slot as u32;
                edges[slot] = InEdge {
                    chan: ci as u32,
                    from: c.nodes[d].0,
                    dir: d as u8,
                    from_is_leaf: deg[c.nodes[d].idx()] == 1,
                    cltv_delta: p.cltv_delta,
                    fee_ppm: p.fee_ppm,
                    base_fee: p.base_fee.0,
                    min_htlc: p.min_htlc.0,
                    max_amount: c.route_limit(d),
                };
            }
        }
        self.slot = slot_of;
        self.nbrs = edges.iter().map(|e| e.from).collect();
        self.in_start = start;
        self.in_edges = edges;
        self.node_chans = chans;
    }

    /// Position of directed edge (`c`, `dir`) in the flat in-edge array (see
    /// [`Network::in_edges_from`]).
    #[inline]
    pub fn slot(&self, c: ChannelId, dir: u8) -> usize {
        self.slot[c.idx() * 2 + dir as usize] as usize
    }

    /// Directed edges arriving at `v` and the flat position of the first one.
    #[inline]
    pub fn in_edges_from(&self, v: NodeId) -> (usize, &[InEdge]) {
        let a = self.in_start[v.idx()] as usize;
        (a, &self.in_edges[a..self.in_start[v.idx() + 1] as usize])
    }

    /// Directed edges arriving at `v`.
    #[inline]
    pub fn in_edges(&self, v: NodeId) -> &[InEdge] {
        &self.in_edges[self.in_start[v.idx()] as usize..self.in_start[v.idx() + 1] as usize]
    }

    /// Neighbours of `v`, one per channel (open or not, so a node twice if it shares two
    /// channels with `v`), in the order of [`Network::in_edges`]: `neighbours(v)[i] ==
    /// in_edges(v)[i].from`. A compact list for searches that need only the topology.
    #[inline]
    pub fn neighbours(&self, v: NodeId) -> &[u32] {
        &self.nbrs[self.in_start[v.idx()] as usize..self.in_start[v.idx() + 1] as usize]
    }

    /// Channels of `v` (open or not), in channel-id order.
    #[inline]
    pub fn channels_of(&self, v: NodeId) -> impl Iterator<Item = ChannelId> + '_ {
        self.node_chans[self.in_start[v.idx()] as usize..self.in_start[v.idx() + 1] as usize]
            .iter()
            .map(|&c| ChannelId(c))
    }

    #[inline]
    pub fn chan(&self, c: ChannelId) -> &ChannelState {
        &self.channels[c.idx()]
    }

    /// Offers an HTLC of `amount` from side `d` of `c`: moves it from balance to in-flight.
    #[inline]
    pub fn lock(&mut self, c: ChannelId, d: usize, amount: Msat) -> Result<(), OfferRefusal> {
        let ch = &mut self.channels[c.idx()];
        ch.check_offer(d, amount)?;
        ch.balance[d] -= amount;
        ch.inflight[d] += amount;
        ch.htlcs[d] += 1;
        ch.version += 1;
        debug_assert!(ch.conserved());
        Ok(())
    }

    /// Settles an HTLC offered by side `d`: the amount goes to the other side.
    #[inline]
    pub fn settle(&mut self, c: ChannelId, d: usize, amount: Msat) {
        let ch = &mut self.channels[c.idx()];
        ch.inflight[d] -= amount;
        ch.htlcs[d] -= 1;
        ch.balance[1 - d] += amount;
        ch.version += 1;
        debug_assert!(ch.conserved());
    }

    /// Fails an HTLC offered by side `d`: the amount returns to side `d`.
    #[inline]
    pub fn fail(&mut self, c: ChannelId, d: usize, amount: Msat) {
        let ch = &mut self.channels[c.idx()];
        ch.inflight[d] -= amount;
        ch.htlcs[d] -= 1;
        ch.balance[d] += amount;
        ch.version += 1;
        debug_assert!(ch.conserved());
    }

    /// Adds outside money to side `d` (splice-in, swap settlement): capacity grows.
    pub fn deposit(&mut self, c: ChannelId, d: usize, amount: Msat) {
        let ch = &mut self.channels[c.idx()];
        ch.balance[d] += amount;
        ch.capacity += amount;
        ch.version += 1;
        debug_assert!(ch.conserved());
        self.refresh_edges(c);
    }

    /// Removes money from side `d` (splice-out): capacity shrinks. Fails if side `d` does
    /// not have `amount` above its reserve.
    pub fn withdraw(&mut self, c: ChannelId, d: usize, amount: Msat) -> Result<(), OfferRefusal> {
        let ch = &mut self.channels[c.idx()];
        if ch.status != ChannelStatus::Open {
            return Err(OfferRefusal::Closed);
        }
        if ch.spendable(d) < amount {
            return Err(OfferRefusal::Balance);
        }
        ch.balance[d] -= amount;
        ch.capacity -= amount;
        ch.version += 1;
        debug_assert!(ch.conserved());
        self.refresh_edges(c);
        Ok(())
    }

    /// Opens a new channel (after its funding confirmed). Returns its id.
    pub fn open_channel(&mut self, spec: &ChannelSpec) -> ChannelId {
        self.channels.push(ChannelState::from_spec(spec));
        self.rebuild_adjacency();
        ChannelId(self.channels.len() as u32 - 1)
    }

    /// A new state number without a balance change (the co-signed closing state).
    pub fn bump_version(&mut self, c: ChannelId) {
        self.channels[c.idx()].version += 1;
    }

    /// Sets a channel's status (closing or closed: no new HTLCs).
    pub fn set_status(&mut self, c: ChannelId, s: ChannelStatus) {
        self.channels[c.idx()].status = s;
        self.refresh_edges(c);
    }

    /// Updates the route-search copy of `c`'s capacity and status in its two in-edges.
    /// O(1): splices and closes do not rebuild the adjacency.
    fn refresh_edges(&mut self, c: ChannelId) {
        for d in 0..2u8 {
            let limit = self.channels[c.idx()].route_limit(d as usize);
            let slot = self.slot(c, d);
            self.in_edges[slot].max_amount = limit;
        }
    }

    /// Checks conservation on every channel; returns the first violating channel.
    pub fn check_conservation(&self) -> Result<(), ChannelId> {
        match self.channels.iter().position(|c| !c.conserved()) {
            Some(i) => Err(ChannelId(i as u32)),
            None => Ok(()),
        }
    }

    /// Sum over channels of capacity (open and closing).
    pub fn total_capacity(&self) -> Msat {
        self.channels
            .iter()
            .filter(|c| c.status != ChannelStatus::Closed)
            .map(|c| c.capacity)
            .sum()
    }

    /// Total local funds of node `v` (balances plus own in-flight) over its open channels.
    pub fn node_funds(&self, v: NodeId) -> (Msat, Msat) {
        let mut local = Msat::ZERO;
        let mut remote = Msat::ZERO;
        for c in self.channels_of(v) {
            let ch = self.chan(c);
            if ch.status != ChannelStatus::Open {
                continue;
            }
            if let Some(d) = ch.side_of(v) {
                local += ch.balance[d];
                remote += ch.balance[1 - d];
            }
        }
        (local, remote)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::{line, policy};

    fn limits(n: &Network) -> Vec<(u32, u8, u64)> {
        n.in_edges
            .iter()
            .map(|e| (e.chan, e.dir, e.max_amount))
            .collect()
    }

    #[test]
    fn in_place_edge_refresh_equals_a_rebuild() {
        let t = line(&[(500, 500), (300, 700), (100, 900)], policy(0, 0));
        let mut n = Network::new(&t);
        n.deposit(ChannelId(1), 0, Msat::from_sat(4_000));
        n.withdraw(ChannelId(2), 1, Msat::from_sat(400)).unwrap();
        n.set_status(ChannelId(0), ChannelStatus::Closing);
        let mut rebuilt = n.clone();
        rebuilt.rebuild_adjacency();
        assert_eq!(limits(&n), limits(&rebuilt));
        // Capacities as the router sees them: 1,000 + 4,000 sat; 1,000 − 400 sat; closed 0.
        let lim = |c: u32| limits(&n).iter().find(|x| x.0 == c).map(|x| x.2);
        assert_eq!(lim(1), Some(5_000_000));
        assert_eq!(lim(2), Some(600_000));
        assert_eq!(lim(0), Some(0));
    }
}
