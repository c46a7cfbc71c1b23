//! The immutable view of the database that analysis reads: replaced as a
//! whole (`Arc<Snapshot>`) after every poll, never mutated in place.

/// What the analysis knows about the database right now.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {}

impl Snapshot {
    /// The snapshot used when no database is configured.
    pub fn empty() -> Snapshot {
        Snapshot::default()
    }
}
