//! Plans remembered by statement fingerprint and catalog state, so a
//! statement is planned again only when the schema or the table sizes moved.
//!
//! The fingerprint treats constants as parameters, so statements differing
//! only in literals share one entry: the first plan seen stands for them all,
//! as a generic plan would.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::sql::fingerprint::Fingerprint;
use crate::stats::model::Catalog;

use super::model::Plan;

/// What the planner's choices depend on in the catalog: tables with their
/// size to the nearest power of two (so routine ANALYZE drift keeps plans),
/// and the indexes with their definitions and validity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CatalogStamp(u64);

impl CatalogStamp {
    pub fn of(catalog: &Catalog) -> CatalogStamp {
        let mut tables: Vec<(&str, &str, i32)> = catalog
            .tables
            .iter()
            .map(|table| {
                let magnitude = table.estimated_rows.max(1.0).log2().round() as i32;
                (table.schema.as_str(), table.name.as_str(), magnitude)
            })
            .collect();
        tables.sort_unstable();
        let mut indexes: Vec<(&str, &str, &str, bool)> = catalog
            .indexes
            .iter()
            .map(|index| {
                (
                    index.schema.as_str(),
                    index.name.as_str(),
                    index.definition.as_str(),
                    index.is_valid,
                )
            })
            .collect();
        indexes.sort_unstable();
        let mut hasher = DefaultHasher::new();
        tables.hash(&mut hasher);
        indexes.hash(&mut hasher);
        CatalogStamp(hasher.finish())
    }
}

/// Identifies one cached plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PlanKey {
    pub fingerprint: Fingerprint,
    pub catalog: CatalogStamp,
    pub verbose: bool,
}

/// A bounded cache; the oldest entry leaves first.
#[derive(Debug)]
pub struct PlanCache {
    plans: HashMap<PlanKey, Arc<Plan>>,
    insertion_order: VecDeque<PlanKey>,
    capacity: usize,
}

impl PlanCache {
    pub fn new(capacity: usize) -> PlanCache {
        PlanCache {
            plans: HashMap::new(),
            insertion_order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    pub fn get(&self, key: &PlanKey) -> Option<Arc<Plan>> {
        self.plans.get(key).cloned()
    }

    pub fn insert(&mut self, key: PlanKey, plan: Arc<Plan>) {
        if self.plans.insert(key, plan).is_none() {
            self.insertion_order.push_back(key);
        }
        while self.plans.len() > self.capacity {
            match self.insertion_order.pop_front() {
                Some(oldest) => {
                    self.plans.remove(&oldest);
                }
                None => break,
            }
        }
    }

    pub fn len(&self) -> usize {
        self.plans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.plans.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::model::PlanNode;
    use crate::stats::model::{IndexInfo, TableInfo};

    fn table(rows: f64) -> TableInfo {
        TableInfo {
            schema: "public".into(),
            name: "orders".into(),
            estimated_rows: rows,
            total_bytes: 0,
            seq_scans: 0,
            index_scans: 0,
            live_rows: 0,
            writes: 0,
        }
    }

    fn catalog(rows: f64, indexes: &[&str]) -> Catalog {
        Catalog {
            tables: vec![table(rows)],
            indexes: indexes
                .iter()
                .map(|name| IndexInfo {
                    schema: "public".into(),
                    table: "orders".into(),
                    name: (*name).into(),
                    definition: format!("CREATE INDEX {name} ON orders (a)"),
                    columns: vec!["a".into()],
                    bytes: 0,
                    scans: 0,
                    is_valid: true,
                    is_unique: false,
                    is_primary: false,
                    predicate: None,
                })
                .collect(),
            columns: Vec::new(),
        }
    }

    #[test]
    fn stamp_ignores_drift_but_not_growth_or_new_indexes() {
        let base = CatalogStamp::of(&catalog(100_000.0, &[]));
        assert_eq!(base, CatalogStamp::of(&catalog(101_000.0, &[])));
        assert_ne!(base, CatalogStamp::of(&catalog(400_000.0, &[])));
        assert_ne!(base, CatalogStamp::of(&catalog(100_000.0, &["orders_a"])));
    }

    #[test]
    fn oldest_entry_leaves_first() {
        let plan = Arc::new(Plan {
            root: PlanNode::new("Result", 0.0, 0.01, 1.0),
            query_identifier: None,
            planning_ms: None,
            execution_ms: None,
        });
        let stamp = CatalogStamp::of(&Catalog::default());
        let key = |n| PlanKey {
            fingerprint: Fingerprint(n),
            catalog: stamp,
            verbose: false,
        };
        let mut cache = PlanCache::new(2);
        cache.insert(key(1), Arc::clone(&plan));
        cache.insert(key(2), Arc::clone(&plan));
        cache.insert(key(2), Arc::clone(&plan));
        cache.insert(key(3), Arc::clone(&plan));
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&key(1)).is_none());
        assert!(cache.get(&key(2)).is_some() && cache.get(&key(3)).is_some());
    }
}
