//! Liquidity bounds a sender learned about remote channels (LDK's `ChannelLiquidity`, the
//! min-cost-flow router's uncertainty network): per directed edge, the liquidity is believed
//! to lie in `[min, max]`, learned from its own payments' outcomes and decaying back toward
//! `[0, capacity]` with a half-life.
//!
//! Sparse, per sender, bounded: at most `memory` edges per sender (the least recently
//! updated is forgotten first). No hashing: a linear scan of a short vector.

use super::Hop;
use crate::network::Network;
use crate::topology::NodeId;
use crate::units::{SimDuration, SimTime};

/// What a sender knows of one directed edge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    pub chan: u32,
    pub dir: u8,
    pub min: u64,
    pub max: u64,
    pub time: SimTime,
}

/// Every sender's bounds.
#[derive(Debug, Clone, Default)]
pub struct Knowledge {
    per_node: Vec<Vec<Bound>>,
    pub memory: usize,
    pub half_life: SimDuration,
}

/// `b`'s bounds decayed to `now` toward `[0, cap]`.
pub fn decayed(b: &Bound, cap: u64, now: SimTime, half_life: SimDuration) -> (u64, u64) {
    let age = now.since(b.time).micros() as f64;
    let f = 0.5f64.powf(age / half_life.micros().max(1) as f64);
    let min = (b.min as f64 * f) as u64;
    let max = cap - ((cap.saturating_sub(b.max)) as f64 * f) as u64;
    (min.min(cap), max.max(min).min(cap))
}

impl Knowledge {
    pub fn new(nodes: usize, memory: usize, half_life: SimDuration) -> Self {
        Knowledge {
            per_node: vec![Vec::new(); nodes],
            memory: memory.max(1),
            half_life,
        }
    }

    pub fn entries(&self, sender: NodeId) -> &[Bound] {
        self.per_node
            .get(sender.idx())
            .map(|v| v.as_slice())
            .unwrap_or(&[])
    }

    /// Applies `f` to the (decayed) bounds of `(chan, dir)` as `sender` knows them.
    fn update(
        &mut self,
        net: &Network,
        sender: NodeId,
        h: &Hop,
        now: SimTime,
        f: impl FnOnce(u64, u64) -> (u64, u64),
    ) {
        if self.per_node.len() <= sender.idx() {
            self.per_node.resize(sender.idx() + 1, Vec::new());
        }
        let cap = net.chan(h.chan).capacity().0;
        let hl = self.half_life;
        let v = &mut self.per_node[sender.idx()];
        let pos = v.iter().position(|b| b.chan == h.chan.0 && b.dir == h.dir);
        let (min, max) = match pos {
            Some(i) => decayed(&v[i], cap, now, hl),
            None => (0, cap),
        };
        let (min, max) = f(min, max);
        let b = Bound {
            chan: h.chan.0,
            dir: h.dir,
            min: min.min(cap),
            max: max.min(cap).max(min.min(cap)),
            time: now,
        };
        match pos {
            Some(i) => {
                v.remove(i);
            }
            None if v.len() >= self.memory => {
                v.remove(0);
            }
            None => {}
        }
        v.push(b);
    }

    /// The route failed at `failed_hop`: the earlier hops carried their amounts, the failed
    /// one could not (LDK's `payment_path_failed`).
    pub fn learn_failure(
        &mut self,
        net: &Network,
        sender: NodeId,
        route: &[Hop],
        failed_hop: usize,
        now: SimTime,
    ) {
        for (k, h) in route.iter().enumerate().skip(1) {
            if k < failed_hop {
                self.update(net, sender, h, now, |mn, mx| (mn.max(h.amount.0), mx));
            } else if k == failed_hop {
                let a = h.amount.0.saturating_sub(1);
                self.update(net, sender, h, now, |mn, mx| (mn.min(a), mx.min(a)));
            }
        }
    }

    /// The route settled: each hop's liquidity moved by its amount (LDK's
    /// `payment_path_successful`).
    pub fn learn_success(&mut self, net: &Network, sender: NodeId, route: &[Hop], now: SimTime) {
        for h in route.iter().skip(1) {
            let a = h.amount.0;
            self.update(net, sender, h, now, |mn, mx| {
                (mn.saturating_sub(a), mx.saturating_sub(a))
            });
        }
    }
}
