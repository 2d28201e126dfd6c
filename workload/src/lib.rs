//! Seeded request workloads, the same sequence on every run and machine: the standard
//! benchmark [`mix`] (what `cargo xtask bench`, `onbehalf bench`, the load generator and the
//! soak send), uniform [`sample`]s of the whole request space (what the tests draw when
//! they cannot enumerate requests with hops), and a synthetic Active Directory [`domain`]
//! written as a BloodHound collection with its ground truth (directory tests and benches).
#![forbid(unsafe_code)]

pub mod domain;
pub mod mix;
pub mod sample;

/// SplitMix64: small, dependency-free, the same sequence everywhere.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// One of `items`, uniformly.
    ///
    /// # Panics
    /// If `items` is empty.
    #[allow(clippy::indexing_slicing)] // an empty list is the caller's bug
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// A percentage draw in 0..100.
    pub fn pct(&mut self) -> u64 {
        self.next_u64() % 100
    }

    /// Picks by percentage weights (`None` only for an empty list).
    pub fn pick_weighted<T: Copy>(&mut self, weighted: &[(u64, T)]) -> Option<T> {
        let mut roll = self.pct();
        for (weight, value) in weighted {
            if roll < *weight {
                return Some(*value);
            }
            roll -= weight;
        }
        weighted.last().map(|(_, v)| *v)
    }

    /// True `percent` times in 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.pct() < percent
    }
}
