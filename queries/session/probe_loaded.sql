-- Fails with "pg_stat_statements must be loaded via shared_preload_libraries"
-- when the extension is installed but its library is not preloaded. The
-- function must actually run for that check: LIMIT 1 still calls it.
SELECT 1 FROM pg_stat_statements(false) LIMIT 1;
