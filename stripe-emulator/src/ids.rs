//! Stripe-looking identifiers (`cus_…`, `price_1…`), random by default and reproducible with a seed.

use serde::{Deserialize, Serialize};

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A small deterministic generator (SplitMix64): the same seed gives the same IDs in the same order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ids {
    state: u64,
}

impl Ids {
    /// A generator starting from `seed`.
    pub fn seeded(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A generator seeded from the wall clock and process id.
    pub fn random() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos() as u64)
            .unwrap_or_default();
        Self::seeded(nanos ^ (u64::from(std::process::id()) << 32))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `len` random base-62 characters.
    pub fn chars(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| ALPHABET[(self.next_u64() % ALPHABET.len() as u64) as usize] as char)
            .collect()
    }

    /// A new id of the given kind, shaped like Stripe's.
    pub fn new_id(&mut self, prefix: &str) -> String {
        match prefix {
            "cs" => format!("cs_test_a1{}", self.chars(56)),
            "whsec" => format!("whsec_{}", self.chars(32)),
            "cus" | "prod" | "si" | "il" => format!("{prefix}_{}", self.chars(14)),
            _ => format!("{prefix}_1{}", self.chars(23)),
        }
    }

    /// A uniformly random fraction in [0, 1), for the chaos options.
    pub fn fraction(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_ids() {
        let mut a = Ids::seeded(7);
        let mut b = Ids::seeded(7);
        assert_eq!(a.new_id("cus"), b.new_id("cus"));
        assert_eq!(a.new_id("price"), b.new_id("price"));
        assert!(Ids::seeded(7).new_id("cus").starts_with("cus_"));
        assert_eq!(Ids::seeded(1).new_id("sub").len(), "sub_1".len() + 23);
    }
}
