//! Why a plan could not be obtained or evaluated.

/// A failure to plan a statement or to evaluate an index candidate.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// We do not send this text to the monitored database: not exactly one
    /// statement, a utility statement (`EXPLAIN ANALYZE …`, DDL, `SET`, …),
    /// or a syntax error.
    #[error("not explained: {reason}")]
    NotExplainable { reason: String },

    /// The candidate is not a single plain `CREATE INDEX` statement.
    #[error("index candidate refused: {reason}")]
    InvalidCandidate { reason: String },

    /// The server cannot make a generic plan for a parameterized statement.
    #[error("{reason}")]
    Unsupported { reason: String },

    /// A statement from `queries/plan/` failed on the server.
    #[error("{file} failed: {detail}")]
    Query {
        file: &'static str,
        detail: String,
        #[source]
        source: tokio_postgres::Error,
    },

    /// The server's answer could not be read as a plan.
    #[error("EXPLAIN returned an unreadable plan: {detail}")]
    Malformed { detail: String },
}

impl PlanError {
    /// Wraps a server error from `file`, keeping PostgreSQL's own words
    /// (message, detail and hint) rather than the driver's summary.
    pub(crate) fn query(file: &'static str, source: tokio_postgres::Error) -> PlanError {
        let detail = match source.as_db_error() {
            Some(db) => {
                let mut detail = db.message().to_owned();
                for extra in [db.detail(), db.hint()].into_iter().flatten() {
                    detail.push_str(" (");
                    detail.push_str(extra);
                    detail.push(')');
                }
                detail
            }
            None => source.to_string(),
        };
        PlanError::Query {
            file,
            detail,
            source,
        }
    }
}
