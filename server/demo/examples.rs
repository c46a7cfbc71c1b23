//! The examples directory: `schema.sql`, `seed.sql`, `workload.sql` and the
//! `.sql` files under `queries/` whose statements the demo runs and shows.
//!
//! Found as `--examples DIR`, else `examples/` in the current directory, else
//! the `examples/` of the source tree this binary was built from (so
//! `cargo run -- demo` works from any directory of a checkout).

use std::path::{Path, PathBuf};

use super::error::DemoError;
use crate::document::{Document, Statement};

/// The files the demo needs inside the examples directory.
const REQUIRED: &[&str] = &["schema.sql", "seed.sql", "workload.sql", "queries"];

#[derive(Debug, Clone)]
pub struct Examples {
    pub dir: PathBuf,
}

impl Examples {
    pub fn locate(explicit: Option<&Path>) -> Result<Examples, DemoError> {
        if let Some(dir) = explicit {
            return check(dir).map(|()| Examples {
                dir: dir.to_path_buf(),
            });
        }
        let candidates = [
            PathBuf::from("examples"),
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"),
        ];
        let mut problems = Vec::new();
        for dir in candidates {
            match check(&dir) {
                Ok(()) => return Ok(Examples { dir }),
                Err(error) => problems.push(error.to_string()),
            }
        }
        Err(DemoError::ExamplesMissing {
            detail: format!(
                "{}; run the demo from the repository root or pass --examples DIR",
                problems.join("; ")
            ),
        })
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn read(&self, name: &str) -> Result<String, DemoError> {
        let path = self.file(name);
        std::fs::read_to_string(&path).map_err(|error| DemoError::examples(path, error.to_string()))
    }

    /// The `.sql` files under `queries/`, sorted, each parsed like the
    /// editor parses an open file.
    pub fn query_files(&self) -> Result<Vec<QueryFile>, DemoError> {
        let dir = self.dir.join("queries");
        let entries = std::fs::read_dir(&dir)
            .map_err(|error| DemoError::examples(&dir, error.to_string()))?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "sql") && path.is_file())
            .collect();
        paths.sort();
        paths
            .into_iter()
            .map(|path| {
                let text = std::fs::read_to_string(&path)
                    .map_err(|error| DemoError::examples(&path, error.to_string()))?;
                Ok(QueryFile {
                    document: Document::new(text, 0),
                    path,
                })
            })
            .collect()
    }
}

fn check(dir: &Path) -> Result<(), DemoError> {
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|name| !dir.join(name).exists())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(DemoError::ExamplesMissing {
            detail: format!("{} lacks {}", dir.display(), missing.join(", ")),
        })
    }
}

/// One file of `queries/`.
pub struct QueryFile {
    pub path: PathBuf,
    pub document: Document,
}

impl QueryFile {
    /// Statements with their `-- name: …` tag (sqlc style), in file order.
    pub fn named_statements(&self) -> Vec<(String, &Statement)> {
        self.document
            .statements()
            .iter()
            .filter_map(|statement| Some((statement_name(&self.document, statement)?, statement)))
            .collect()
    }
}

/// The last `-- name: X` comment between the previous statement and this one.
pub fn statement_name(document: &Document, statement: &Statement) -> Option<String> {
    let leading = &document.text()[statement.span.extent.start..statement.span.range.start];
    leading
        .lines()
        .rev()
        .filter_map(|line| line.trim().strip_prefix("--"))
        .filter_map(|comment| comment.trim().strip_prefix("name:"))
        .find_map(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_comment_before_the_statement() {
        let document = Document::new(
            "-- name: first\nSELECT 1;\n\n-- other comment\n-- name: second\n-- more\nSELECT 2;\nSELECT 3;"
                .into(),
            0,
        );
        let names: Vec<Option<String>> = document
            .statements()
            .iter()
            .map(|statement| statement_name(&document, statement))
            .collect();
        assert_eq!(
            names,
            vec![Some("first".into()), Some("second".into()), None]
        );
    }
}
