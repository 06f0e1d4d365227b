//! The ledger: the run's [`Network`] together with the security model's signer.
//!
//! It is the engine's only handle on channel state. Every update the protocol co-signs
//! (an HTLC locked, settled or failed, a deposit, a withdrawal, a co-signed closing state)
//! goes through one method here that changes the network *and* has the new state signed,
//! so no call site can change a channel and forget the signature. Status changes (a close
//! pending or done, a dispute reopening a channel) and channel opens are not co-signed
//! states and are not signed. The engine reads the network through [`Ledger::net`].

use crate::network::{ChannelStatus, Network, OfferRefusal};
use crate::security::SecurityState;
use crate::topology::{ChannelId, ChannelSpec};
use crate::units::Msat;

pub(super) struct Ledger {
    net: Network,
    /// Security model (signed states, disputes); `None` without `[security]`.
    sec: Option<Box<SecurityState>>,
    /// Channels changed since the engine last looked (duplicates allowed): the engine
    /// re-evaluates their depletion after every event (`channels.csv`).
    pub(super) touched: Vec<ChannelId>,
}

impl Ledger {
    pub(super) fn new(net: Network, sec: Option<Box<SecurityState>>) -> Self {
        Ledger {
            net,
            sec,
            touched: Vec::new(),
        }
    }

    /// The network, read-only.
    #[inline]
    pub(super) fn net(&self) -> &Network {
        &self.net
    }

    /// The security model's state, if the run has one.
    #[inline]
    pub(super) fn sec(&self) -> Option<&SecurityState> {
        self.sec.as_deref()
    }

    /// The network (read-only) and the security state (mutable), for the security hooks.
    #[inline]
    pub(super) fn sec_parts(&mut self) -> (&Network, Option<&mut SecurityState>) {
        (&self.net, self.sec.as_deref_mut())
    }

    /// Gives up the parts at the end of a run.
    pub(super) fn into_parts(self) -> (Network, Option<Box<SecurityState>>) {
        (self.net, self.sec)
    }

    /// Channel `c` committed an update (its version was incremented): co-sign it.
    #[inline]
    fn signed(&mut self, c: ChannelId) {
        self.touched.push(c);
        if let Some(s) = self.sec.as_deref_mut() {
            s.on_update(&self.net, c);
        }
    }

    /// Side `d` of `c` offers an HTLC of `amount` (see [`Network::lock`]).
    #[inline]
    pub(super) fn lock(
        &mut self,
        c: ChannelId,
        d: usize,
        amount: Msat,
    ) -> Result<(), OfferRefusal> {
        self.net.lock(c, d, amount)?;
        self.signed(c);
        Ok(())
    }

    /// An HTLC offered by side `d` of `c` settles (see [`Network::settle`]).
    #[inline]
    pub(super) fn settle(&mut self, c: ChannelId, d: usize, amount: Msat) {
        self.net.settle(c, d, amount);
        self.signed(c);
    }

    /// An HTLC offered by side `d` of `c` fails back (see [`Network::fail`]).
    #[inline]
    pub(super) fn fail(&mut self, c: ChannelId, d: usize, amount: Msat) {
        self.net.fail(c, d, amount);
        self.signed(c);
    }

    /// Outside money joins side `d` of `c` (see [`Network::deposit`]).
    pub(super) fn deposit(&mut self, c: ChannelId, d: usize, amount: Msat) {
        self.net.deposit(c, d, amount);
        self.signed(c);
    }

    /// Money leaves side `d` of `c` (see [`Network::withdraw`]).
    pub(super) fn withdraw(
        &mut self,
        c: ChannelId,
        d: usize,
        amount: Msat,
    ) -> Result<(), OfferRefusal> {
        self.net.withdraw(c, d, amount)?;
        self.signed(c);
        Ok(())
    }

    /// Both parties sign a closing state (a new version, same balances).
    pub(super) fn sign_closing_state(&mut self, c: ChannelId) {
        self.net.bump_version(c);
        self.signed(c);
    }

    /// A close is pending, done, or undone (not a co-signed state).
    pub(super) fn set_status(&mut self, c: ChannelId, s: ChannelStatus) {
        self.net.set_status(c, s);
        self.touched.push(c);
    }

    /// A funding transaction confirmed.
    pub(super) fn open_channel(&mut self, spec: &ChannelSpec) -> ChannelId {
        let c = self.net.open_channel(spec);
        self.touched.push(c);
        c
    }
}
