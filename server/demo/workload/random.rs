//! A small, fast pseudo-random generator for picking statements and
//! parameter sets (xorshift64*): no cryptographic needs, no extra crate.

pub struct Random(u64);

impl Random {
    /// Seeded from the clock and `salt` (e.g. a worker number), never zero.
    pub fn new(salt: u64) -> Random {
        let clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos() as u64);
        Random((clock ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::Random;

    #[test]
    fn stays_in_bounds_and_varies() {
        let mut random = Random::new(7);
        let draws: Vec<u64> = (0..1000).map(|_| random.below(10)).collect();
        assert!(draws.iter().all(|draw| *draw < 10));
        assert!((0..10).all(|value| draws.contains(&value)));
    }
}
