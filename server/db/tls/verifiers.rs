//! The certificate verifier for the `sslmode`s rustls does not have built in.
//!
//! It always checks the server's handshake signature against the key in the
//! certificate it presented, so the session is at least bound to that key:
//! skipping that check would let anyone who can see the traffic impersonate
//! the server without even holding a private key.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{DigitallySignedStruct, Error, RootCertStore, SignatureScheme};

/// The checks of `sslmode=require` and `verify-ca`, which rustls does not
/// have built in.
#[derive(Debug)]
pub(super) struct PartialVerifier {
    /// `None` (`sslmode=require` without a root certificate): any
    /// certificate is accepted (libpq: "encryption only"). `Some`
    /// (`verify-ca`): the chain must lead to one of these roots and be valid
    /// now, but the certificate need not name the host (servers are often
    /// reached by an address their certificate does not list).
    pub roots: Option<Arc<RootCertStore>>,
    pub algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PartialVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if let Some(roots) = &self.roots {
            let cert = ParsedCertificate::try_from(end_entity)?;
            rustls::client::verify_server_cert_signed_by_trust_anchor(
                &cert,
                roots,
                intermediates,
                now,
                self.algorithms.all,
            )?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
