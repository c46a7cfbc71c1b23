//! What can be checked without a server: the session configuration, and
//! failures that never reach one. Connecting for real is covered by the
//! database tests, which start a throwaway cluster.

use std::path::PathBuf;
use std::time::Duration;

use super::*;
use crate::db::env::MapEnvironment;

fn spec(settings: &str) -> ConnSpec {
    let env = MapEnvironment::with_vars([("USER", "u")]);
    ConnSpec::parse_in(settings, &env).unwrap()
}

#[test]
fn monitoring_sessions_are_read_only_and_time_limited() {
    let config = session_config(
        &spec("host=db"),
        SessionPurpose::monitoring(),
        None,
        StartupOptions::Send,
    );
    assert_eq!(
        config.get_options(),
        Some("-c default_transaction_read_only=on -c statement_timeout=5000")
    );
    assert_eq!(config.get_application_name(), Some("optischema"));
    assert_eq!(config.get_connect_timeout(), Some(&Duration::from_secs(10)));
}

#[test]
fn sandbox_sessions_are_time_limited_but_writable() {
    let purpose = SessionPurpose::Sandbox {
        statement_timeout: Duration::from_millis(1500),
        lock_timeout: Duration::from_micros(10),
    };
    let config = session_config(&spec("host=db"), purpose, None, StartupOptions::Send);
    // A sub-millisecond timeout must not round to 0, which means "no limit".
    assert_eq!(
        config.get_options(),
        Some("-c statement_timeout=1500 -c lock_timeout=1")
    );
    assert_eq!(config.get_application_name(), Some("optischema-sandbox"));
}

#[test]
fn user_options_come_first_so_ours_win() {
    let config = session_config(
        &spec("host=db options='-c search_path=app -c statement_timeout=0'"),
        SessionPurpose::monitoring(),
        None,
        StartupOptions::Send,
    );
    assert_eq!(
        config.get_options(),
        Some(
            "-c search_path=app -c statement_timeout=0 \
             -c default_transaction_read_only=on -c statement_timeout=5000"
        )
    );
}

#[test]
fn explicit_application_name_wins() {
    let config = session_config(
        &spec("host=db application_name=mine"),
        SessionPurpose::monitoring(),
        None,
        StartupOptions::Send,
    );
    assert_eq!(config.get_application_name(), Some("mine"));
}

#[test]
fn omitted_startup_options_and_the_rest_of_the_target() {
    let config = session_config(
        &spec("host=/tmp/sock port=6000 user=alice dbname=app connect_timeout=0"),
        SessionPurpose::monitoring(),
        Some("pw"),
        StartupOptions::Omit,
    );
    assert_eq!(config.get_options(), None);
    assert_eq!(
        config.get_hosts(),
        &[tokio_postgres::config::Host::Unix(PathBuf::from(
            "/tmp/sock"
        ))]
    );
    assert_eq!(config.get_ports(), &[6000]);
    assert_eq!(config.get_user(), Some("alice"));
    assert_eq!(config.get_dbname(), Some("app"));
    assert_eq!(config.get_password(), Some(&b"pw"[..]));
    assert_eq!(config.get_connect_timeout(), None);
}

#[tokio::test]
async fn refused_tcp_connection_is_unreachable() {
    // A port that was just free is very likely still closed.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let spec = spec(&format!("postgresql://u:hunter2@127.0.0.1:{port}/db"));
    let error = connect(&spec, SessionPurpose::monitoring())
        .await
        .unwrap_err();
    assert!(matches!(error, ConnectError::Unreachable { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("listen_addresses"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
}

#[tokio::test]
async fn missing_unix_socket_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec(&format!("host='{}' user=u", dir.path().display()));
    let error = connect(&spec, SessionPurpose::monitoring())
        .await
        .unwrap_err();
    let ConnectError::Unreachable { hint, .. } = &error else {
        panic!("{error}");
    };
    assert!(hint.contains(&dir.path().display().to_string()), "{hint}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    // The kernel completes the TCP handshake for a listener nobody accepts
    // on, so the connection opens and then the start-up exchange stalls.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut spec = spec(&format!("host=127.0.0.1 port={port} sslmode=disable"));
    spec.connect_timeout = Some(Duration::from_millis(300));
    let started = std::time::Instant::now();
    let error = connect(&spec, SessionPurpose::monitoring())
        .await
        .unwrap_err();
    assert!(matches!(error, ConnectError::Timeout { .. }), "{error}");
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(listener);
}

#[tokio::test]
async fn unreadable_root_certificate_is_a_tls_error() {
    let spec = spec("host=127.0.0.1 sslmode=verify-full sslrootcert=/nonexistent/ca.pem");
    let error = connect(&spec, SessionPurpose::monitoring())
        .await
        .unwrap_err();
    assert!(matches!(error, ConnectError::Tls { .. }), "{error}");
    assert!(error.to_string().contains("/nonexistent/ca.pem"));
}
