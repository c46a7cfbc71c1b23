//! What kind of statement a text is, told from its leading keywords.

use std::fmt;

use super::lexer::{Lexer, TokenKind};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StatementKind {
    Select,
    Insert,
    Update,
    Delete,
    Merge,
    /// Anything else, labelled by its leading keywords (`CREATE INDEX`, `VACUUM`, …).
    Other(String),
}

impl StatementKind {
    /// Statements that read or write rows: the ones pg_stat_statements
    /// normalizes and the performance rules look at.
    pub fn is_dml(&self) -> bool {
        !matches!(self, StatementKind::Other(_))
    }

    pub fn label(&self) -> &str {
        match self {
            StatementKind::Select => "SELECT",
            StatementKind::Insert => "INSERT",
            StatementKind::Update => "UPDATE",
            StatementKind::Delete => "DELETE",
            StatementKind::Merge => "MERGE",
            StatementKind::Other(label) => label,
        }
    }

    /// Classifies a statement. `WITH … ` statements take the kind of their
    /// main statement (the first verb outside the CTE parentheses).
    pub fn of(statement: &str) -> StatementKind {
        let mut depth = 0usize;
        let mut words: Vec<&str> = Vec::new();
        let mut leading_with = false;
        for token in Lexer::new(statement) {
            let at_start = words.is_empty() && !leading_with;
            match token.kind {
                // `(SELECT …) UNION …`: leading parentheses wrap the statement itself.
                TokenKind::LParen if at_start => {}
                TokenKind::LParen => depth += 1,
                TokenKind::RParen => depth = depth.saturating_sub(1),
                TokenKind::Word if depth == 0 => {
                    let word = token.text(statement);
                    if words.is_empty() && word.eq_ignore_ascii_case("with") {
                        leading_with = true;
                    }
                    if leading_with {
                        if let Some(kind) = dml_verb(word) {
                            return kind;
                        }
                    } else {
                        words.push(word);
                        if words.len() == 3 {
                            break;
                        }
                    }
                }
                kind if kind.is_trivia() => {}
                _ if at_start => break,
                _ => {}
            }
        }
        if let Some(kind) = words.first().and_then(|word| dml_verb(word)) {
            return kind;
        }
        if words.is_empty() {
            return StatementKind::Other(if leading_with { "WITH" } else { "?" }.into());
        }
        StatementKind::Other(other_label(&words))
    }
}

fn dml_verb(word: &str) -> Option<StatementKind> {
    let is = |expected: &str| word.eq_ignore_ascii_case(expected);
    if is("select") || is("values") || is("table") {
        Some(StatementKind::Select)
    } else if is("insert") {
        Some(StatementKind::Insert)
    } else if is("update") {
        Some(StatementKind::Update)
    } else if is("delete") {
        Some(StatementKind::Delete)
    } else if is("merge") {
        Some(StatementKind::Merge)
    } else {
        None
    }
}

/// `CREATE UNIQUE INDEX` → `CREATE INDEX`; `ALTER TABLE` stays; `VACUUM` alone.
fn other_label(words: &[&str]) -> String {
    let verb = words[0].to_ascii_uppercase();
    let takes_object = matches!(
        verb.as_str(),
        "CREATE" | "ALTER" | "DROP" | "COMMENT" | "GRANT" | "REVOKE" | "REFRESH"
    );
    if !takes_object {
        return verb;
    }
    let skip = [
        "OR",
        "REPLACE",
        "UNIQUE",
        "TEMP",
        "TEMPORARY",
        "UNLOGGED",
        "MATERIALIZED",
        "ON",
    ];
    let object = words[1..]
        .iter()
        .map(|word| word.to_ascii_uppercase())
        .find(|word| !skip.contains(&word.as_str()));
    match object {
        Some(object) if words.iter().any(|w| w.eq_ignore_ascii_case("materialized")) => {
            format!("{verb} MATERIALIZED {object}")
        }
        Some(object) => format!("{verb} {object}"),
        None => verb,
    }
}

impl fmt::Display for StatementKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_common_statements() {
        assert_eq!(StatementKind::of("select 1"), StatementKind::Select);
        assert_eq!(
            StatementKind::of("/* c */ (SELECT 1)"),
            StatementKind::Select
        );
        assert_eq!(StatementKind::of("$1"), StatementKind::Other("?".into()));
        assert_eq!(
            StatementKind::of("WITH x AS (SELECT 1) DELETE FROM t USING x"),
            StatementKind::Delete
        );
        assert_eq!(
            StatementKind::of("create unique index i on t (a)").label(),
            "CREATE INDEX"
        );
        assert_eq!(StatementKind::of("VACUUM ANALYZE t").label(), "VACUUM");
        assert_eq!(
            StatementKind::of("create materialized view v as select 1").label(),
            "CREATE MATERIALIZED VIEW"
        );
    }
}
