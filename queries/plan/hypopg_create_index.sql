-- $1: the candidate's `CREATE INDEX` text. HypoPG only records it in this
-- session's memory; nothing is built or written.
SELECT indexrelid, indexname FROM hypopg_create_index($1)
