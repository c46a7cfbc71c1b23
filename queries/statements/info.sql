-- pg_stat_statements 1.9+: when all entries were last reset. A change means
-- the cumulative counters restarted from zero.
SELECT stats_reset FROM pg_stat_statements_info;
