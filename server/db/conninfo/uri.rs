//! The libpq URI form:
//! `postgresql://[user[:password]@][host][:port][,...][/dbname][?param=value&...]`.

use super::ParseError;
use super::params::RawParams;

const SCHEMES: &[&str] = &["postgresql://", "postgres://"];

/// Whether `input` should be read as a URI rather than key/value pairs: it
/// starts with a scheme, i.e. `://` comes before any `=` or whitespace.
pub(crate) fn looks_like_uri(input: &str) -> bool {
    let input = input.trim_start();
    match input.find("://") {
        Some(end) => !input[..end].contains(|c: char| c == '=' || c.is_whitespace()),
        None => false,
    }
}

pub(crate) fn parse(input: &str) -> Result<RawParams, ParseError> {
    let input = input.trim();
    let rest = strip_scheme(input)?;
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };

    let mut params = RawParams::default();
    // The last `@` before the query ends the user info, so that an unencoded
    // `@` or `/` in a password still parses the way its author meant.
    let host_and_path = match before_query.rsplit_once('@') {
        Some((userinfo, after)) => {
            let (user, password) = match userinfo.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (userinfo, None),
            };
            params.set("user", decode(user, "user name")?)?;
            if let Some(password) = password {
                params.set("password", decode(password, "password")?)?;
            }
            after
        }
        None => before_query,
    };

    let (hostspec, path) = match host_and_path.split_once('/') {
        Some((hostspec, path)) => (hostspec, Some(path)),
        None => (host_and_path, None),
    };
    parse_hostspec(hostspec, &mut params)?;
    if let Some(dbname) = path {
        params.set("dbname", decode(dbname, "database name")?)?;
    }

    for pair in query.into_iter().flat_map(|query| query.split('&')) {
        if pair.is_empty() {
            continue;
        }
        let Some((keyword, value)) = pair.split_once('=') else {
            return Err(ParseError::MissingValue {
                keyword: super::printable_keyword(pair),
            });
        };
        let keyword = decode(keyword, "query parameter name")?;
        let value = decode(value, "query parameter value")?;
        params.set(&keyword, value)?;
    }
    Ok(params)
}

fn strip_scheme(input: &str) -> Result<&str, ParseError> {
    for scheme in SCHEMES {
        if let Some(prefix) = input.get(..scheme.len())
            && prefix.eq_ignore_ascii_case(scheme)
        {
            return Ok(&input[scheme.len()..]);
        }
    }
    let scheme = input.split("://").next().unwrap_or_default();
    Err(ParseError::UnsupportedScheme {
        scheme: super::printable_keyword(scheme),
    })
}

/// `host[:port]` items separated by commas, where a host may be a bracketed
/// IPv6 address. libpq keeps them as parallel comma-separated lists; so do we,
/// and the resolver picks the first.
fn parse_hostspec(hostspec: &str, params: &mut RawParams) -> Result<(), ParseError> {
    if hostspec.is_empty() {
        return Ok(());
    }
    let mut hosts = Vec::new();
    let mut ports = Vec::new();
    for item in hostspec.split(',') {
        let (host, port) = if let Some(bracketed) = item.strip_prefix('[') {
            let (address, after) = bracketed
                .split_once(']')
                .ok_or(ParseError::InvalidIpv6Host)?;
            match after {
                "" => (address, None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (address, Some(port)),
                    None => return Err(ParseError::InvalidIpv6Host),
                },
            }
        } else {
            match item.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (item, None),
            }
        };
        hosts.push(decode(host, "host")?);
        ports.push(decode(port.unwrap_or_default(), "port")?);
    }
    params.set("host", hosts.join(","))?;
    if ports.iter().any(|port| !port.is_empty()) {
        params.set("port", ports.join(","))?;
    }
    Ok(())
}

/// Percent-decodes one URI component. `component` names it in errors, which
/// never include the text itself (it may be a password).
pub(crate) fn decode(text: &str, component: &'static str) -> Result<String, ParseError> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let byte = bytes
                .get(i + 1..i + 3)
                .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                // libpq refuses %00: C strings cannot hold it, and neither can
                // the startup packet.
                .filter(|&byte| byte != 0)
                .ok_or(ParseError::InvalidPercentEncoding { component })?;
            decoded.push(byte);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded).map_err(|_| ParseError::InvalidUtf8 { component })
}
