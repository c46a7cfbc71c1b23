//! The libpq password file (`~/.pgpass`, or `PGPASSFILE` / `passfile`).
//!
//! Each line is `hostname:port:database:username:password`; a field that is
//! exactly `*` matches anything, `\:` and `\\` escape, `#` starts a comment
//! line, and the first matching line wins. As in libpq, a file that group or
//! others can access is ignored, because it means the secret has leaked.

use std::io;
use std::path::Path;

use crate::db::conninfo::{ConnSpec, DEFAULT_SOCKET_DIR, Host};

/// Socket directories libpq builds may default to; a connection through one
/// of them is matched against `localhost` lines, as libpq does for its own
/// compiled-in default directory.
const DEFAULT_SOCKET_DIRS: &[&str] = &[DEFAULT_SOCKET_DIR, "/run/postgresql", "/tmp"];

/// What a password file line is matched against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgpassKey {
    pub host: String,
    pub port: u16,
    pub dbname: String,
    pub user: String,
}

impl PgpassKey {
    /// The key libpq would use for `spec`.
    pub fn for_spec(spec: &ConnSpec) -> PgpassKey {
        let host = match &spec.host {
            Host::Tcp(name) => name.clone(),
            Host::Unix(dir) if DEFAULT_SOCKET_DIRS.iter().any(|d| dir == Path::new(d)) => {
                "localhost".to_owned()
            }
            Host::Unix(dir) => dir.display().to_string(),
        };
        PgpassKey {
            host,
            port: spec.port,
            dbname: spec.dbname.clone(),
            user: spec.user.clone(),
        }
    }
}

/// What looking in the password file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassfileLookup {
    /// The password of the first matching line.
    Found(String),
    /// No file configured, no file there, or no matching line.
    NotFound,
    /// The file exists but was not used; `reason` says why and how to fix it.
    Ignored { reason: String },
}

/// Looks for `spec`'s password in its password file. A file that exists but
/// cannot be used is logged as a warning, as libpq does.
pub fn lookup(spec: &ConnSpec) -> PassfileLookup {
    let Some(path) = spec.passfile.as_deref() else {
        return PassfileLookup::NotFound;
    };
    match read_private_file(path) {
        Ok(Some(contents)) => find_password(&contents, &PgpassKey::for_spec(spec))
            .map_or(PassfileLookup::NotFound, PassfileLookup::Found),
        Ok(None) => PassfileLookup::NotFound,
        Err(reason) => {
            tracing::warn!(path = %path.display(), "ignoring the password file: {reason}");
            PassfileLookup::Ignored { reason }
        }
    }
}

/// The password for `spec` from its password file, if the file exists, is
/// private, and has a matching line.
pub fn password_for(spec: &ConnSpec) -> Option<String> {
    match lookup(spec) {
        PassfileLookup::Found(password) => Some(password),
        PassfileLookup::NotFound | PassfileLookup::Ignored { .. } => None,
    }
}

/// The password of the first line of `contents` matching `key`.
pub fn find_password(contents: &str, key: &PgpassKey) -> Option<String> {
    let port = key.port.to_string();
    let wanted = [key.host.as_str(), port.as_str(), &key.dbname, &key.user];
    contents.lines().find_map(|line| {
        let line = line.trim_end_matches('\r');
        if line.starts_with('#') {
            return None;
        }
        let fields = split_line(line)?;
        let matches = fields[..4]
            .iter()
            .zip(wanted)
            .all(|(field, wanted)| field.matches(wanted));
        matches.then(|| fields[4].text.clone())
    })
}

struct Field {
    text: String,
    /// The field was exactly `*` (an escaped `\*` is a literal star).
    wildcard: bool,
}

impl Field {
    fn matches(&self, wanted: &str) -> bool {
        self.wildcard || self.text == wanted
    }
}

/// Splits a line into its five fields, unescaping them; `None` for lines with
/// fewer. Text after a fifth unescaped `:` is ignored, as in libpq.
fn split_line(line: &str) -> Option<[Field; 5]> {
    let mut fields = Vec::with_capacity(5);
    let mut chars = line.chars();
    let mut text = String::new();
    let mut raw_star = true;
    let mut raw_len = 0;
    loop {
        let c = chars.next();
        match c {
            Some(':') | None => {
                fields.push(Field {
                    wildcard: raw_star && raw_len == 1,
                    text: std::mem::take(&mut text),
                });
                if fields.len() == 5 || c.is_none() {
                    break;
                }
                raw_star = true;
                raw_len = 0;
            }
            Some('\\') => {
                raw_star = false;
                raw_len += 2;
                // A trailing backslash is kept literally.
                text.push(chars.next().unwrap_or('\\'));
            }
            Some(c) => {
                raw_star &= c == '*';
                raw_len += 1;
                text.push(c);
            }
        }
    }
    fields.try_into().ok()
}

/// The file's text; `Ok(None)` when there is no file; `Err` with the reason
/// when it is unreadable, not a plain file, or accessible to others.
fn read_private_file(path: &Path) -> Result<Option<String>, String> {
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
    };
    if !metadata.is_file() {
        return Err(format!("{} is not a plain file", path.display()));
    }
    if let Some(mode) = group_or_world_access(&metadata) {
        return Err(format!(
            "{path} has group or world access (mode {mode:o}); \
             make it private with chmod 0600 {path}",
            path = path.display()
        ));
    }
    std::fs::read_to_string(path)
        .map(Some)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))
}

/// The file's permission bits when group or others have any access.
#[cfg(unix)]
fn group_or_world_access(metadata: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

/// Windows keeps the file in the user's profile; libpq does not check there.
#[cfg(not(unix))]
fn group_or_world_access(_metadata: &std::fs::Metadata) -> Option<u32> {
    None
}

#[cfg(test)]
mod tests;
