//! The numbers one statement adds up in an interval: the public form
//! (`IntervalSample`, times in milliseconds as PostgreSQL reports them) and
//! the stored form (`Sums`, integers only).

/// What one statement (fingerprint) did in one interval, or in a sum of
/// intervals. Times are in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct IntervalSample {
    pub calls: u64,
    pub total_ms: f64,
    pub rows: u64,
    pub shared_blks_hit: u64,
    pub shared_blks_read: u64,
    pub temp_blks_written: u64,
}

impl IntervalSample {
    /// Adds `other` into `self` (counts saturate instead of overflowing).
    pub fn add(&mut self, other: &IntervalSample) {
        self.calls = self.calls.saturating_add(other.calls);
        self.total_ms += other.total_ms;
        self.rows = self.rows.saturating_add(other.rows);
        self.shared_blks_hit = self.shared_blks_hit.saturating_add(other.shared_blks_hit);
        self.shared_blks_read = self.shared_blks_read.saturating_add(other.shared_blks_read);
        self.temp_blks_written = self
            .temp_blks_written
            .saturating_add(other.temp_blks_written);
    }
}

/// The largest total time one record keeps, in microseconds: 2^53 µs is
/// about 285 years of execution, and every integer up to it converts to f64
/// exactly, so sums read back without rounding.
const MAX_TOTAL_US: u64 = 1 << 53;

/// A sample as stored: time in whole microseconds, so that a bucket of a
/// coarser tier is the *exact* sum of the samples it replaced (float sums
/// depend on the order of addition; integer sums do not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Sums {
    pub calls: u64,
    pub total_us: u64,
    pub rows: u64,
    pub shared_blks_hit: u64,
    pub shared_blks_read: u64,
    pub temp_blks_written: u64,
}

impl Sums {
    /// Converts a collector sample. Odd times are clamped, never trusted: a
    /// NaN, negative or infinite `total_ms` (a float from the server or from
    /// our own subtraction) counts as 0, a huge one as `MAX_TOTAL_US`.
    pub fn from_sample(sample: &IntervalSample) -> Sums {
        let micros = sample.total_ms * 1000.0;
        let total_us = if micros.is_nan() || micros <= 0.0 {
            0
        } else if micros >= MAX_TOTAL_US as f64 {
            MAX_TOTAL_US
        } else {
            micros.round() as u64
        };
        Sums {
            calls: sample.calls,
            total_us,
            rows: sample.rows,
            shared_blks_hit: sample.shared_blks_hit,
            shared_blks_read: sample.shared_blks_read,
            temp_blks_written: sample.temp_blks_written,
        }
    }

    pub fn to_sample(self) -> IntervalSample {
        IntervalSample {
            calls: self.calls,
            total_ms: self.total_us as f64 / 1000.0,
            rows: self.rows,
            shared_blks_hit: self.shared_blks_hit,
            shared_blks_read: self.shared_blks_read,
            temp_blks_written: self.temp_blks_written,
        }
    }

    pub fn is_zero(&self) -> bool {
        *self == Sums::default()
    }

    /// Saturating, so that absurd inputs stick at the maximum instead of
    /// wrapping to small numbers.
    pub fn add(&mut self, other: &Sums) {
        self.calls = self.calls.saturating_add(other.calls);
        self.total_us = self.total_us.saturating_add(other.total_us);
        self.rows = self.rows.saturating_add(other.rows);
        self.shared_blks_hit = self.shared_blks_hit.saturating_add(other.shared_blks_hit);
        self.shared_blks_read = self.shared_blks_read.saturating_add(other.shared_blks_read);
        self.temp_blks_written = self
            .temp_blks_written
            .saturating_add(other.temp_blks_written);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_times_are_clamped() {
        let with_ms = |total_ms| {
            Sums::from_sample(&IntervalSample {
                total_ms,
                ..IntervalSample::default()
            })
            .total_us
        };
        assert_eq!(with_ms(f64::NAN), 0);
        assert_eq!(with_ms(-3.0), 0);
        assert_eq!(with_ms(f64::NEG_INFINITY), 0);
        assert_eq!(with_ms(f64::INFINITY), MAX_TOTAL_US);
        assert_eq!(with_ms(1e300), MAX_TOTAL_US);
        assert_eq!(with_ms(1.5), 1500);
        assert_eq!(with_ms(0.0004), 0);
    }

    #[test]
    fn sums_saturate() {
        let mut sums = Sums {
            calls: u64::MAX - 1,
            ..Sums::default()
        };
        sums.add(&Sums {
            calls: 5,
            ..Sums::default()
        });
        assert_eq!(sums.calls, u64::MAX);
    }
}
