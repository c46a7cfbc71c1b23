use super::*;
use crate::stats::history::IntervalSample;

const T0: i64 = 1_700_000_000 - 1_700_000_000 % (7 * 86_400);

fn identity(database: &str) -> DatabaseIdentity {
    DatabaseIdentity {
        system_identifier: "7312345678901234567".to_string(),
        database: database.to_string(),
    }
}

fn sample(calls: u64) -> IntervalSample {
    IntervalSample {
        calls,
        total_ms: calls as f64 * 1.25,
        rows: calls * 3,
        shared_blks_hit: calls * 40,
        shared_blks_read: calls % 3,
        temp_blks_written: 0,
    }
}

/// Polls every 10 s over `[from, to]`; statement n runs in polls where
/// `poll % n == 0`, so the statements have different densities.
fn record(history: &mut History, from: i64, to: i64, statements: u64) {
    let mut poll = 0u64;
    let mut at = from;
    while at <= to {
        let samples: Vec<_> = (1..=statements)
            .filter(|n| poll.is_multiple_of(*n))
            .map(|n| (Fingerprint(n), sample(n + poll % 7)))
            .collect();
        history.record_poll(at, 10.0, &samples);
        poll += 1;
        at += 10;
    }
}

/// The file holds exactly the history's chunks: nothing stale left behind.
fn assert_stored_exactly(store: &HistoryStore, history: &History) {
    let in_memory: usize = history.changes_since(None).map(|c| c.chunks.len()).sum();
    assert_eq!(store.stored_values().unwrap(), in_memory as u64);
}

fn assert_same(saved: &History, loaded: &History) {
    assert!(
        saved.same_content(loaded),
        "loaded history differs from the saved one"
    );
    // And through the public API.
    for fingerprint in saved.fingerprints() {
        assert_eq!(
            saved.window(fingerprint, 0, i64::MAX),
            loaded.window(fingerprint, 0, i64::MAX)
        );
        assert_eq!(
            saved.first_seen(fingerprint),
            loaded.first_seen(fingerprint)
        );
    }
}

#[test]
fn save_then_load_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let mut history = History::new();
    record(&mut history, T0, T0 + 2 * 86_400, 5);
    let store = HistoryStore::open(dir.path(), &identity("app")).unwrap();
    assert!(
        store.load().unwrap().is_empty(),
        "a new file loads as empty"
    );
    store.save(&history).unwrap();
    assert_same(&history, &store.load().unwrap());
    assert_eq!(
        store.path(),
        dir.path().join("7312345678901234567-app.redb")
    );
}

#[test]
fn incremental_saves_track_downsampling_pruning_and_forgotten_statements() {
    let dir = tempfile::tempdir().unwrap();
    let store = HistoryStore::open(dir.path(), &identity("app")).unwrap();
    let mut history = History::new();
    record(&mut history, T0, T0 + 3 * 3600, 4);
    store.save(&history).unwrap();
    let values_before = store.stored_values().unwrap();

    // More polls: fine chunks move to medium and new ones appear.
    record(&mut history, T0 + 3 * 3600 + 10, T0 + 30 * 3600, 4);
    store.save(&history).unwrap();
    assert_same(&history, &store.load().unwrap());

    // A saved-then-loaded history continues incrementally too.
    let mut reloaded = store.load().unwrap();
    record(&mut reloaded, T0 + 30 * 3600 + 10, T0 + 31 * 3600, 2);
    store.save(&reloaded).unwrap();
    assert_same(&reloaded, &store.load().unwrap());

    // Weeks later statement 1 alone is still running: the others are forgotten.
    record(&mut reloaded, T0 + 20 * 86_400, T0 + 20 * 86_400 + 600, 1);
    reloaded.prune(T0 + 20 * 86_400 + 600);
    assert_eq!(
        reloaded.fingerprints().collect::<Vec<_>>(),
        vec![Fingerprint(1)]
    );
    store.save(&reloaded).unwrap();
    let loaded = store.load().unwrap();
    assert_same(&reloaded, &loaded);
    assert_stored_exactly(&store, &reloaded);
    assert!(store.stored_values().unwrap() < values_before);
}

#[test]
fn an_unrelated_history_replaces_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = HistoryStore::open(dir.path(), &identity("app")).unwrap();
    let mut first = History::new();
    record(&mut first, T0, T0 + 3600, 3);
    store.save(&first).unwrap();
    let mut second = History::new();
    record(&mut second, T0 + 7200, T0 + 7800, 1);
    store.save(&second).unwrap();
    assert_same(&second, &store.load().unwrap());
}

#[test]
fn reopening_after_drop_sees_the_saved_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut history = History::new();
    record(&mut history, T0, T0 + 7200, 3);
    {
        let store = HistoryStore::open(dir.path(), &identity("app")).unwrap();
        store.save(&history).unwrap();
    }
    let store = HistoryStore::open(dir.path(), &identity("app")).unwrap();
    assert_same(&history, &store.load().unwrap());
}

#[test]
fn a_second_open_of_the_same_file_is_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let _first = HistoryStore::open(dir.path(), &identity("app")).unwrap();
    let error = HistoryStore::open(dir.path(), &identity("app")).unwrap_err();
    assert!(matches!(error, StoreError::InUse { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("in use by another OptiSchema process")
    );
}

#[test]
fn two_identities_use_two_files() {
    let dir = tempfile::tempdir().unwrap();
    let app = HistoryStore::open(dir.path(), &identity("app")).unwrap();
    let other = HistoryStore::open(dir.path(), &identity("other db")).unwrap();
    assert_ne!(app.path(), other.path());
    let mut history = History::new();
    record(&mut history, T0, T0 + 600, 2);
    app.save(&history).unwrap();
    assert!(other.load().unwrap().is_empty());
    assert_eq!(app.load().unwrap().len(), 2);
    assert!(other.path().ends_with("7312345678901234567-other_db.redb"));
}

#[test]
fn a_corrupt_file_is_an_error_and_reset_starts_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = HistoryStore::file_path(dir.path(), &identity("app"));
    std::fs::write(
        &path,
        b"this is not a redb file, just some bytes".repeat(200),
    )
    .unwrap();
    let error = HistoryStore::open(dir.path(), &identity("app")).unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
    assert!(error.to_string().contains("is damaged"));
    HistoryStore::reset(dir.path(), &identity("app")).unwrap();
    let store = HistoryStore::open(dir.path(), &identity("app")).unwrap();
    assert!(store.load().unwrap().is_empty());
    // Resetting a missing file is fine.
    drop(store);
    HistoryStore::reset(dir.path(), &identity("app")).unwrap();
    HistoryStore::reset(dir.path(), &identity("app")).unwrap();
}

#[test]
fn damaged_pages_of_a_saved_file_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut history = History::new();
    record(&mut history, T0, T0 + 86_400, 20);
    {
        let store = HistoryStore::open(dir.path(), &identity("app")).unwrap();
        store.save(&history).unwrap();
    }
    let path = HistoryStore::file_path(dir.path(), &identity("app"));
    let mut bytes = std::fs::read(&path).unwrap();
    // Scribble over the middle of the file, where the chunk pages are.
    let middle = bytes.len() / 2;
    for byte in &mut bytes[middle..middle + 4096] {
        *byte ^= 0x5a;
    }
    std::fs::write(&path, &bytes).unwrap();
    let outcome = HistoryStore::open(dir.path(), &identity("app")).and_then(|store| store.load());
    match outcome {
        Err(StoreError::Corrupt { .. }) => {}
        // The scribble may have hit free pages only; then the data must be intact.
        Ok(loaded) => assert_same(&history, &loaded),
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn a_newer_format_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = {
        let store = HistoryStore::open(dir.path(), &identity("app")).unwrap();
        let write = store.db.begin_write().unwrap();
        {
            let mut meta = write.open_table(META).unwrap();
            meta.insert(SCHEMA_VERSION_KEY, 99).unwrap();
        }
        write.commit().unwrap();
        store.path().to_path_buf()
    };
    let error = HistoryStore::open(dir.path(), &identity("app")).unwrap_err();
    match &error {
        StoreError::UnsupportedVersion {
            found, supported, ..
        } => {
            assert_eq!((*found, *supported), (99, SCHEMA_VERSION));
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert!(error.to_string().contains("format version 99"));
    assert!(path.exists());
}

#[test]
fn damaged_chunk_bytes_are_corrupt_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let store = HistoryStore::open(dir.path(), &identity("app")).unwrap();
    let mut history = History::new();
    record(&mut history, T0, T0 + 600, 1);
    store.save(&history).unwrap();
    let write = store.db.begin_write().unwrap();
    {
        let mut chunks = write.open_table(CHUNKS).unwrap();
        chunks.insert((0, 0, 1), [0xffu8, 0xff].as_slice()).unwrap();
    }
    write.commit().unwrap();
    let error = store.load().unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
}

#[test]
fn the_default_directory_is_under_the_user_cache() {
    if let Some(dir) = HistoryStore::default_dir() {
        assert!(dir.ends_with("optischema/history"));
    }
}

#[test]
fn random_saves_always_load_back_what_was_saved() {
    // Statements that come and go over three weeks, saved at irregular
    // moments: every cut of every tier, partly drained chunks, forgotten
    // statements and reloads happen between some pair of saves.
    let dir = tempfile::tempdir().unwrap();
    let store = HistoryStore::open(dir.path(), &identity("app")).unwrap();
    let mut history = History::new();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut random = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let mut at = T0;
    let mut saves = 0;
    while at < T0 + 21 * 86_400 {
        // Polls every minute; a long pause now and then.
        at += if random(500) == 0 { 30_000 } else { 60 };
        let hour = (at - T0) / 3600;
        // Statement n runs in hours where hour % (n + 1) != 0, with gaps,
        // and statement 6 only in the first week.
        let mut samples = Vec::new();
        for n in 1..=6u64 {
            let runs = hour % (n as i64 + 1) != 0 && (n != 6 || at < T0 + 7 * 86_400);
            if runs && random(3) != 0 {
                samples.push((Fingerprint(n), sample(1 + random(50))));
            }
        }
        history.record_poll(at, 60.0, &samples);
        if random(200) == 0 {
            history.prune(at);
        }
        if random(40) == 0 {
            store.save(&history).unwrap();
            saves += 1;
            if saves % 5 == 0 {
                let loaded = store.load().unwrap();
                assert_same(&history, &loaded);
                assert_stored_exactly(&store, &history);
                if saves % 10 == 0 {
                    // Go on from the loaded copy, as after a restart.
                    history = loaded;
                }
            }
        }
    }
    store.save(&history).unwrap();
    assert_same(&history, &store.load().unwrap());
    assert_stored_exactly(&store, &history);
    assert!(!history.fingerprints().any(|f| f == Fingerprint(6)));
    assert!(saves > 100, "{saves} saves");
}
