//! The SQL files under `queries/`, embedded at compile time. Every statement
//! the server sends that is fixed text lives there, so a DBA can read exactly
//! what runs; the parts of the server that send them (statistics, plans, the
//! sandbox, `doctor`) each own a subdirectory.

/// One statement from `queries/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sql {
    /// The file's path from the repository root, for error messages: a DBA
    /// can open the very statement that failed.
    pub file: &'static str,
    pub text: &'static str,
}

/// `query_file!("plan/explain.sql")`: the file `queries/plan/explain.sql`.
macro_rules! query_file {
    ($path:literal) => {
        $crate::queries::Sql {
            file: concat!("queries/", $path),
            text: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/queries/", $path)),
        }
    };
}
pub(crate) use query_file;

impl Sql {
    /// The text with each `{key}` replaced by its value, in one pass: a
    /// value (the user's statement) is never scanned for placeholders
    /// itself. A `{key}` without a value is left as written.
    pub fn fill(&self, values: &[(&str, &str)]) -> String {
        let mut out = String::with_capacity(self.text.len() + 64);
        let mut rest = self.text;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let value = after.find('}').and_then(|close| {
                let key = &after[..close];
                values
                    .iter()
                    .find(|(name, _)| *name == key)
                    .map(|(_, value)| (*value, close))
            });
            match value {
                Some((value, close)) => {
                    out.push_str(value);
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// Test helper: `queries/<dir>/` holds exactly the `embedded` files, and its
/// README (`readme`, relative to `queries/`) names each of them.
#[cfg(test)]
pub fn assert_directory_matches(dir: &str, readme: &str, embedded: &[Sql]) {
    use std::collections::BTreeSet;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    let on_disk: BTreeSet<String> = std::fs::read_dir(root.join(dir))
        .unwrap_or_else(|error| panic!("read queries/{dir}: {error}"))
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".sql"))
        .map(|name| format!("queries/{dir}/{name}"))
        .collect();
    let listed: BTreeSet<String> = embedded
        .iter()
        .filter(|sql| sql.file.starts_with(&format!("queries/{dir}/")))
        .map(|sql| sql.file.to_string())
        .collect();
    assert_eq!(
        on_disk, listed,
        "queries/{dir}/ and the embedded files disagree"
    );
    let text = std::fs::read_to_string(root.join(readme))
        .unwrap_or_else(|error| panic!("read queries/{readme}: {error}"));
    for file in &listed {
        let name = file.trim_start_matches("queries/");
        let short = name.rsplit('/').next().unwrap_or(name);
        assert!(
            text.contains(name) || text.contains(short),
            "queries/{readme} does not list {name}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_fill_once_and_values_are_not_rescanned() {
        let sql = Sql {
            file: "x",
            text: "PREPARE {name} AS {statement}\n",
        };
        let filled = sql.fill(&[("name", "p1"), ("statement", "SELECT '{name}' FROM t")]);
        assert_eq!(filled, "PREPARE p1 AS SELECT '{name}' FROM t\n");
    }

    #[test]
    fn unknown_placeholders_stay() {
        let sql = Sql {
            file: "x",
            text: "a {b} {c",
        };
        assert_eq!(sql.fill(&[("c", "z")]), "a {b} {c");
    }
}
