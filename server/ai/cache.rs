//! Gated suggestions, cached in memory and on disk, so reopening a file or
//! restarting the editor does not ask the model again.
//!
//! The key is the statement's fingerprint plus a hash of everything the
//! answer depends on: the statement as sent, the model, and the catalog
//! state of its tables (columns and index definitions — not sizes or row
//! counts, which change all the time without changing the advice). A new
//! index or column therefore asks again. What is stored is the *gated*
//! suggestion, never the raw answer. Unreadable entries are removed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::context::AiContext;
use super::gate::GatedSuggestion;
use crate::sql::fingerprint::Fingerprint;
use crate::sql::lexer::{TokenKind, tokenize};

/// Entries kept in memory; beyond it, an arbitrary one makes room.
const MAX_MEMORY_ENTRIES: usize = 2_000;
/// Larger files are not cache entries.
const MAX_FILE_BYTES: u64 = 1 << 20;
/// Bumped when the stored form or the gate's rules change.
const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheKey {
    pub fingerprint: Fingerprint,
    /// Hash of the statement as sent, the model and the catalog state.
    pub state: u64,
}

impl CacheKey {
    pub fn new(fingerprint: Fingerprint, context: &AiContext, model: &str) -> CacheKey {
        let mut hash = StableHash::new();
        hash.text(model);
        hash.text(&format!("v{FORMAT_VERSION}"));
        // Token by token: layout, comments and keyword case do not change the answer.
        for token in tokenize(&context.statement) {
            let text = token.text(&context.statement);
            match token.kind {
                kind if kind.is_trivia() => {}
                TokenKind::Word => hash.text(&text.to_ascii_lowercase()),
                _ => hash.text(text),
            }
        }
        hash.text(if context.literals_sent {
            "literals"
        } else {
            "parameters"
        });
        let mut tables: Vec<_> = context.tables.iter().collect();
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        for table in tables {
            hash.text(&table.name);
            for column in &table.columns {
                hash.text(&column.name);
                hash.text(&column.data_type);
                hash.text(if column.not_null { "not null" } else { "null" });
            }
            let mut indexes: Vec<&String> = table.indexes.iter().collect();
            indexes.sort();
            for index in indexes {
                hash.text(index);
            }
        }
        CacheKey {
            fingerprint,
            state: hash.0,
        }
    }

    fn file_name(&self) -> String {
        format!("{}-{:016x}.json", self.fingerprint, self.state)
    }
}

/// 64-bit FNV-1a over length-prefixed parts: stable across runs and
/// versions (it names files), unlike std's hasher.
struct StableHash(u64);

impl StableHash {
    fn new() -> Self {
        StableHash(0xcbf2_9ce4_8422_2325)
    }

    fn text(&mut self, text: &str) {
        for byte in (text.len() as u64)
            .to_le_bytes()
            .iter()
            .chain(text.as_bytes())
        {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// The on-disk form of one entry.
#[derive(Serialize, Deserialize)]
struct StoredEntry {
    version: u32,
    fingerprint: String,
    state: String,
    suggestion: GatedSuggestion,
}

pub struct SuggestionCache {
    memory: Mutex<HashMap<CacheKey, Arc<GatedSuggestion>>>,
    /// `None`: memory only.
    dir: Option<PathBuf>,
}

impl SuggestionCache {
    /// `dirs::cache_dir()/optischema/ai`, where the user has a cache directory.
    pub fn default_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|dir| dir.join("optischema").join("ai"))
    }

    pub fn new(dir: Option<PathBuf>) -> SuggestionCache {
        SuggestionCache {
            memory: Mutex::new(HashMap::new()),
            dir,
        }
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, Arc<GatedSuggestion>>> {
        // A poisoned lock only means a panic elsewhere; the map is intact.
        self.memory.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// From memory only: never touches the disk (for request handlers).
    pub fn get_in_memory(&self, key: &CacheKey) -> Option<Arc<GatedSuggestion>> {
        self.memory().get(key).cloned()
    }

    /// From memory, else from disk (then kept in memory). Blocking I/O.
    pub fn get(&self, key: &CacheKey) -> Option<Arc<GatedSuggestion>> {
        if let Some(found) = self.get_in_memory(key) {
            return Some(found);
        }
        let path = self.dir.as_ref()?.join(key.file_name());
        let suggestion = Arc::new(read_entry(&path, key)?);
        self.remember(*key, suggestion.clone());
        Some(suggestion)
    }

    /// Keeps `suggestion` in memory and on disk. Blocking I/O; a failed
    /// write is logged and otherwise ignored (the cache is an optimization).
    pub fn put(&self, key: CacheKey, suggestion: GatedSuggestion) -> Arc<GatedSuggestion> {
        let suggestion = Arc::new(suggestion);
        self.remember(key, suggestion.clone());
        if let Some(dir) = &self.dir
            && let Err(error) = write_entry(dir, &key, &suggestion)
        {
            tracing::warn!(dir = %dir.display(), %error, "cannot write the AI suggestion cache");
        }
        suggestion
    }

    fn remember(&self, key: CacheKey, suggestion: Arc<GatedSuggestion>) {
        let mut memory = self.memory();
        if memory.len() >= MAX_MEMORY_ENTRIES
            && !memory.contains_key(&key)
            && let Some(evicted) = memory.keys().next().copied()
        {
            memory.remove(&evicted);
        }
        memory.insert(key, suggestion);
    }
}

/// Reads an entry; a missing file is a miss, an unreadable one is removed.
fn read_entry(path: &Path, key: &CacheKey) -> Option<GatedSuggestion> {
    let metadata = std::fs::metadata(path).ok()?;
    let entry = (metadata.len() <= MAX_FILE_BYTES)
        .then(|| std::fs::read(path).ok())
        .flatten()
        .and_then(|bytes| serde_json::from_slice::<StoredEntry>(&bytes).ok())
        .filter(|entry| {
            entry.version == FORMAT_VERSION
                && entry.fingerprint == key.fingerprint.to_string()
                && entry.state == format!("{:016x}", key.state)
        });
    if entry.is_none() {
        tracing::warn!(path = %path.display(), "removing an unreadable AI cache entry");
        let _ = std::fs::remove_file(path);
    }
    entry.map(|entry| entry.suggestion)
}

/// Writes through a temporary file and a rename, so a reader never sees half an entry.
fn write_entry(dir: &Path, key: &CacheKey, suggestion: &GatedSuggestion) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let entry = StoredEntry {
        version: FORMAT_VERSION,
        fingerprint: key.fingerprint.to_string(),
        state: format!("{:016x}", key.state),
        suggestion: suggestion.clone(),
    };
    let bytes = serde_json::to_vec_pretty(&entry).map_err(std::io::Error::other)?;
    let path = dir.join(key.file_name());
    let temporary = dir.join(format!("{}.{}.tmp", key.file_name(), std::process::id()));
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, &path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::context::{ColumnContext, TableContext};

    fn context(statement: &str, index: &str) -> AiContext {
        AiContext {
            statement: statement.into(),
            literals: Vec::new(),
            literals_sent: false,
            tables: vec![TableContext {
                name: "public.orders".into(),
                columns: vec![ColumnContext {
                    name: "id".into(),
                    data_type: "bigint".into(),
                    not_null: true,
                }],
                indexes: vec![index.into()],
                estimated_rows: 10.0,
                total_bytes: 8192,
            }],
            plan: None,
            stats: None,
        }
    }

    fn suggestion() -> GatedSuggestion {
        GatedSuggestion {
            model: "m".into(),
            explanation: "x".into(),
            indexes: Vec::new(),
            rewrite: None,
            dropped: Vec::new(),
        }
    }

    #[test]
    fn keys_follow_the_catalog_and_model_not_formatting_or_sizes() {
        let fingerprint = Fingerprint(7);
        let base = CacheKey::new(fingerprint, &context("SELECT 1", "CREATE INDEX a"), "m");
        let reformatted =
            CacheKey::new(fingerprint, &context("select\n  1", "CREATE INDEX a"), "m");
        assert_eq!(base, reformatted);
        let commented = CacheKey::new(
            fingerprint,
            &context("SELECT 1 -- c", "CREATE INDEX a"),
            "m",
        );
        assert_eq!(base, commented);
        let other = CacheKey::new(fingerprint, &context("SELECT 2", "CREATE INDEX a"), "m");
        assert_ne!(base, other);
        let mut resized = context("SELECT 1", "CREATE INDEX a");
        resized.tables[0].estimated_rows = 1e9;
        resized.tables[0].total_bytes = 1 << 40;
        resized.plan = Some("Seq Scan".into());
        assert_eq!(base, CacheKey::new(fingerprint, &resized, "m"));
        assert_ne!(
            base,
            CacheKey::new(fingerprint, &context("SELECT 1", "CREATE INDEX b"), "m")
        );
        assert_ne!(
            base,
            CacheKey::new(fingerprint, &context("SELECT 1", "CREATE INDEX a"), "m2")
        );
    }

    #[test]
    fn entries_survive_a_restart_and_corrupt_ones_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let key = CacheKey::new(Fingerprint(1), &context("SELECT 1", "i"), "m");
        SuggestionCache::new(Some(dir.path().into())).put(key, suggestion());

        let restarted = SuggestionCache::new(Some(dir.path().into()));
        assert!(restarted.get_in_memory(&key).is_none());
        assert_eq!(restarted.get(&key).as_deref(), Some(&suggestion()));
        assert!(restarted.get_in_memory(&key).is_some());

        let path = dir.path().join(key.file_name());
        std::fs::write(&path, b"{not json").unwrap();
        assert!(
            SuggestionCache::new(Some(dir.path().into()))
                .get(&key)
                .is_none()
        );
        assert!(!path.exists());
    }

    #[test]
    fn an_entry_under_another_key_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let key = CacheKey::new(Fingerprint(1), &context("SELECT 1", "i"), "m");
        let other = CacheKey::new(Fingerprint(2), &context("SELECT 1", "i"), "m");
        SuggestionCache::new(Some(dir.path().into())).put(key, suggestion());
        std::fs::rename(
            dir.path().join(key.file_name()),
            dir.path().join(other.file_name()),
        )
        .unwrap();
        assert!(
            SuggestionCache::new(Some(dir.path().into()))
                .get(&other)
                .is_none()
        );
    }

    #[test]
    fn memory_only_and_unwritable_directories_still_work() {
        let key = CacheKey::new(Fingerprint(1), &context("SELECT 1", "i"), "m");
        let memory_only = SuggestionCache::new(None);
        memory_only.put(key, suggestion());
        assert!(memory_only.get(&key).is_some());

        let file = tempfile::NamedTempFile::new().unwrap();
        let unwritable = SuggestionCache::new(Some(file.path().join("sub")));
        unwritable.put(key, suggestion());
        assert!(unwritable.get(&key).is_some());
    }
}
