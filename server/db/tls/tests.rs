//! Each sslmode's client configuration against an in-memory rustls server,
//! using the certificates in `testdata/` (see its README).

use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ClientConnection, ServerConfig, ServerConnection};

use super::*;
use crate::db::env::MapEnvironment;

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("server/db/tls/testdata")
        .join(name)
}

fn spec(settings: &str) -> ConnSpec {
    let env = MapEnvironment::with_vars([("USER", "u")]);
    ConnSpec::parse_in(settings, &env).unwrap()
}

/// Serves `certificate` (signed by testdata/ca.pem, valid for db.test,
/// localhost and 127.0.0.1), signing the handshake with `key`.
#[derive(Debug)]
struct FixedCert(Arc<CertifiedKey>);

impl ResolvesServerCert for FixedCert {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.0))
    }
}

fn server_config(certificate: &str, key: &str) -> Arc<ServerConfig> {
    let provider = crypto_provider();
    let chain = CertificateDer::pem_file_iter(testdata(certificate))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(testdata(key)).unwrap();
    let signing_key = provider.key_provider.load_private_key(key).unwrap();
    // `CertifiedKey::new` does not check that key and certificate belong
    // together, which lets a test play an impostor holding the wrong key.
    let certified = Arc::new(CertifiedKey::new(chain, signing_key));
    Arc::new(
        ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(FixedCert(certified))),
    )
}

/// Runs a handshake in memory; the client's error if it rejects the server.
fn handshake(
    client: ClientConfig,
    server_name: &str,
    server: Arc<ServerConfig>,
) -> Result<(), rustls::Error> {
    let name = ServerName::try_from(server_name.to_owned()).unwrap();
    let mut client = ClientConnection::new(Arc::new(client), name)?;
    let mut server = ServerConnection::new(server)?;
    for _ in 0..10 {
        let mut buffer = Vec::new();
        while client.wants_write() {
            client.write_tls(&mut buffer).unwrap();
        }
        server.read_tls(&mut buffer.as_slice()).unwrap();
        let server_result = server.process_new_packets();

        let mut buffer = Vec::new();
        while server.wants_write() {
            server.write_tls(&mut buffer).unwrap();
        }
        client.read_tls(&mut buffer.as_slice()).unwrap();
        client.process_new_packets()?;
        server_result?;
        if !client.is_handshaking() && !server.is_handshaking() {
            return Ok(());
        }
    }
    panic!("handshake did not finish");
}

fn genuine_server() -> Arc<ServerConfig> {
    server_config("server.pem", "server.key")
}

fn connect(
    settings: &str,
    server_name: &str,
    server: Arc<ServerConfig>,
) -> Result<(), rustls::Error> {
    handshake(client_config(&spec(settings)).unwrap(), server_name, server)
}

fn ca() -> String {
    testdata("ca.pem").display().to_string()
}

fn other_ca() -> String {
    testdata("other-ca.pem").display().to_string()
}

#[test]
fn verify_full_checks_chain_and_host_name() {
    let settings = format!("sslmode=verify-full sslrootcert='{}'", ca());
    connect(&settings, "db.test", genuine_server()).unwrap();
    connect(&settings, "127.0.0.1", genuine_server()).unwrap();
    let wrong_name = connect(&settings, "elsewhere.test", genuine_server()).unwrap_err();
    assert!(
        wrong_name.to_string().contains("not valid for name"),
        "{wrong_name}"
    );

    let settings = format!("sslmode=verify-full sslrootcert='{}'", other_ca());
    let untrusted = connect(&settings, "db.test", genuine_server()).unwrap_err();
    assert!(
        untrusted.to_string().contains("UnknownIssuer"),
        "{untrusted}"
    );
}

#[test]
fn verify_ca_checks_the_chain_but_not_the_host_name() {
    let settings = format!("sslmode=verify-ca sslrootcert='{}'", ca());
    connect(&settings, "elsewhere.test", genuine_server()).unwrap();

    let settings = format!("sslmode=verify-ca sslrootcert='{}'", other_ca());
    let untrusted = connect(&settings, "db.test", genuine_server()).unwrap_err();
    assert!(
        untrusted.to_string().contains("UnknownIssuer"),
        "{untrusted}"
    );
}

#[test]
fn require_without_root_certificate_accepts_any_certificate() {
    assert_eq!(
        verification(&spec("sslmode=require")),
        Verification::Nothing
    );
    // A self-signed certificate nobody trusts, for another name.
    let self_signed = server_config("other-ca.pem", "other-ca.key");
    connect("sslmode=require", "elsewhere.test", self_signed).unwrap();
    connect("sslmode=require", "elsewhere.test", genuine_server()).unwrap();
}

#[test]
fn encryption_only_still_checks_the_handshake_signature() {
    // The genuine certificate presented by someone without its private key.
    let impostor = server_config("server.pem", "wrong.key");
    let error = connect("sslmode=require", "db.test", impostor).unwrap_err();
    assert_eq!(
        error,
        rustls::Error::InvalidCertificate(rustls::CertificateError::BadSignature)
    );
}

#[test]
fn require_with_root_certificate_behaves_like_verify_ca() {
    let settings = format!("sslmode=require sslrootcert='{}'", other_ca());
    assert_eq!(verification(&spec(&settings)), Verification::Chain);
    assert!(connect(&settings, "db.test", genuine_server()).is_err());

    let settings = format!("sslmode=require sslrootcert='{}'", ca());
    connect(&settings, "elsewhere.test", genuine_server()).unwrap();
}

#[test]
fn prefer_and_allow_do_not_verify() {
    for mode in ["prefer", "allow"] {
        let settings = format!("sslmode={mode} sslrootcert='{}'", other_ca());
        assert_eq!(verification(&spec(&settings)), Verification::Nothing);
        connect(&settings, "elsewhere.test", genuine_server()).unwrap();
    }
}

#[test]
fn wire_modes() {
    use tokio_postgres::config::SslMode as Wire;
    let wire = |settings: &str| tls_setup(&spec(settings)).unwrap().mode;
    assert_eq!(wire("sslmode=disable"), Wire::Disable);
    assert_eq!(wire("sslmode=allow"), Wire::Prefer);
    assert_eq!(wire("sslmode=prefer"), Wire::Prefer);
    assert_eq!(wire("sslmode=require"), Wire::Require);
    let settings = format!("sslmode=verify-full sslrootcert='{}'", ca());
    assert_eq!(wire(&settings), Wire::Require);
}

#[test]
fn root_certificate_problems_are_explained() {
    let missing = client_config(&spec("sslmode=verify-ca sslrootcert=/nonexistent/root.crt"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("/nonexistent/root.crt"), "{missing}");
    assert!(missing.contains("sslrootcert"), "{missing}");

    let not_pem = testdata("README.md").display().to_string();
    let error =
        client_config(&spec(&format!("sslmode=verify-ca sslrootcert='{not_pem}'"))).unwrap_err();
    assert!(
        matches!(error, TlsError::NoRootCertificates { .. }),
        "{error}"
    );
}

#[test]
fn alpn_is_postgresql() {
    let config = client_config(&spec("sslmode=require")).unwrap();
    assert_eq!(config.alpn_protocols, vec![b"postgresql".to_vec()]);
}
