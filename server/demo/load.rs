//! Creating the demo database and loading `schema.sql` and `seed.sql` into
//! it, plus the extensions the editor features use.

use tokio_postgres::{Client, Config, NoTls};

use super::error::DemoError;
use crate::db::error_text;
use crate::sql::split::split;

/// The demo database's name.
pub const DATABASE: &str = "shop";

/// How much data `seed.sql` generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataSize {
    pub orders: u64,
    pub customers: u64,
}

impl DataSize {
    /// About fifteen orders per customer, as in the default 300,000 / 20,000.
    pub fn for_orders(orders: u64) -> DataSize {
        let orders = orders.max(1_000);
        DataSize {
            orders,
            customers: (orders / 15).max(100),
        }
    }
}

/// Connects without a statement timeout: loading may take a while.
pub async fn connect(config: &Config) -> Result<Client, DemoError> {
    let (client, connection) = config.connect(NoTls).await.map_err(|error| {
        DemoError::Database(format!(
            "cannot connect to the demo cluster: {}",
            error_text::message(&error)
        ))
    })?;
    tokio::spawn(connection);
    Ok(client)
}

pub async fn create_database(admin: &Client) -> Result<(), DemoError> {
    admin
        .batch_execute(&format!("CREATE DATABASE {DATABASE}"))
        .await
        .map_err(|error| {
            DemoError::Database(format!("CREATE DATABASE: {}", error_text::message(&error)))
        })
}

/// Installs pg_stat_statements, and HypoPG when the server has it; returns
/// HypoPG's version if installed.
pub async fn create_extensions(client: &Client) -> Result<Option<String>, DemoError> {
    client
        .batch_execute("CREATE EXTENSION pg_stat_statements")
        .await
        .map_err(|error| {
            DemoError::Database(format!(
                "CREATE EXTENSION pg_stat_statements: {} (install the PostgreSQL contrib modules)",
                error_text::message(&error)
            ))
        })?;
    let available = client
        .query_opt(
            "SELECT default_version FROM pg_catalog.pg_available_extensions WHERE name = 'hypopg'",
            &[],
        )
        .await
        .map_err(|error| DemoError::Database(error_text::message(&error)))?;
    let Some(row) = available else {
        return Ok(None);
    };
    client
        .batch_execute("CREATE EXTENSION hypopg")
        .await
        .map_err(|error| {
            DemoError::Database(format!(
                "CREATE EXTENSION hypopg: {}",
                error_text::message(&error)
            ))
        })?;
    Ok(row.try_get::<_, Option<String>>(0).ok().flatten())
}

/// Runs each statement of `text` on its own (VACUUM refuses to run inside
/// the implicit transaction of a multi-statement string).
pub async fn run_script(client: &Client, text: &str, file: &str) -> Result<(), DemoError> {
    for span in split(text) {
        let statement = &text[span.range.clone()];
        client.batch_execute(statement).await.map_err(|error| {
            let line = text[..span.range.start].lines().count() + 1;
            DemoError::Database(format!(
                "{file}, line {line}: {}",
                error_text::message(&error)
            ))
        })?;
    }
    Ok(())
}

/// Replaces psql-style `:name` variables (not `::casts`) with values, so
/// `seed.sql` also runs under `psql -v orders=… -f seed.sql`.
pub fn substitute(text: &str, variables: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(':') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let previous_is_colon = out.ends_with(':');
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..name_len];
        match variables.iter().find(|(known, _)| *known == name) {
            Some((_, value)) if !previous_is_colon && !after.starts_with(':') => {
                out.push_str(value);
                rest = &after[name_len..];
            }
            _ => {
                out.push(':');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_variables_but_not_casts() {
        let vars = [("orders", "300".to_owned()), ("customers", "20".to_owned())];
        assert_eq!(
            substitute(
                "SELECT (:customers * 0.9)::bigint, :orders / 3, x::orders, :other",
                &vars
            ),
            "SELECT (20 * 0.9)::bigint, 300 / 3, x::orders, :other"
        );
    }

    #[test]
    fn sizes_keep_the_ratio() {
        assert_eq!(
            DataSize::for_orders(300_000),
            DataSize {
                orders: 300_000,
                customers: 20_000
            }
        );
        assert_eq!(DataSize::for_orders(10).orders, 1_000);
    }
}
