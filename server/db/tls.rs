//! `sslmode` over rustls.
//!
//! | sslmode            | TLS                      | certificate check                         |
//! |--------------------|--------------------------|-------------------------------------------|
//! | disable            | never                    | —                                         |
//! | allow, prefer      | if the server offers it  | none (opportunistic encryption)           |
//! | require            | always                   | chain if a root certificate is available, |
//! |                    |                          | else none (libpq's rule)                  |
//! | verify-ca          | always                   | chain                                     |
//! | verify-full        | always                   | chain and host name                       |
//!
//! Roots come from `sslrootcert` (default `~/.postgresql/root.crt`) or else the
//! operating system's trust store. Unix-domain sockets never use TLS (the
//! server does not offer it there); see [`crate::db::session`].
//!
//! The crypto provider is chosen here (aws-lc-rs, which rustls' default
//! features already build) instead of relying on a process-wide default that
//! another dependency might or might not have installed.

mod verifiers;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{ClientConfig, RootCertStore};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::db::conninfo::{ConnSpec, RootCert, SslMode};
use verifiers::PartialVerifier;

/// TLS settings ready for tokio-postgres.
#[derive(Clone)]
pub struct TlsSetup {
    /// Whether to ask for TLS and whether to insist.
    pub mode: tokio_postgres::config::SslMode,
    pub connector: MakeRustlsConnect,
}

/// What to check about the server's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Nothing,
    Chain,
    ChainAndHostName,
}

/// A TLS configuration that cannot be built. Messages name the fix.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error(
        "cannot read the root certificate file {}: {source} \
         (set sslrootcert / PGSSLROOTCERT to a PEM file of CA certificates)",
        path.display()
    )]
    ReadRootCert {
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    #[error(
        "the root certificate file {} holds no usable CA certificate \
         (expected PEM blocks starting with -----BEGIN CERTIFICATE-----)",
        path.display()
    )]
    NoRootCertificates { path: PathBuf },
    #[error(
        "no trusted root certificates found in the system store \
         (install ca-certificates, or set sslrootcert to your server's CA certificate)"
    )]
    NoSystemRoots,
    #[error("cannot set up TLS: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("cannot set up certificate verification: {0}")]
    Verifier(#[from] rustls::client::VerifierBuilderError),
}

/// The TLS behaviour `spec` asks for.
pub fn tls_setup(spec: &ConnSpec) -> Result<TlsSetup, TlsError> {
    use tokio_postgres::config::SslMode as Wire;
    let mode = match spec.sslmode {
        SslMode::Disable => Wire::Disable,
        // tokio-postgres cannot start in plain text and upgrade on demand, so
        // `allow` becomes `prefer`: TLS if offered, plain otherwise.
        SslMode::Allow | SslMode::Prefer => Wire::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => Wire::Require,
    };
    Ok(TlsSetup {
        mode,
        connector: MakeRustlsConnect::new(client_config(spec)?),
    })
}

/// What `spec`'s sslmode and root certificate settings require us to check.
pub fn verification(spec: &ConnSpec) -> Verification {
    match spec.sslmode {
        SslMode::Disable | SslMode::Allow | SslMode::Prefer => Verification::Nothing,
        // libpq: "if a root CA file exists, require behaves like verify-ca".
        SslMode::Require if spec.sslrootcert.is_some() => Verification::Chain,
        SslMode::Require => Verification::Nothing,
        SslMode::VerifyCa => Verification::Chain,
        SslMode::VerifyFull => Verification::ChainAndHostName,
    }
}

/// The rustls client configuration for `spec`.
pub fn client_config(spec: &ConnSpec) -> Result<ClientConfig, TlsError> {
    let provider = crypto_provider();
    let algorithms = provider.signature_verification_algorithms;
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()?;
    let mut config = match verification(spec) {
        Verification::Nothing => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PartialVerifier {
                roots: None,
                algorithms,
            })),
        Verification::Chain => {
            let roots = root_store(spec.sslrootcert.as_ref())?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(PartialVerifier {
                    roots: Some(roots),
                    algorithms,
                }))
        }
        Verification::ChainAndHostName => {
            let roots = root_store(spec.sslrootcert.as_ref())?;
            let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider).build()?;
            builder.with_webpki_verifier(verifier)
        }
    }
    .with_no_client_auth();
    // What libpq 17 sends; servers before 17 ignore it.
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok(config)
}

/// The crypto implementation for every connection we make.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    Arc::clone(PROVIDER.get_or_init(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider())))
}

fn root_store(root_cert: Option<&RootCert>) -> Result<Arc<RootCertStore>, TlsError> {
    match root_cert {
        Some(RootCert::File(path)) => roots_from_file(path).map(Arc::new),
        Some(RootCert::System) | None => system_roots(),
    }
}

fn roots_from_file(path: &Path) -> Result<RootCertStore, TlsError> {
    let read_error = |source| TlsError::ReadRootCert {
        path: path.to_owned(),
        source,
    };
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(read_error)? {
        // A bad block among good ones is skipped, as OpenSSL does for libpq;
        // a file with no good block at all is an error below.
        if let Ok(cert) = cert
            && let Err(error) = roots.add(cert)
        {
            tracing::warn!(path = %path.display(), %error, "skipping an unusable root certificate");
        }
    }
    if roots.is_empty() {
        return Err(TlsError::NoRootCertificates {
            path: path.to_owned(),
        });
    }
    Ok(roots)
}

/// The operating system's trust store, read once: it takes a noticeable time
/// and does not change while we run.
fn system_roots() -> Result<Arc<RootCertStore>, TlsError> {
    static ROOTS: OnceLock<Option<Arc<RootCertStore>>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let loaded = rustls_native_certs::load_native_certs();
            for error in &loaded.errors {
                tracing::warn!(%error, "problem reading the system's root certificates");
            }
            let mut roots = RootCertStore::empty();
            let (added, ignored) = roots.add_parsable_certificates(loaded.certs);
            tracing::debug!(added, ignored, "loaded system root certificates");
            (!roots.is_empty()).then(|| Arc::new(roots))
        })
        .clone()
        .ok_or(TlsError::NoSystemRoots)
}

#[cfg(test)]
mod tests;
