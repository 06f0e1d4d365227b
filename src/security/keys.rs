//! Per-node ed25519 keypairs, derived from the run seed.
//!
//! Each node's 32 secret-key bytes come from the run's `"keys"` random stream, drawn in node
//! order, so the same seed always gives the same keys and a different seed different keys.
//! These keys are simulation artefacts, never real secrets. No I/O.

use crate::rng;
use crate::topology::NodeId;
use ed25519_dalek::{SigningKey, VerifyingKey};
use rand::RngCore;

/// The keypairs of every node of a run.
#[derive(Debug, Clone)]
pub struct Keyring {
    signing: Vec<SigningKey>,
    verifying: Vec<VerifyingKey>,
}

impl Keyring {
    /// Keys for nodes `0..nodes`, derived from `seed` (the run seed) via the `"keys"` stream.
    ///
    /// Complexity: O(nodes) key derivations (one scalar multiplication each).
    pub fn from_seed(seed: u64, nodes: usize) -> Self {
        let mut r = rng::stream(seed, "keys");
        let mut signing = Vec::with_capacity(nodes);
        for _ in 0..nodes {
            let mut b = [0u8; 32];
            r.fill_bytes(&mut b);
            signing.push(SigningKey::from_bytes(&b));
        }
        let verifying = signing.iter().map(|k| k.verifying_key()).collect();
        Keyring { signing, verifying }
    }

    pub fn len(&self) -> usize {
        self.signing.len()
    }

    pub fn is_empty(&self) -> bool {
        self.signing.is_empty()
    }

    /// The secret key of `n`, if it exists.
    pub fn signing(&self, n: NodeId) -> Option<&SigningKey> {
        self.signing.get(n.idx())
    }

    /// The public key of `n`, if it exists.
    pub fn verifying(&self, n: NodeId) -> Option<&VerifyingKey> {
        self.verifying.get(n.idx())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_reproducible_and_distinct() {
        let a = Keyring::from_seed(7, 3);
        let b = Keyring::from_seed(7, 3);
        let c = Keyring::from_seed(8, 3);
        let pk = |k: &Keyring, i| k.verifying(NodeId(i)).map(|v| v.to_bytes());
        assert_eq!(pk(&a, 0), pk(&b, 0));
        assert_ne!(pk(&a, 0), pk(&a, 1));
        assert_ne!(pk(&a, 0), pk(&c, 0));
        assert!(a.verifying(NodeId(3)).is_none());
        assert_eq!(a.len(), 3);
    }
}
