//! Where connection settings come from besides the connection string: the
//! process environment, the home directory and the filesystem.
//!
//! Parsing takes an [`Environment`] instead of reading `std::env` directly so
//! tests (and callers that hold settings from an editor) can supply their own
//! variables without mutating the process environment, which is shared by every
//! thread of the test harness.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The outside world as the connection layer sees it.
pub trait Environment {
    /// The value of an environment variable; `None` when unset or not UTF-8.
    fn var(&self, name: &str) -> Option<String>;

    /// The current user's home directory (for `~/.pgpass` and `~/.postgresql/`).
    fn home_dir(&self) -> Option<PathBuf>;

    /// Whether `path` is an existing directory (for the default socket directory).
    fn is_dir(&self, path: &Path) -> bool;

    /// Whether `path` is an existing file (for the default root certificate).
    fn is_file(&self, path: &Path) -> bool;

    /// The operating-system user name, libpq's default for `user`.
    ///
    /// libpq asks the password database; we read the variables login shells set,
    /// which avoids both `unsafe` FFI and spawning `whoami`.
    fn os_user(&self) -> Option<String> {
        ["USER", "LOGNAME", "USERNAME"]
            .iter()
            .find_map(|name| self.var(name).filter(|value| !value.is_empty()))
    }
}

/// The real process environment and filesystem.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn home_dir(&self) -> Option<PathBuf> {
        dirs::home_dir()
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }
}

/// A fixed environment: the given variables, an optional home directory, and a
/// list of paths that exist. Meant for tests and for callers that resolve
/// settings on behalf of someone else (e.g. an editor's environment).
#[derive(Debug, Clone, Default)]
pub struct MapEnvironment {
    pub vars: HashMap<String, String>,
    pub home: Option<PathBuf>,
    pub existing_dirs: Vec<PathBuf>,
    pub existing_files: Vec<PathBuf>,
}

impl MapEnvironment {
    /// An environment with the given variables, no home directory, and no
    /// existing paths.
    pub fn with_vars<'a>(vars: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        MapEnvironment {
            vars: vars
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect(),
            ..MapEnvironment::default()
        }
    }
}

impl Environment for MapEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn home_dir(&self) -> Option<PathBuf> {
        self.home.clone()
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.existing_dirs.iter().any(|dir| dir == path)
    }

    fn is_file(&self, path: &Path) -> bool {
        self.existing_files.iter().any(|file| file == path)
    }
}
