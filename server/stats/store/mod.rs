//! The statement history on disk: one redb file per monitored database, so
//! trends survive editor restarts.
//!
//! File layout (format version 1):
//!
//! ```text
//! table "meta"   &str → u64
//!   schema_version   1
//!   lineage          which History the chunks belong to
//!   generation       the History generation they reflect
//!   clock            newest time the History had seen (Unix seconds)
//!   latest_stamp     stamp of its newest poll (u64::MAX: none)
//! table "chunks" (tier u8, chunk start u32, fingerprint u64) → bytes
//!   one chunk of the fine (0), medium (1) or coarse (2) tier of one
//!   statement, records encoded as in memory (history/codec.rs)
//! table "seen"   fingerprint u64 → (first_seen u32, last_seen u32)
//!   one per statement; chunks of a statement without one are ignored
//! ```
//!
//! A save writes only what changed since the previous save — mostly each
//! statement's newest fine chunk — and deletes what downsampling and
//! retention removed (see `history/persist.rs`). Keys are time-major on
//! purpose: the chunks one save rewrites all have the same few starts, so
//! they sit side by side in the B-tree and a save rewrites a run of pages
//! instead of one scattered page per statement; and what a tier drops is
//! one key range.
//!
//! One process at a time: redb locks the file, and a second editor on the
//! same database gets `StoreError::InUse` and runs without persistence.

mod error;

#[cfg(test)]
mod tests;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use redb::{
    Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, TableError,
};

use super::history::{History, HistoryHeader, HistoryLoader};
use super::model::DatabaseIdentity;
use crate::sql::fingerprint::Fingerprint;

pub use error::StoreError;

/// Bump when the layout above or the record encoding changes.
const SCHEMA_VERSION: u64 = 1;

const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const CHUNKS: TableDefinition<(u8, u32, u64), &[u8]> = TableDefinition::new("chunks");
const SEEN: TableDefinition<u64, (u32, u32)> = TableDefinition::new("seen");

const SCHEMA_VERSION_KEY: &str = "schema_version";
const LINEAGE_KEY: &str = "lineage";
const GENERATION_KEY: &str = "generation";
const CLOCK_KEY: &str = "clock";
const LATEST_STAMP_KEY: &str = "latest_stamp";
const NO_STAMP: u64 = u64::MAX;

/// redb caches pages up to this much (its default is 1 GiB). Loads and
/// saves stream through the file once, so a small cache costs little time
/// and keeps the server's memory to the history itself.
const CACHE_BYTES: usize = 8 << 20;

/// An open history file.
pub struct HistoryStore {
    db: Database,
    path: PathBuf,
}

impl std::fmt::Debug for HistoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryStore")
            .field("path", &self.path)
            .finish()
    }
}

/// Runs redb work, turning a panic into `Corrupt`: redb trusts what it
/// reads in places (and asserts in debug builds), and a damaged file must
/// not take the language server down.
fn guarded<T>(path: &Path, work: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|_| {
        Err(StoreError::corrupt(
            path,
            "the storage library panicked on it",
        ))
    })
}

impl HistoryStore {
    /// The user's cache directory + `optischema/history`.
    pub fn default_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|cache| cache.join("optischema").join("history"))
    }

    /// `<dir>/<identity.storage_key()>.redb`.
    pub fn file_path(dir: &Path, identity: &DatabaseIdentity) -> PathBuf {
        dir.join(format!("{}.redb", identity.storage_key()))
    }

    /// Opens the identity's file in `dir`, creating both if needed.
    pub fn open(dir: &Path, identity: &DatabaseIdentity) -> Result<HistoryStore, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = Self::file_path(dir, identity);
        guarded(&path, || {
            let db = Database::builder()
                .set_cache_size(CACHE_BYTES)
                // A damaged file is reported instead of trusted (a plain
                // open may panic on one). Costs one read of the file.
                .set_check_integrity_on_open(true)
                .create(&path)
                .map_err(|error| StoreError::from_redb(&path, error))?;
            let store = HistoryStore {
                db,
                path: path.clone(),
            };
            store.check_version()?;
            Ok(store)
        })
    }

    /// Deletes the identity's file (after `Corrupt` or `UnsupportedVersion`).
    /// Drop any open store of it first.
    pub fn reset(dir: &Path, identity: &DatabaseIdentity) -> Result<(), StoreError> {
        let path = Self::file_path(dir, identity);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(StoreError::Io { path, source }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn redb_error(&self, error: impl Into<redb::Error>) -> StoreError {
        StoreError::from_redb(&self.path, error)
    }

    /// Accepts our version, stamps a new file with it, refuses the rest.
    fn check_version(&self) -> Result<(), StoreError> {
        let read = self.db.begin_read().map_err(|e| self.redb_error(e))?;
        let version = match read.open_table(META) {
            Ok(meta) => meta
                .get(SCHEMA_VERSION_KEY)
                .map_err(|e| self.redb_error(e))?
                .map(|guard| guard.value()),
            Err(TableError::TableDoesNotExist(_)) => None,
            Err(error) => return Err(self.redb_error(error)),
        };
        match version {
            Some(SCHEMA_VERSION) => return Ok(()),
            Some(found) => {
                return Err(StoreError::UnsupportedVersion {
                    path: self.path.clone(),
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
            None => {}
        }
        // No version: a new file, or a redb file that is not ours.
        if read
            .list_tables()
            .map_err(|e| self.redb_error(e))?
            .next()
            .is_some()
        {
            return Err(StoreError::corrupt(&self.path, "it has no format version"));
        }
        drop(read);
        let write = self.db.begin_write().map_err(|e| self.redb_error(e))?;
        {
            let mut meta = write.open_table(META).map_err(|e| self.redb_error(e))?;
            meta.insert(SCHEMA_VERSION_KEY, SCHEMA_VERSION)
                .map_err(|e| self.redb_error(e))?;
        }
        write.commit().map_err(|e| self.redb_error(e))
    }

    /// Reads the whole history. A file that was never saved to gives an
    /// empty history.
    pub fn load(&self) -> Result<History, StoreError> {
        guarded(&self.path, || self.load_unguarded())
    }

    fn load_unguarded(&self) -> Result<History, StoreError> {
        let read = self.db.begin_read().map_err(|e| self.redb_error(e))?;
        let meta = read.open_table(META).map_err(|e| self.redb_error(e))?;
        let number = |key: &str| -> Result<Option<u64>, StoreError> {
            Ok(meta
                .get(key)
                .map_err(|e| self.redb_error(e))?
                .map(|guard| guard.value()))
        };
        let (Some(lineage), Some(generation)) = (number(LINEAGE_KEY)?, number(GENERATION_KEY)?)
        else {
            return Ok(History::new());
        };
        let clock = number(CLOCK_KEY)?
            .and_then(|clock| u32::try_from(clock).ok())
            .ok_or_else(|| StoreError::corrupt(&self.path, "no valid clock"))?;
        let latest_stamp =
            match number(LATEST_STAMP_KEY)? {
                Some(NO_STAMP) => None,
                Some(stamp) => Some(u32::try_from(stamp).map_err(|_| {
                    StoreError::corrupt(&self.path, "newest poll time out of range")
                })?),
                None => return Err(StoreError::corrupt(&self.path, "no newest poll time")),
            };
        let header = HistoryHeader {
            lineage,
            generation,
            clock,
            latest_stamp,
        };
        let mut loader = HistoryLoader::new();
        let seen = read.open_table(SEEN).map_err(|e| self.redb_error(e))?;
        for entry in seen.iter().map_err(|e| self.redb_error(e))? {
            let (fingerprint, times) = entry.map_err(|e| self.redb_error(e))?;
            let (first_seen, last_seen) = times.value();
            loader.add_statement(Fingerprint(fingerprint.value()), first_seen, last_seen);
        }
        let chunks = read.open_table(CHUNKS).map_err(|e| self.redb_error(e))?;
        for entry in chunks.iter().map_err(|e| self.redb_error(e))? {
            let (key, value) = entry.map_err(|e| self.redb_error(e))?;
            let (tier, start, fingerprint) = key.value();
            loader
                .add_chunk(Fingerprint(fingerprint), tier, start, value.value())
                .map_err(|detail| StoreError::corrupt(&self.path, detail))?;
        }
        loader
            .finish(header)
            .map_err(|detail| StoreError::corrupt(&self.path, detail))
    }

    /// Writes what changed since the last save of this history (or of the
    /// history it was loaded from), in one transaction. Anything else — a
    /// history from elsewhere, or one whose record of forgotten statements
    /// no longer reaches back to the last save — is written in full.
    pub fn save(&self, history: &History) -> Result<(), StoreError> {
        guarded(&self.path, || self.save_unguarded(history))
    }

    fn save_unguarded(&self, history: &History) -> Result<(), StoreError> {
        let header = history.header();
        let write = self.db.begin_write().map_err(|e| self.redb_error(e))?;
        {
            let mut meta = write.open_table(META).map_err(|e| self.redb_error(e))?;
            let saved = |key: &str| -> Result<Option<u64>, StoreError> {
                Ok(meta
                    .get(key)
                    .map_err(|e| self.redb_error(e))?
                    .map(|guard| guard.value()))
            };
            let since = match (saved(LINEAGE_KEY)?, saved(GENERATION_KEY)?) {
                (Some(lineage), Some(generation))
                    if lineage == header.lineage && generation <= header.generation =>
                {
                    Some(generation)
                }
                _ => None,
            };
            let dropped = since.and_then(|since| history.dropped_since(since));
            let since = since.filter(|_| dropped.is_some());
            if since.is_none() {
                write.delete_table(CHUNKS).map_err(|e| self.redb_error(e))?;
                write.delete_table(SEEN).map_err(|e| self.redb_error(e))?;
            }
            self.write_changes(&write, history, since, &dropped.unwrap_or_default())?;
            let latest_stamp = header.latest_stamp.map_or(NO_STAMP, u64::from);
            for (key, value) in [
                (LINEAGE_KEY, header.lineage),
                (GENERATION_KEY, header.generation),
                (CLOCK_KEY, u64::from(header.clock)),
                (LATEST_STAMP_KEY, latest_stamp),
            ] {
                meta.insert(key, value).map_err(|e| self.redb_error(e))?;
            }
        }
        write.commit().map_err(|e| self.redb_error(e))
    }

    /// Deletes what left memory since `since` and writes what changed
    /// (everything when None, into empty tables). Writes go in key order.
    fn write_changes(
        &self,
        write: &redb::WriteTransaction,
        history: &History,
        since: Option<u64>,
        dropped: &[Fingerprint],
    ) -> Result<(), StoreError> {
        let mut chunks = write.open_table(CHUNKS).map_err(|e| self.redb_error(e))?;
        let mut seen = write.open_table(SEEN).map_err(|e| self.redb_error(e))?;
        let cuts = history.tier_cuts();
        if since.is_some() {
            // Chunks before a tier's cut are gone from every statement.
            for cut in cuts {
                chunks
                    .retain_in((cut.code, 0, 0)..(cut.code, cut.straddling, 0), |_, _| {
                        false
                    })
                    .map_err(|e| self.redb_error(e))?;
            }
        }
        let mut removals = Vec::new();
        for fingerprint in dropped {
            seen.remove(fingerprint.0).map_err(|e| self.redb_error(e))?;
            removals.extend(
                cuts.iter()
                    .map(|cut| (cut.code, cut.straddling, fingerprint.0)),
            );
        }
        let mut inserts = Vec::new();
        let mut seen_times = Vec::new();
        for change in history.changes_since(since) {
            let f = change.fingerprint.0;
            for code in change.trimmed {
                if let Some(cut) = cuts.iter().find(|cut| cut.code == code) {
                    removals.push((code, cut.straddling, f));
                }
            }
            inserts.extend(
                change
                    .chunks
                    .into_iter()
                    .map(|(tier, start, bytes)| ((tier, start, f), bytes)),
            );
            seen_times.push((f, change.seen));
        }
        for key in removals {
            chunks.remove(key).map_err(|e| self.redb_error(e))?;
        }
        inserts.sort_unstable_by_key(|(key, _)| *key);
        for (key, bytes) in inserts {
            chunks.insert(key, bytes).map_err(|e| self.redb_error(e))?;
        }
        seen_times.sort_unstable_by_key(|(fingerprint, _)| *fingerprint);
        for (fingerprint, times) in seen_times {
            seen.insert(fingerprint, times)
                .map_err(|e| self.redb_error(e))?;
        }
        Ok(())
    }

    /// Number of stored values (chunks and seen records), for tests and the
    /// bench.
    pub fn stored_values(&self) -> Result<u64, StoreError> {
        let read = self.db.begin_read().map_err(|e| self.redb_error(e))?;
        match read.open_table(CHUNKS) {
            Ok(chunks) => chunks.len().map_err(|e| self.redb_error(e)),
            Err(TableError::TableDoesNotExist(_)) => Ok(0),
            Err(error) => Err(self.redb_error(error)),
        }
    }
}
