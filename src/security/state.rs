//! Channel states as the two parties co-sign them, and their canonical byte encoding.
//!
//! A [`ChannelStateMsg`] is what both parties of a channel agree on after each committed
//! update: channel id, version (state number), settled balances and in-flight HTLC sums.
//! [`SignedState`] adds one signature per party over the canonical encoding. A [`Signer`]
//! produces and checks them either for real (ed25519) or in a *modelled* way (signatures
//! elided: a cheap marker that binds side, channel, version and a hash of the state).
//!
//! **Canonical encoding** (all integers little-endian, fixed width):
//! `DOMAIN (24 bytes) | body length u32 (= 48) | channel u32 | version u64 | balance[0] u64 |
//! balance[1] u64 | inflight[0] u64 | inflight[1] u64 | htlcs[0] u16 | htlcs[1] u16`.
//! A signed state appends `signature count u8 (= 2) | sig[0] (64) | sig[1] (64)`.
//! Decoding never panics: any other length, prefix or count is [`StateError::Malformed`].
//! No I/O.

use super::keys::Keyring;
use crate::topology::NodeId;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

/// Domain-separation prefix of every encoded state (never reused for anything else).
pub const DOMAIN: &[u8; 24] = b"pcnsim/channel-state/v1\0";
const BODY_LEN: usize = 4 + 8 + 8 * 2 + 8 * 2 + 2 * 2;
/// Length of an encoded [`ChannelStateMsg`].
pub const STATE_LEN: usize = DOMAIN.len() + 4 + BODY_LEN;
/// Length of an encoded [`SignedState`].
pub const SIGNED_LEN: usize = STATE_LEN + 1 + 2 * 64;

/// One co-signed channel state. Amounts in msat; side `d` is `nodes[d]` of the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChannelStateMsg {
    pub channel: u32,
    pub version: u64,
    /// Settled balance of each side.
    pub balance: [u64; 2],
    /// Sum of the HTLCs in flight offered by each side.
    pub inflight: [u64; 2],
    /// Number of HTLCs in flight offered by each side.
    pub htlcs: [u16; 2],
}

impl ChannelStateMsg {
    /// The channel's state as the engine holds it now.
    pub fn of(channel: u32, ch: &crate::network::ChannelState) -> Self {
        ChannelStateMsg {
            channel,
            version: ch.version(),
            balance: [ch.balance(0).0, ch.balance(1).0],
            inflight: [ch.inflight(0).0, ch.inflight(1).0],
            htlcs: [ch.htlcs(0), ch.htlcs(1)],
        }
    }

    /// What side `d` can claim on chain from this state: its balance plus the HTLCs it
    /// offered (which time out back to it). Saturates instead of overflowing.
    pub fn claim(&self, d: usize) -> u64 {
        let d = d.min(1);
        self.balance[d].saturating_add(self.inflight[d])
    }

    /// The funding amount this state distributes, or `None` if it overflows `u64`.
    pub fn total(&self) -> Option<u64> {
        self.balance[0]
            .checked_add(self.balance[1])?
            .checked_add(self.inflight[0])?
            .checked_add(self.inflight[1])
    }

    /// The canonical encoding (see the module docs).
    pub fn to_bytes(&self) -> [u8; STATE_LEN] {
        let mut b = [0u8; STATE_LEN];
        let mut w = Writer { buf: &mut b, at: 0 };
        w.put(DOMAIN);
        w.put(&(BODY_LEN as u32).to_le_bytes());
        w.put(&self.channel.to_le_bytes());
        w.put(&self.version.to_le_bytes());
        for x in self.balance.iter().chain(&self.inflight) {
            w.put(&x.to_le_bytes());
        }
        for h in self.htlcs {
            w.put(&h.to_le_bytes());
        }
        b
    }

    /// Decodes a canonical encoding; never panics.
    pub fn from_bytes(b: &[u8]) -> Result<Self, StateError> {
        if b.len() != STATE_LEN || &b[..DOMAIN.len()] != DOMAIN {
            return Err(StateError::Malformed);
        }
        let mut r = Reader {
            buf: b,
            at: DOMAIN.len(),
        };
        if r.u32()? as usize != BODY_LEN {
            return Err(StateError::Malformed);
        }
        let channel = r.u32()?;
        let version = r.u64()?;
        let balance = [r.u64()?, r.u64()?];
        let inflight = [r.u64()?, r.u64()?];
        let htlcs = [r.u16()?, r.u16()?];
        let s = ChannelStateMsg {
            channel,
            version,
            balance,
            inflight,
            htlcs,
        };
        if s.total().is_none() {
            return Err(StateError::Malformed);
        }
        Ok(s)
    }
}

struct Writer<'a> {
    buf: &'a mut [u8],
    at: usize,
}
impl Writer<'_> {
    fn put(&mut self, x: &[u8]) {
        self.buf[self.at..self.at + x.len()].copy_from_slice(x);
        self.at += x.len();
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}
impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], StateError> {
        let end = self.at.checked_add(N).ok_or(StateError::Malformed)?;
        let s = self.buf.get(self.at..end).ok_or(StateError::Malformed)?;
        self.at = end;
        s.try_into().map_err(|_| StateError::Malformed)
    }
    fn u16(&mut self) -> Result<u16, StateError> {
        self.take::<2>().map(u16::from_le_bytes)
    }
    fn u32(&mut self) -> Result<u32, StateError> {
        self.take::<4>().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Result<u64, StateError> {
        self.take::<8>().map(u64::from_le_bytes)
    }
}

/// Why a signed state was rejected. Never fatal: rejected evidence is counted and dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// The bytes are not a canonical encoding (length, prefix, count or overflowing sums).
    #[error("malformed state encoding")]
    Malformed,
    /// The state is for another channel than the one disputed.
    #[error("state for channel {found}, expected {expected}")]
    WrongChannel { expected: u32, found: u32 },
    /// The signature of side `side` is missing or does not verify.
    #[error("bad or missing signature of side {side}")]
    BadSignature { side: u8 },
    /// A key for one of the parties is unknown.
    #[error("unknown key for a channel party")]
    UnknownKey,
}

/// A state with both parties' signatures over its canonical encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedState {
    pub state: ChannelStateMsg,
    pub sigs: [Signature; 2],
}

impl SignedState {
    /// Canonical encoding: state, count byte 2, both signatures.
    pub fn to_bytes(&self) -> [u8; SIGNED_LEN] {
        let mut b = [0u8; SIGNED_LEN];
        b[..STATE_LEN].copy_from_slice(&self.state.to_bytes());
        b[STATE_LEN] = 2;
        b[STATE_LEN + 1..STATE_LEN + 65].copy_from_slice(&self.sigs[0].to_bytes());
        b[STATE_LEN + 65..].copy_from_slice(&self.sigs[1].to_bytes());
        b
    }

    /// Decodes a signed state; never panics. Signatures are not checked here (see
    /// [`SignedState::verify`]).
    pub fn from_bytes(b: &[u8]) -> Result<Self, StateError> {
        if b.len() != SIGNED_LEN || b[STATE_LEN] != 2 {
            return Err(StateError::Malformed);
        }
        let state = ChannelStateMsg::from_bytes(&b[..STATE_LEN])?;
        let s0: [u8; 64] = b[STATE_LEN + 1..STATE_LEN + 65]
            .try_into()
            .map_err(|_| StateError::Malformed)?;
        let s1: [u8; 64] = b[STATE_LEN + 65..]
            .try_into()
            .map_err(|_| StateError::Malformed)?;
        Ok(SignedState {
            state,
            sigs: [Signature::from_bytes(&s0), Signature::from_bytes(&s1)],
        })
    }

    /// Signs `state` with both parties' keys (real ed25519).
    pub fn sign_real(state: ChannelStateMsg, keys: [&SigningKey; 2]) -> Self {
        let msg = state.to_bytes();
        SignedState {
            state,
            sigs: [keys[0].sign(&msg), keys[1].sign(&msg)],
        }
    }

    /// Checks both ed25519 signatures (strict verification) and the channel id.
    ///
    /// Complexity: two signature verifications (~2 × 40 µs).
    pub fn verify(
        &self,
        keys: [&VerifyingKey; 2],
        expected_channel: u32,
    ) -> Result<(), StateError> {
        self.check_channel(expected_channel)?;
        let msg = self.state.to_bytes();
        for (side, k) in keys.iter().enumerate() {
            k.verify_strict(&msg, &self.sigs[side])
                .map_err(|_| StateError::BadSignature { side: side as u8 })?;
        }
        Ok(())
    }

    /// A forgery: `state` carries a valid signature of side `side` only (real with `key`, or
    /// its modelled marker) and, for the other side, the signature it gave to `countersigned`
    /// — a different state — which is all a cheater has. Verification always rejects it.
    pub fn forge(
        state: ChannelStateMsg,
        side: usize,
        key: Option<&SigningKey>,
        countersigned: &SignedState,
    ) -> Self {
        let mut sigs = countersigned.sigs;
        sigs[side] = match key {
            Some(k) => k.sign(&state.to_bytes()),
            None => marker(&state, side as u8),
        };
        SignedState { state, sigs }
    }

    /// A modelled signature: no cryptography, only markers binding each party to this
    /// channel, version and state hash.
    pub fn sign_modelled(state: ChannelStateMsg) -> Self {
        SignedState {
            state,
            sigs: [marker(&state, 0), marker(&state, 1)],
        }
    }

    /// Modelled verification: channel id, and both parties' markers for this exact
    /// (channel, version, state) — a state nobody signed has no valid marker.
    pub fn verify_modelled(&self, expected_channel: u32) -> Result<(), StateError> {
        self.check_channel(expected_channel)?;
        for side in 0..2 {
            if self.sigs[side] != marker(&self.state, side as u8) {
                return Err(StateError::BadSignature { side: side as u8 });
            }
        }
        Ok(())
    }

    fn check_channel(&self, expected: u32) -> Result<(), StateError> {
        if self.state.channel != expected {
            return Err(StateError::WrongChannel {
                expected,
                found: self.state.channel,
            });
        }
        if self.state.total().is_none() {
            return Err(StateError::Malformed);
        }
        Ok(())
    }
}

/// FNV-1a over bytes (a fixed, documented hash; not a security primitive).
fn fnv1a(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &x in b {
        h ^= x as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

/// The modelled "signature" of side `side`: `MODL | side | channel | version | fnv(state)`.
fn marker(s: &ChannelStateMsg, side: u8) -> Signature {
    let mut b = [0u8; 64];
    b[..4].copy_from_slice(b"MODL");
    b[4] = side;
    b[5..9].copy_from_slice(&s.channel.to_le_bytes());
    b[9..17].copy_from_slice(&s.version.to_le_bytes());
    b[17..25].copy_from_slice(&fnv1a(&s.to_bytes()).to_le_bytes());
    Signature::from_bytes(&b)
}

/// How channel states are signed and checked in a run.
#[derive(Debug, Clone)]
pub enum Signer {
    /// Real ed25519 signatures with per-node keys.
    Real(Keyring),
    /// Signatures elided: versions and ownership are tracked, markers stand for signatures.
    Modelled,
}

impl Signer {
    /// Both parties `nodes` sign `state`. Returns `None` if a key is unknown.
    pub fn sign(&self, state: ChannelStateMsg, nodes: [NodeId; 2]) -> Option<SignedState> {
        match self {
            Signer::Real(k) => Some(SignedState::sign_real(
                state,
                [k.signing(nodes[0])?, k.signing(nodes[1])?],
            )),
            Signer::Modelled => Some(SignedState::sign_modelled(state)),
        }
    }

    /// Checks that `s` is a state of `channel` signed by both `nodes`.
    pub fn verify(
        &self,
        s: &SignedState,
        nodes: [NodeId; 2],
        channel: u32,
    ) -> Result<(), StateError> {
        match self {
            Signer::Real(k) => {
                let (Some(a), Some(b)) = (k.verifying(nodes[0]), k.verifying(nodes[1])) else {
                    return Err(StateError::UnknownKey);
                };
                s.verify([a, b], channel)
            }
            Signer::Modelled => s.verify_modelled(channel),
        }
    }

    pub fn is_real(&self) -> bool {
        matches!(self, Signer::Real(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng;
    use rand::Rng;

    fn st() -> ChannelStateMsg {
        ChannelStateMsg {
            channel: 3,
            version: 9,
            balance: [700, 250],
            inflight: [50, 0],
            htlcs: [1, 0],
        }
    }

    #[test]
    fn encoding_round_trips_and_is_fixed_width() {
        let s = st();
        let b = s.to_bytes();
        assert_eq!(b.len(), 24 + 4 + 48);
        assert_eq!(&b[..24], DOMAIN);
        assert_eq!(&b[28..32], &3u32.to_le_bytes());
        assert_eq!(ChannelStateMsg::from_bytes(&b), Ok(s));
        assert_eq!(s.claim(0), 750);
        assert_eq!(s.total(), Some(1000));
    }

    #[test]
    fn real_and_modelled_signatures_verify_and_reject() {
        let k = Keyring::from_seed(1, 3);
        let real = Signer::Real(k);
        let nodes = [NodeId(0), NodeId(2)];
        for signer in [real, Signer::Modelled] {
            let s = signer.sign(st(), nodes).expect("keys exist");
            assert_eq!(signer.verify(&s, nodes, 3), Ok(()));
            // Wrong channel.
            assert_eq!(
                signer.verify(&s, nodes, 4),
                Err(StateError::WrongChannel {
                    expected: 4,
                    found: 3
                })
            );
            // A balance change nobody signed.
            let mut forged = s.clone();
            forged.state.balance = [950, 0];
            forged.state.inflight = [50, 0];
            assert!(matches!(
                signer.verify(&forged, nodes, 3),
                Err(StateError::BadSignature { .. })
            ));
            // A missing signature (side 1's replaced by side 0's).
            let mut missing = s.clone();
            missing.sigs[1] = missing.sigs[0];
            assert_eq!(
                signer.verify(&missing, nodes, 3),
                Err(StateError::BadSignature { side: 1 })
            );
            // Round trip.
            assert_eq!(SignedState::from_bytes(&s.to_bytes()).as_ref(), Ok(&s));
        }
        // Real: another party's keys do not verify.
        let k = Keyring::from_seed(1, 3);
        let s = Signer::Real(k.clone()).sign(st(), nodes).expect("keys");
        assert!(Signer::Real(k.clone())
            .verify(&s, [NodeId(0), NodeId(1)], 3)
            .is_err());
        assert_eq!(
            Signer::Real(k).verify(&s, [NodeId(0), NodeId(7)], 3),
            Err(StateError::UnknownKey)
        );
    }

    /// Fuzz-style: random bit flips, truncations and extensions of an encoded signed state
    /// are always rejected (decode error or failed verification), and never panic.
    #[test]
    fn mutated_encodings_are_always_rejected() {
        let k = Keyring::from_seed(5, 2);
        let nodes = [NodeId(0), NodeId(1)];
        let signers = [Signer::Real(k), Signer::Modelled];
        let mut r = rng::stream(42, "fuzz");
        for (si, signer) in signers.iter().enumerate() {
            let good = signer.sign(st(), nodes).expect("keys").to_bytes();
            let cases = if si == 0 { 3000 } else { 20_000 };
            for i in 0..cases {
                let mut b = good.to_vec();
                match i % 4 {
                    0 => {
                        let flips = r.random_range(1..=4);
                        for _ in 0..flips {
                            let at = r.random_range(0..b.len());
                            b[at] ^= 1 << r.random_range(0..8);
                        }
                    }
                    1 => b.truncate(r.random_range(0..b.len())),
                    2 => {
                        let n = r.random_range(1..64);
                        for _ in 0..n {
                            b.push(r.random());
                        }
                    }
                    _ => {
                        let at = r.random_range(0..b.len());
                        b[at] = b[at].wrapping_add(r.random_range(1..=255));
                    }
                }
                if b == good {
                    continue;
                }
                let verdict = SignedState::from_bytes(&b).and_then(|s| signer.verify(&s, nodes, 3));
                assert!(
                    verdict.is_err(),
                    "mutation {i} of {} accepted",
                    if si == 0 { "real" } else { "modelled" }
                );
            }
        }
        // Arbitrary bytes of every length up to twice the encoding.
        for len in 0..2 * SIGNED_LEN {
            let b: Vec<u8> = (0..len).map(|_| r.random()).collect();
            assert!(SignedState::from_bytes(&b)
                .and_then(|s| s.verify_modelled(3))
                .is_err());
        }
    }
}
