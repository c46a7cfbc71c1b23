//! The settings a connection string names explicitly, before environment
//! variables and defaults fill the gaps.

use super::ParseError;

/// libpq keywords that we accept but do not act on. A connection string that
/// works with psql should not be rejected because it tunes something we do not
/// implement; a warning says what is ignored.
const IGNORED_KEYWORDS: &[&str] = &[
    "channel_binding",
    "client_encoding",
    "fallback_application_name",
    "gssdelegation",
    "gssencmode",
    "gsslib",
    "hostaddr",
    "keepalives",
    "keepalives_count",
    "keepalives_idle",
    "keepalives_interval",
    "krbsrvname",
    "load_balance_hosts",
    "replication",
    "require_auth",
    "requirepeer",
    "service",
    "ssl_max_protocol_version",
    "ssl_min_protocol_version",
    "sslcert",
    "sslcertmode",
    "sslcompression",
    "sslcrl",
    "sslcrldir",
    "sslkey",
    "sslnegotiation",
    "sslpassword",
    "sslsni",
    "target_session_attrs",
    "tcp_user_timeout",
];

/// Explicitly given settings, as text, keyed like libpq's keywords. Empty
/// values count as not given, as in libpq.
#[derive(Default, Clone, PartialEq, Eq)]
pub(crate) struct RawParams {
    pub host: Option<String>,
    pub port: Option<String>,
    pub dbname: Option<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub sslmode: Option<String>,
    pub sslrootcert: Option<String>,
    pub application_name: Option<String>,
    pub connect_timeout: Option<String>,
    pub options: Option<String>,
    pub passfile: Option<String>,
}

impl RawParams {
    /// Records `keyword = value`; a later setting of the same keyword wins, as in libpq.
    pub fn set(&mut self, keyword: &str, value: String) -> Result<(), ParseError> {
        // The startup packet is NUL-terminated text; a NUL would truncate or
        // corrupt it.
        if value.contains('\0') {
            return Err(ParseError::NulCharacter {
                keyword: super::printable_keyword(keyword),
            });
        }
        let value = Some(value).filter(|value| !value.is_empty());
        let slot = match keyword {
            "host" => &mut self.host,
            "port" => &mut self.port,
            "dbname" => &mut self.dbname,
            "user" => &mut self.user,
            "password" => &mut self.password,
            "sslmode" => &mut self.sslmode,
            "sslrootcert" => &mut self.sslrootcert,
            "application_name" => &mut self.application_name,
            "connect_timeout" => &mut self.connect_timeout,
            "options" => &mut self.options,
            "passfile" => &mut self.passfile,
            // JDBC's spelling, which libpq also accepts in URIs (only as `true`).
            "ssl" => {
                if value.as_deref() != Some("true") {
                    return Err(ParseError::InvalidSslMode {
                        value: value.as_deref().and_then(super::printable_keyword),
                        origin: super::Origin::ConnectionString,
                    });
                }
                self.sslmode = Some("require".to_owned());
                return Ok(());
            }
            _ if IGNORED_KEYWORDS.contains(&keyword) => {
                tracing::warn!(
                    keyword,
                    "connection parameter is not supported; ignoring it"
                );
                return Ok(());
            }
            _ => return Err(ParseError::unknown_parameter(keyword)),
        };
        *slot = value;
        Ok(())
    }
}
