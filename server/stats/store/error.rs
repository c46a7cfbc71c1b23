//! Why the history file cannot be used. Every case leaves the caller able
//! to go on with an in-memory history; the messages say which case it is.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process (a second editor on the same database) holds the
    /// file's lock. Run without persistence; do not reset.
    #[error(
        "history file {} is in use by another OptiSchema process (another editor on the same database?); this one keeps its history in memory only",
        path.display()
    )]
    InUse { path: PathBuf },
    /// Not readable as a history file. `HistoryStore::reset` and start over.
    #[error("history file {} is damaged: {detail}", path.display())]
    Corrupt { path: PathBuf, detail: String },
    /// Written by a newer (or unknown) OptiSchema. `HistoryStore::reset`
    /// and start over, or keep the file for the newer version.
    #[error(
        "history file {} has format version {found}; this OptiSchema reads version {supported}",
        path.display()
    )]
    UnsupportedVersion {
        path: PathBuf,
        found: u64,
        supported: u64,
    },
    #[error("cannot use history file or directory {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Anything else the database library reports.
    #[error("history file {}: {detail}", path.display())]
    Database { path: PathBuf, detail: String },
}

impl StoreError {
    pub(super) fn corrupt(path: &Path, detail: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: detail.into(),
        }
    }

    /// Sorts any redb error into the cases above.
    pub(super) fn from_redb(path: &Path, error: impl Into<redb::Error>) -> StoreError {
        let path = path.to_path_buf();
        match error.into() {
            redb::Error::DatabaseAlreadyOpen | redb::Error::LockProtocolMismatch => {
                StoreError::InUse { path }
            }
            // redb reports a file that is not a redb file at all this way.
            redb::Error::Io(source) if source.kind() == std::io::ErrorKind::InvalidData => {
                StoreError::Corrupt {
                    path,
                    detail: source.to_string(),
                }
            }
            redb::Error::Io(source) => StoreError::Io { path, source },
            redb::Error::Corrupted(detail) => StoreError::Corrupt { path, detail },
            redb::Error::UpgradeRequired(version) => StoreError::Corrupt {
                path,
                detail: format!("written in an old storage format ({version})"),
            },
            error @ (redb::Error::TableDoesNotExist(_)
            | redb::Error::TableTypeMismatch { .. }
            | redb::Error::TypeDefinitionChanged { .. }
            | redb::Error::TableIsMultimap(_)
            | redb::Error::TableIsNotMultimap(_)) => StoreError::Corrupt {
                path,
                detail: format!("not laid out as a history file ({error})"),
            },
            error => StoreError::Database {
                path,
                detail: error.to_string(),
            },
        }
    }
}
