//! Random streams: one named, portable generator per subsystem.
//!
//! Every run derives its seeds from `(master seed, replication)` with a fixed mixer
//! (SplitMix64), and then one independent stream per subsystem (workload, routing, latency,
//! strategy, chain, ...). Two strategies at the same replication therefore see exactly the
//! same payments (common random numbers). Never `thread_rng`, `StdRng` or `DefaultHasher`.

use rand::SeedableRng;

/// The generator used everywhere: Xoshiro256++, portable and fast.
pub type SimRng = rand_xoshiro::Xoshiro256PlusPlus;

/// SplitMix64 finaliser: a fixed bijective mixer of 64-bit words.
pub const fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of replication `rep` of an experiment whose master seed is `master`.
pub fn run_seed(master: u64, rep: u64) -> u64 {
    splitmix64(splitmix64(master) ^ rep.wrapping_mul(0xD1B5_4A32_D192_ED03))
}

/// FNV-1a of a stream name: a fixed, documented hash (not `DefaultHasher`, whose output
/// may change between Rust releases).
const fn fnv1a(s: &str) -> u64 {
    let b = s.as_bytes();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < b.len() {
        h ^= b[i] as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
        i += 1;
    }
    h
}

/// An independent generator for the subsystem `stream` of the run seeded with `seed`.
pub fn stream(seed: u64, stream: &str) -> SimRng {
    SimRng::seed_from_u64(splitmix64(seed ^ fnv1a(stream)))
}

/// An independent generator for sub-stream `index` of `stream` (e.g. one per node).
pub fn substream(seed: u64, stream: &str, index: u64) -> SimRng {
    SimRng::seed_from_u64(splitmix64(
        splitmix64(seed ^ fnv1a(stream)) ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: u64 = stream(7, "workload").random();
        let b: u64 = stream(7, "workload").random();
        let c: u64 = stream(7, "routing").random();
        let d: u64 = stream(8, "workload").random();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_ne!(run_seed(1, 0), run_seed(1, 1));
        assert_ne!(run_seed(1, 0), run_seed(2, 0));
        // The mixer is fixed: this value must never change between releases, or
        // published seeds stop reproducing.
        assert_eq!(splitmix64(0), 0xE220_A839_7B1D_CDAF);
    }
}
