//! Reading `timestamptz` without panicking.
//!
//! postgres-types' own `SystemTime` decoding panics on `-infinity` (it
//! subtracts an unbounded duration from the epoch); we decode the wire value
//! ourselves and map infinities and out-of-range values to `None`.

use std::error::Error;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio_postgres::types::{FromSql, Type};

/// Seconds from the Unix epoch to PostgreSQL's epoch, 2000-01-01 00:00 UTC.
const POSTGRES_EPOCH_OFFSET_SECS: u64 = 946_684_800;

/// A `timestamp`/`timestamptz` as sent on the wire; `None` for infinities or
/// a time this platform cannot represent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgTimestamp(pub Option<SystemTime>);

impl<'a> FromSql<'a> for PgTimestamp {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<PgTimestamp, Box<dyn Error + Sync + Send>> {
        let bytes: [u8; 8] = raw
            .try_into()
            .map_err(|_| format!("a timestamp is 8 bytes, got {}", raw.len()))?;
        Ok(PgTimestamp(from_postgres_micros(i64::from_be_bytes(bytes))))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::TIMESTAMPTZ || *ty == Type::TIMESTAMP
    }
}

/// Microseconds since 2000-01-01 UTC to a `SystemTime`.
pub fn from_postgres_micros(micros: i64) -> Option<SystemTime> {
    // PostgreSQL sends the extremes of i64 for -infinity and infinity.
    if micros == i64::MIN || micros == i64::MAX {
        return None;
    }
    let epoch = UNIX_EPOCH.checked_add(Duration::from_secs(POSTGRES_EPOCH_OFFSET_SECS))?;
    let offset = Duration::from_micros(micros.unsigned_abs());
    if micros < 0 {
        epoch.checked_sub(offset)
    } else {
        epoch.checked_add(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_around_the_postgres_epoch() {
        let epoch_2000 = UNIX_EPOCH + Duration::from_secs(POSTGRES_EPOCH_OFFSET_SECS);
        assert_eq!(from_postgres_micros(0), Some(epoch_2000));
        assert_eq!(
            from_postgres_micros(1_500_000),
            Some(epoch_2000 + Duration::from_micros(1_500_000))
        );
        assert_eq!(from_postgres_micros(-946_684_800_000_000), Some(UNIX_EPOCH));
    }

    #[test]
    fn infinities_and_extremes_do_not_panic() {
        assert_eq!(from_postgres_micros(i64::MIN), None);
        assert_eq!(from_postgres_micros(i64::MAX), None);
        // Not infinities: representable or not, never a panic.
        let _ = from_postgres_micros(i64::MIN + 1);
        let _ = from_postgres_micros(i64::MAX - 1);
    }

    #[test]
    fn rejects_a_short_value() {
        assert!(PgTimestamp::from_sql(&Type::TIMESTAMPTZ, &[0, 1, 2]).is_err());
    }
}
