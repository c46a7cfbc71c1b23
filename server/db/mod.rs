//! Connecting to PostgreSQL: connection settings and sessions.
