//! Which database this is, for keeping history apart.
//!
//! The cluster's system identifier (`pg_control_system()`) is chosen first:
//! fixed at initdb, unchanged by restarts and address changes, and
//! different for every initdb. (A physical replica shares its
//! primary's identifier although its pg_stat_statements counts its own
//! workload; the model has no field to tell them apart.)
//!
//! `pg_control_system()` is executable by PUBLIC by default, but some managed
//! services revoke it. Then the identifier is derived from where the server
//! listens (address, port, `cluster_name`), all readable by any role: stable
//! across restarts, but it splits history when the server moves or is
//! reached by another address. A warning says how to grant the function.

use crate::stats::model::DatabaseIdentity;

use super::error::SourceError;
use super::reader::Reader;
use super::sql;
use super::warning::SourceWarning;

/// Prefix of identifiers derived from the server address, so they can never
/// be mistaken for a real system identifier (which is all digits).
const ADDRESS_PREFIX: &str = "address-";

/// The identity of the session's database, and a warning if it had to be
/// derived from the server address.
pub async fn read_identity(
    reader: Reader<'_>,
    database: &str,
    role: &str,
) -> Result<(DatabaseIdentity, Option<SourceWarning>), SourceError> {
    let identify = |system_identifier| DatabaseIdentity {
        system_identifier,
        database: database.to_owned(),
    };
    let sql = sql::SYSTEM_IDENTIFIER;
    match reader.client.query_opt(sql.text, &[]).await {
        Ok(Some(row)) => {
            let id: Option<String> = reader.get(sql, &row, "system_identifier")?;
            if let Some(id) = id.filter(|id| !id.is_empty()) {
                return Ok((identify(id), None));
            }
            let address = address_identifier(reader).await?;
            let warning = fallback_warning(role, "pg_control_system() returned nothing");
            Ok((identify(address), Some(warning)))
        }
        Ok(None) => {
            let address = address_identifier(reader).await?;
            let warning = fallback_warning(role, "pg_control_system() returned no row");
            Ok((identify(address), Some(warning)))
        }
        // The server refused (permission denied, function missing on a
        // fork): fall back. Anything else, such as a lost connection, is an
        // error like any other.
        Err(error) if error.as_db_error().is_some() => {
            let reason = super::error::describe(&error);
            let address = address_identifier(reader).await?;
            Ok((identify(address), Some(fallback_warning(role, &reason))))
        }
        Err(error) => Err(SourceError::query(sql, reader.database, error)),
    }
}

fn fallback_warning(role: &str, reason: &str) -> SourceWarning {
    SourceWarning::IdentityFromAddress {
        role: role.to_owned(),
        reason: reason.to_owned(),
    }
}

async fn address_identifier(reader: Reader<'_>) -> Result<String, SourceError> {
    let sql = sql::SERVER_ADDRESS;
    let row = reader.one_row(sql, &[]).await?;
    let host: Option<String> = reader.get(sql, &row, "host")?;
    let port: Option<String> = reader.get(sql, &row, "port")?;
    let cluster_name: Option<String> = reader.get(sql, &row, "cluster_name")?;
    Ok(address_key(
        host.as_deref(),
        port.as_deref(),
        cluster_name.as_deref(),
    ))
}

/// `address-` and 16 hex digits of a stable hash of where the server
/// listens. Over a Unix socket the host is NULL: "local" stands in.
pub fn address_key(host: Option<&str>, port: Option<&str>, cluster_name: Option<&str>) -> String {
    let text = format!(
        "{}|{}|{}",
        host.unwrap_or("local"),
        port.unwrap_or(""),
        cluster_name.unwrap_or("")
    );
    format!("{ADDRESS_PREFIX}{:016x}", fnv1a_64(text.as_bytes()))
}

/// FNV-1a, 64 bit: fixed forever, unlike std's hashers, so history written by
/// one build is found by the next.
fn fnv1a_64(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET_BASIS, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn address_keys_are_stable_and_distinct() {
        let a = address_key(Some("10.0.0.5"), Some("5432"), Some(""));
        assert_eq!(a, address_key(Some("10.0.0.5"), Some("5432"), Some("")));
        assert!(a.starts_with(ADDRESS_PREFIX) && a.len() == ADDRESS_PREFIX.len() + 16);
        assert_ne!(a, address_key(Some("10.0.0.5"), Some("5433"), Some("")));
        assert_ne!(a, address_key(None, Some("5432"), Some("")));
        assert_ne!(a, address_key(Some("10.0.0.5"), Some("5432"), Some("main")));
    }

    #[test]
    fn address_keys_are_safe_in_file_names() {
        let identity = DatabaseIdentity {
            system_identifier: address_key(Some("::1"), Some("5432"), None),
            database: "app".into(),
        };
        let key = identity.storage_key();
        assert!(
            key.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }
}
