//! Runs statements the way an application does: over the extended protocol
//! with bind parameters (psql sends literals instead).

use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;

/// Runs `sql` once per parameter set, as `user` would from an application.
pub fn run_with_params(url: &str, sql: &str, parameter_sets: &[Vec<i64>]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, NoTls)
            .await
            .unwrap_or_else(|error| panic!("connect {url}: {error}"));
        tokio::spawn(connection);
        let statement = client.prepare(sql).await.expect("prepare");
        for parameters in parameter_sets {
            let refs: Vec<&(dyn ToSql + Sync)> = parameters
                .iter()
                .map(|p| p as &(dyn ToSql + Sync))
                .collect();
            client
                .query(&statement, &refs)
                .await
                .unwrap_or_else(|error| panic!("{sql}: {error}"));
        }
    });
}
