//! Rendering a [`ConnSpec`] as a `postgresql://` URI with the password hidden.

use std::fmt::Write;

use super::{ConnSpec, Host, SslMode};

pub(super) fn redacted_uri(spec: &ConnSpec) -> String {
    let mut uri = String::from("postgresql://");
    uri.push_str(&encode(&spec.user, false));
    if spec.password.is_some() {
        uri.push_str(":***");
    }
    uri.push('@');
    let mut query = Vec::new();
    match &spec.host {
        // IPv6: brackets, with a zone's `%` encoded (`[fe80::1%25eth0]`).
        Host::Tcp(name) if name.contains(':') => {
            let _ = write!(uri, "[{}]:{}", name.replace('%', "%25"), spec.port);
        }
        Host::Tcp(name) => {
            let _ = write!(uri, "{}:{}", encode(name, false), spec.port);
        }
        // A socket directory is clearer as a parameter than percent-encoded
        // in the authority; libpq reads both.
        Host::Unix(dir) => {
            let _ = write!(uri, ":{}", spec.port);
            query.push(format!("host={}", encode(&dir.to_string_lossy(), true)));
        }
    }
    uri.push('/');
    uri.push_str(&encode(&spec.dbname, false));
    if spec.sslmode != SslMode::Prefer {
        query.push(format!("sslmode={}", spec.sslmode));
    }
    if !query.is_empty() {
        uri.push('?');
        uri.push_str(&query.join("&"));
    }
    uri
}

/// Percent-encodes everything but RFC 3986's unreserved characters (and `/`
/// in query values, where it is harmless and keeps paths readable).
fn encode(text: &str, keep_slash: bool) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && byte == b'/');
        if keep {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}
