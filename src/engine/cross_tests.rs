//! Cross-chain engine tests.
