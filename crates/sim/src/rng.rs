//! The simulation's only source of randomness: SplitMix64 from one seed.
//!
//! Written here rather than taken from `rand` so that a seed means the same run forever: the
//! sequence of a `rand` generator may change between releases, and a failing seed filed in an
//! issue must still reproduce after a dependency upgrade. Independent parts of a run (the
//! network, each client, the fault schedule) draw from their own [`SimRng::fork`]ed streams,
//! so adding a draw in one part does not shift every other part's choices.

/// A deterministic pseudo-random generator (SplitMix64).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimRng {
    state: u64,
}

impl SimRng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SimRng { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `lo..hi` (`lo` when the range is empty). The modulo bias is below 2^-40
    /// for the small ranges the simulation draws from, which is irrelevant here.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo { lo } else { lo + self.next_u64() % (hi - lo) }
    }

    /// `true` with probability `per_million` / 1,000,000.
    pub fn chance(&mut self, per_million: u64) -> bool {
        self.range(0, 1_000_000) < per_million
    }

    /// One element of `items`, if any.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let len = u64::try_from(items.len()).ok()?;
        let index = usize::try_from(self.range(0, len)).ok()?;
        items.get(index)
    }

    /// An independent generator for the part of the run named by `stream`.
    pub fn fork(&self, stream: u64) -> SimRng {
        let mut mixer = SimRng::new(self.state ^ stream.wrapping_mul(0xd1b5_4a32_d192_ed03));
        SimRng::new(mixer.next_u64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_is_fixed_by_the_seed() {
        let mut a = SimRng::new(7);
        let mut b = SimRng::new(7);
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        assert_eq!(xs, (0..5).map(|_| b.next_u64()).collect::<Vec<_>>());
        // SplitMix64's published first output for seed 0, so the algorithm cannot drift.
        assert_eq!(SimRng::new(0).next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_ne!(SimRng::new(7).fork(1).next_u64(), SimRng::new(7).fork(2).next_u64());
        for _ in 0..1000 {
            let x = a.range(3, 9);
            assert!((3..9).contains(&x));
        }
        assert_eq!(a.range(5, 5), 5);
    }
}
