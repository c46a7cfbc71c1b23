//! SQL literals and identifiers, and binding `$n` parameters by inlining them.
//!
//! The sandbox sends every statement over the simple query protocol. Values
//! go in as typed literals, `('42'::integer)`: every PostgreSQL type has a
//! text input function, so this works for any type, including domains,
//! enums and arrays, and it leaves no prepared statement behind. The planner
//! sees constants, as it does for the custom plans drivers get.

use crate::sql::lexer::{TokenKind, tokenize};

/// `value` as a string constant that reads back exactly, whatever
/// `standard_conforming_strings` is: `'…'` with quotes doubled, or `E'…'`
/// when backslashes need escaping too.
pub fn quote_literal(value: &str) -> String {
    if value.contains('\\') {
        format!("E'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        format!("'{}'", value.replace('\'', "''"))
    }
}

/// `name` as a quoted identifier, exactly as written (no case folding).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A value cast to a parameter type, parenthesized so it stands wherever `$n`
/// stood (`$1.field`, `$1[2]`, `- $1`). `None` is SQL NULL.
pub fn typed_literal(value: Option<&str>, type_name: &str) -> String {
    let value = value.map_or_else(|| "NULL".to_owned(), quote_literal);
    format!("({value}::{type_name})")
}

/// Replaces each `$n` of `text` (outside strings and comments) with
/// `literals[n - 1]`. A `$n` without a literal is left for PostgreSQL to
/// report.
pub fn bind(text: &str, literals: &[String]) -> String {
    let mut out = String::with_capacity(text.len() + literals.len() * 16);
    let mut cursor = 0;
    for token in tokenize(text) {
        if token.kind != TokenKind::Param {
            continue;
        }
        let literal = token.text(text)[1..]
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|index| literals.get(index));
        if let Some(literal) = literal {
            out.push_str(&text[cursor..token.start]);
            out.push_str(literal);
            cursor = token.end;
        }
    }
    out.push_str(&text[cursor..]);
    out
}

/// Binds text values to a fixed query whose parameters are all text.
pub fn bind_text(query: &str, values: &[&str]) -> String {
    let literals: Vec<String> = values
        .iter()
        .map(|value| typed_literal(Some(value), "text"))
        .collect();
    bind(query, &literals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal(r"a\'b"), r"E'a\\''b'");
        assert_eq!(quote_literal(""), "''");
    }

    #[test]
    fn identifiers_keep_case_and_double_quotes() {
        assert_eq!(quote_ident("Orders"), "\"Orders\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn bind_replaces_parameters_outside_strings_and_comments() {
        let text = "SELECT '$1', $1 /* $2 */ FROM t WHERE a = $2 AND b = $3 -- $1";
        let literals = vec![
            typed_literal(Some("x'y"), "text"),
            typed_literal(None, "integer"),
        ];
        assert_eq!(
            bind(text, &literals),
            "SELECT '$1', ('x''y'::text) /* $2 */ FROM t WHERE a = (NULL::integer) AND b = $3 -- $1"
        );
    }

    #[test]
    fn bind_text_casts_to_text() {
        assert_eq!(
            bind_text("SELECT set_config('x', $1, true)", &["5"]),
            "SELECT set_config('x', ('5'::text), true)"
        );
    }
}
