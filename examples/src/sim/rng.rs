//! The simulator's random numbers: SplitMix64, small and fully determined by its seed.
//!
//! The generator owns its algorithm rather than borrowing one from a crate whose stream may
//! change between releases: the same `--seed` must give the same bodies, ids and schedule in
//! every build, so that a failing run can be replayed byte for byte.

/// A SplitMix64 generator (Steele, Lea and Flood, 2014): 64 bits of state, one add and a
/// mix per draw, and every seed (zero included) gives a full-period stream.
///
/// ```
/// use examples::sim::SimRng;
/// let mut a = SimRng::new(7);
/// let mut b = SimRng::new(7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert!(a.below(10) < 10);
/// ```
#[derive(Debug, Clone)]
pub struct SimRng {
    state: u64,
}

impl SimRng {
    /// A generator whose whole stream follows from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// An independent stream for a sub-task (`label` tells sub-tasks apart): the same parent
    /// state and label always give the same child.
    #[must_use]
    pub fn fork(&self, label: u64) -> Self {
        let mut mixer = Self::new(self.state ^ label.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        Self::new(mixer.next_u64())
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0), without modulo bias worth mentioning for the
    /// small ranges used here (Lemire's multiply-shift).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi` (`lo` when `hi < lo`).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below(hi - lo + 1)
    }

    /// A float in `[0, 1)` with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `true` with probability `p` (clamped to `[0, 1]`).
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p.clamp(0.0, 1.0)
    }

    /// One element of a non-empty slice, `None` for an empty one.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len() as u64) as usize)
    }

    /// An ASCII digit.
    pub fn digit(&mut self) -> char {
        char::from(b'0' + self.below(10) as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_follows_from_the_seed_alone() {
        // SplitMix64's published first output for seed 0.
        assert_eq!(SimRng::new(0).next_u64(), 0xe220_a839_7b1d_cdaf);
        let a: Vec<u64> = (0..5)
            .scan(SimRng::new(42), |r, _| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..5)
            .scan(SimRng::new(42), |r, _| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(
            SimRng::new(42).fork(1).next_u64(),
            SimRng::new(42).fork(2).next_u64()
        );
    }

    #[test]
    fn draws_stay_in_their_ranges() {
        let mut r = SimRng::new(1);
        let mut seen = [false; 6];
        for _ in 0..10_000 {
            let v = r.range(3, 8);
            assert!((3..=8).contains(&v));
            seen[(v - 3) as usize] = true;
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert!(seen.iter().all(|s| *s), "every value of the range comes up");
        assert_eq!(r.below(0), 0);
        assert_eq!(r.range(5, 5), 5);
        assert!(!r.chance(0.0) && r.chance(1.0));
        assert_eq!(r.pick::<u8>(&[]), None);
    }
}
