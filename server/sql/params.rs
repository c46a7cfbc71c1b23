//! Query parameters in the styles drivers use, and PostgreSQL's `$n` form.
//!
//! Application code writes parameters as `$1` (libpq, tokio-postgres, pgx),
//! `?` (JDBC, PDO, many ORMs), `:name` (SQLAlchemy, psql variables), `%s` and
//! `%(name)s` (psycopg). PostgreSQL only understands `$n`, so the sandbox
//! converts a statement with [`to_dollar_params`] before sending it, and a
//! rewrite proven there is turned back into the user's style with
//! [`restore_style`] before it is offered as an edit.
//!
//! Everything works on the lexer's tokens, so strings, comments and quoted
//! identifiers never yield parameters, and context decides the ambiguous cases:
//! - `?` is a placeholder only where an operand is expected (`a = ?`, `(?, ?)`,
//!   `LIMIT ?`); after an operand it is the jsonb operator (`doc ? 'key'`).
//!   JDBC's `a=?` arrives from the lexer as one operator `=?` and is split.
//! - `::` is a cast, never `:name`; inside a subscript `arr[lo:hi]` is a slice.
//! - the escapes of the styles are honoured: `??` is a literal `?` for JDBC,
//!   `%%` a literal `%` for psycopg.

use std::ops::Range;

use crate::sql::lexer::{Token, TokenKind, tokenize};

/// PostgreSQL accepts at most this many parameters; larger `$n` are not ours.
const MAX_PARAMS: usize = 65_535;

/// How a statement writes its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamStyle {
    /// `$1`, `$2`, …
    Dollar,
    /// `?`
    Question,
    /// `:name`
    Colon,
    /// `%s`
    Percent,
    /// `%(name)s`
    PercentNamed,
}

impl ParamStyle {
    fn is_named(self) -> bool {
        matches!(self, ParamStyle::Colon | ParamStyle::PercentNamed)
    }

    fn is_percent(self) -> bool {
        matches!(self, ParamStyle::Percent | ParamStyle::PercentNamed)
    }
}

/// One parameter as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// Byte range of the placeholder itself (for `=?`, only the `?`).
    pub range: Range<usize>,
    pub style: ParamStyle,
    pub key: PlaceholderKey,
}

/// What identifies a placeholder among a statement's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceholderKey {
    /// `$n`
    Number(usize),
    /// `:name`, `%(name)s`
    Name(String),
    /// `?` and `%s`: the next one in order.
    Positional,
}

/// A statement in `$n` form and how to map its parameters back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParamForm {
    /// The statement with every placeholder replaced by `$n`.
    pub text: String,
    /// The highest `$n`.
    pub count: usize,
    /// For each `$n` (index `n - 1`), its name in a named style.
    pub names: Vec<Option<String>>,
    /// The style the statement used (the first placeholder's), if any.
    pub style: Option<ParamStyle>,
}

/// Why a `$n` statement cannot be written in the original's style.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    #[error("the statement uses ${number}, but the original has only {count} parameters")]
    UnknownParameter { number: usize, count: usize },
    #[error(
        "the statement uses its parameters out of order or more than once \
         (${found} where ${expected} was due), which positional `{style}` placeholders cannot express"
    )]
    OutOfOrder {
        found: usize,
        expected: usize,
        style: &'static str,
    },
    #[error("the statement uses {found} of the original's {count} positional parameters")]
    MissingParameters { found: usize, count: usize },
}

/// Finds every parameter of `text`, in order.
pub fn find_params(text: &str) -> Vec<Placeholder> {
    let tokens = tokenize(text);
    let mut found = Vec::new();
    // Subscript brackets hold slices (`a[1:n]`), ARRAY[…] brackets hold values.
    let mut brackets: Vec<bool> = Vec::new();
    let mut previous: Option<Token> = None;
    let mut operand_expected = true;
    let mut index = 0;
    while index < tokens.len() {
        let token = tokens[index];
        let mut placeholder = None;
        let mut consumed = 1;
        match token.kind {
            TokenKind::Param => {
                placeholder = dollar_number(token.text(text)).map(|number| Placeholder {
                    range: token.start..token.end,
                    style: ParamStyle::Dollar,
                    key: PlaceholderKey::Number(number),
                });
            }
            TokenKind::LBracket => {
                let is_array = previous.is_some_and(|p| p.text(text).eq_ignore_ascii_case("array"));
                brackets.push(is_array);
            }
            TokenKind::RBracket => {
                brackets.pop();
            }
            TokenKind::Colon if brackets.last() != Some(&false) => {
                if let Some(name) = adjacent(&tokens, index + 1, token.end)
                    .filter(|next| next.kind == TokenKind::Word)
                {
                    placeholder = Some(Placeholder {
                        range: token.start..name.end,
                        style: ParamStyle::Colon,
                        key: PlaceholderKey::Name(name.text(text).to_owned()),
                    });
                    consumed = 2;
                }
            }
            TokenKind::Operator => {
                if let Some((found, used)) =
                    operator_placeholder(text, &tokens, index, operand_expected)
                {
                    placeholder = Some(found);
                    consumed = used;
                }
            }
            _ => {}
        }
        if !token.kind.is_trivia() {
            // A placeholder is an operand: what follows it is an operator.
            operand_expected = placeholder.is_none() && expects_operand(token, text);
            previous = Some(token);
        }
        found.extend(placeholder);
        index += consumed;
    }
    found
}

/// `?`, `%s` or `%(name)s` starting at the operator token `tokens[index]`,
/// possibly as the tail of an operator (`=?`), with the tokens it spans.
fn operator_placeholder(
    text: &str,
    tokens: &[Token],
    index: usize,
    operand_expected: bool,
) -> Option<(Placeholder, usize)> {
    let token = tokens[index];
    let op = token.text(text);
    let last = op.chars().last()?;
    if last != '?' && last != '%' {
        return None;
    }
    let prefix = &op[..op.len() - 1];
    let operand_expected = if prefix.is_empty() {
        operand_expected
    } else {
        SPLITTABLE_OPERATORS.contains(&prefix)
    };
    if !operand_expected {
        return None;
    }
    let start = token.end - 1;
    if last == '?' {
        return Some((
            Placeholder {
                range: start..token.end,
                style: ParamStyle::Question,
                key: PlaceholderKey::Positional,
            },
            1,
        ));
    }
    let next = adjacent(tokens, index + 1, token.end)?;
    if next.kind == TokenKind::Word && next.text(text) == "s" {
        return Some((
            Placeholder {
                range: start..next.end,
                style: ParamStyle::Percent,
                key: PlaceholderKey::Positional,
            },
            2,
        ));
    }
    // `%(name)s`
    let name = adjacent(tokens, index + 2, next.end)?;
    let close = adjacent(tokens, index + 3, name.end)?;
    let s = adjacent(tokens, index + 4, close.end)?;
    let shaped = next.kind == TokenKind::LParen
        && name.kind == TokenKind::Word
        && close.kind == TokenKind::RParen
        && s.kind == TokenKind::Word
        && s.text(text) == "s";
    shaped.then(|| {
        (
            Placeholder {
                range: start..s.end,
                style: ParamStyle::PercentNamed,
                key: PlaceholderKey::Name(name.text(text).to_owned()),
            },
            5,
        )
    })
}

/// Operators that may directly precede a placeholder with no space (`a=?`,
/// `a<>%s`): the lexer reads such a run as one operator.
const SPLITTABLE_OPERATORS: &[&str] = &[
    "=", "<>", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "||",
];

/// Keywords after which an operand follows (`WHERE ?`, `LIMIT ?`, `THEN ?`).
/// Any other word is taken to end an operand (a column, `NULL`, `END`).
const OPERAND_KEYWORDS: &[&str] = &[
    "all",
    "and",
    "any",
    "between",
    "by",
    "case",
    "distinct",
    "else",
    "escape",
    "fetch",
    "first",
    "for",
    "from",
    "having",
    "ilike",
    "in",
    "like",
    "limit",
    "next",
    "not",
    "offset",
    "on",
    "or",
    "returning",
    "select",
    "set",
    "similar",
    "some",
    "then",
    "to",
    "using",
    "values",
    "when",
    "where",
    "with",
];

/// Whether an operand is expected after `previous`, a significant token.
fn expects_operand(previous: Token, text: &str) -> bool {
    match previous.kind {
        TokenKind::LParen
        | TokenKind::LBracket
        | TokenKind::Comma
        | TokenKind::Semicolon
        | TokenKind::Colon
        | TokenKind::Operator => true,
        TokenKind::Word => {
            let word = previous.text(text).to_ascii_lowercase();
            OPERAND_KEYWORDS.contains(&word.as_str())
        }
        _ => false,
    }
}

/// `tokens[index]` if it starts exactly at `at` (nothing in between).
fn adjacent(tokens: &[Token], index: usize, at: usize) -> Option<Token> {
    tokens.get(index).copied().filter(|token| token.start == at)
}

fn dollar_number(text: &str) -> Option<usize> {
    text.strip_prefix('$')?
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_PARAMS).contains(n))
}

/// Rewrites `text` to `$n` parameters. Named parameters get one number per
/// name (first appearance order); positional ones are numbered in order.
pub fn to_dollar_params(text: &str) -> ParamForm {
    convert(text, &[], None)
}

/// Like [`to_dollar_params`] for a statement that must share `original`'s
/// parameters (a rewrite of it): a name gets the number it has in the
/// original, and the original's style decides which escapes apply.
pub fn to_dollar_params_like(text: &str, original: &ParamForm) -> ParamForm {
    convert(text, &original.names, original.style)
}

fn convert(text: &str, known_names: &[Option<String>], style: Option<ParamStyle>) -> ParamForm {
    let placeholders = find_params(text);
    let style = style.or_else(|| placeholders.first().map(|p| p.style));
    let mut names: Vec<Option<String>> = known_names.to_vec();
    let highest_dollar = placeholders
        .iter()
        .filter_map(|p| match p.key {
            PlaceholderKey::Number(n) => Some(n),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    let mut next_positional = 0;
    let mut numbers = Vec::with_capacity(placeholders.len());
    for placeholder in &placeholders {
        let number = match &placeholder.key {
            PlaceholderKey::Number(n) => *n,
            PlaceholderKey::Name(name) => {
                match names
                    .iter()
                    .position(|known| known.as_deref() == Some(name))
                {
                    Some(position) => position + 1,
                    None => {
                        let number = (names.len() + 1).max(highest_dollar + 1);
                        names.resize(number - 1, None);
                        names.push(Some(name.clone()));
                        number
                    }
                }
            }
            PlaceholderKey::Positional => {
                next_positional += 1;
                next_positional.max(highest_dollar + 1)
            }
        };
        numbers.push(number);
    }
    let count = numbers.iter().copied().max().unwrap_or(0).max(names.len());
    names.resize(count, None);

    let mut out = String::with_capacity(text.len() + 8);
    let mut cursor = 0;
    for (placeholder, number) in placeholders.iter().zip(&numbers) {
        out.push_str(&unescape(&text[cursor..placeholder.range.start], style));
        push_separated(&mut out, &format!("${number}"), text, placeholder.range.end);
        cursor = placeholder.range.end;
    }
    out.push_str(&unescape(&text[cursor..], style));
    ParamForm {
        text: out,
        count,
        names,
        style,
    }
}

/// Appends `replacement`, with spaces where the neighbours would otherwise
/// merge with it into one token (`SELECT$1`, `$1` + `2`).
fn push_separated(out: &mut String, replacement: &str, text: &str, next_at: usize) {
    if out.as_bytes().last().is_some_and(|&b| is_ident_byte(b)) {
        out.push(' ');
    }
    out.push_str(replacement);
    if text
        .as_bytes()
        .get(next_at)
        .is_some_and(|&b| is_ident_byte(b))
    {
        out.push(' ');
    }
}

fn is_ident_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$' || byte >= 0x80
}

/// Undoes a style's escapes in text between placeholders: psycopg's `%%`
/// anywhere, JDBC's `??` in operators.
fn unescape(segment: &str, style: Option<ParamStyle>) -> String {
    match style {
        Some(style) if style.is_percent() => segment.replace("%%", "%"),
        Some(ParamStyle::Question) => map_operators(segment, |op| op.replace("??", "?")),
        _ => segment.to_owned(),
    }
}

/// Applies a style's escapes to text between placeholders.
fn escape(segment: &str, style: Option<ParamStyle>) -> String {
    match style {
        Some(style) if style.is_percent() => segment.replace('%', "%%"),
        Some(ParamStyle::Question) => map_operators(segment, |op| op.replace('?', "??")),
        _ => segment.to_owned(),
    }
}

fn map_operators(segment: &str, change: impl Fn(&str) -> String) -> String {
    tokenize(segment)
        .into_iter()
        .map(|token| match token.kind {
            TokenKind::Operator => change(token.text(segment)),
            _ => token.text(segment).to_owned(),
        })
        .collect()
}

/// Writes a `$n` statement (a rewrite of `original`) in `original`'s style:
/// `$n` becomes `:name` / `%(name)s` by name, or `?` / `%s` by position (which
/// needs every parameter used once, in order).
pub fn restore_style(dollar_text: &str, original: &ParamForm) -> Result<String, RestoreError> {
    let placeholders: Vec<(Range<usize>, usize)> = find_params(dollar_text)
        .into_iter()
        .filter_map(|p| match p.key {
            PlaceholderKey::Number(n) => Some((p.range, n)),
            _ => None,
        })
        .collect();
    if let Some(&(_, number)) = placeholders.iter().find(|(_, n)| *n > original.count) {
        return Err(RestoreError::UnknownParameter {
            number,
            count: original.count,
        });
    }
    let style = original.style.unwrap_or(ParamStyle::Dollar);
    if style == ParamStyle::Dollar {
        return Ok(dollar_text.to_owned());
    }
    if !style.is_named() {
        check_positional_order(&placeholders, original.count, style)?;
    }
    let mut out = String::with_capacity(dollar_text.len());
    let mut cursor = 0;
    for (range, number) in &placeholders {
        out.push_str(&escape(&dollar_text[cursor..range.start], Some(style)));
        let name = original.names.get(number - 1).cloned().flatten();
        let written = match (style, name) {
            (ParamStyle::Colon, Some(name)) => format!(":{name}"),
            (ParamStyle::PercentNamed, Some(name)) => format!("%({name})s"),
            (ParamStyle::Question, _) => "?".to_owned(),
            (ParamStyle::Percent, _) => "%s".to_owned(),
            // A `$n` the original wrote as `$n` among named ones.
            _ => format!("${number}"),
        };
        out.push_str(&written);
        if style.is_named()
            && dollar_text
                .as_bytes()
                .get(range.end)
                .is_some_and(|&b| is_ident_byte(b))
        {
            out.push(' ');
        }
        cursor = range.end;
    }
    out.push_str(&escape(&dollar_text[cursor..], Some(style)));
    Ok(out)
}

fn check_positional_order(
    placeholders: &[(Range<usize>, usize)],
    count: usize,
    style: ParamStyle,
) -> Result<(), RestoreError> {
    let symbol = if style == ParamStyle::Question {
        "?"
    } else {
        "%s"
    };
    for (position, (_, number)) in placeholders.iter().enumerate() {
        if *number != position + 1 {
            return Err(RestoreError::OutOfOrder {
                found: *number,
                expected: position + 1,
                style: symbol,
            });
        }
    }
    if placeholders.len() != count {
        return Err(RestoreError::MissingParameters {
            found: placeholders.len(),
            count,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dollar(text: &str) -> String {
        to_dollar_params(text).text
    }

    #[test]
    fn dollar_parameters_are_kept() {
        let form = to_dollar_params("SELECT * FROM t WHERE a = $2 AND b = $1");
        assert_eq!(form.text, "SELECT * FROM t WHERE a = $2 AND b = $1");
        assert_eq!(form.count, 2);
        assert_eq!(form.style, Some(ParamStyle::Dollar));
    }

    #[test]
    fn question_marks_where_an_operand_is_expected() {
        assert_eq!(
            dollar("SELECT * FROM t WHERE a = ? AND b IN (?, ?) LIMIT ?"),
            "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3) LIMIT $4"
        );
        assert_eq!(dollar("WHERE a=? AND b<>?"), "WHERE a=$1 AND b<>$2");
        assert_eq!(dollar("SELECT?"), "SELECT $1");
        assert_eq!(dollar("VALUES (?,?)"), "VALUES ($1,$2)");
        assert_eq!(dollar("SELECT ARRAY[?, ?]"), "SELECT ARRAY[$1, $2]");
    }

    #[test]
    fn jsonb_question_operators_after_an_operand_are_not_parameters() {
        let text = "SELECT * FROM t WHERE doc ? 'k' AND doc ?| array['a'] AND (doc) ? 'x' \
                    AND doc @? '$.a' AND doc -> 'a' ? 'b'";
        let form = to_dollar_params(text);
        assert_eq!(form.count, 0);
        assert_eq!(form.text, text);
        assert_eq!(
            dollar("SELECT * FROM t WHERE doc ? ? AND x = ?"),
            "SELECT * FROM t WHERE doc ? $1 AND x = $2"
        );
    }

    #[test]
    fn jdbc_double_question_mark_is_a_literal_operator() {
        let form = to_dollar_params("SELECT * FROM t WHERE doc ?? 'k' AND id = ?");
        assert_eq!(form.text, "SELECT * FROM t WHERE doc ? 'k' AND id = $1");
        assert_eq!(
            restore_style(&form.text, &form).unwrap(),
            "SELECT * FROM t WHERE doc ?? 'k' AND id = ?"
        );
    }

    #[test]
    fn named_colon_parameters_share_a_number_per_name() {
        let form = to_dollar_params("SELECT * FROM t WHERE a = :id OR b = :other OR c = :id");
        assert_eq!(
            form.text,
            "SELECT * FROM t WHERE a = $1 OR b = $2 OR c = $1"
        );
        assert_eq!(form.count, 2);
        assert_eq!(form.names, vec![Some("id".into()), Some("other".into())]);
        assert_eq!(form.style, Some(ParamStyle::Colon));
    }

    #[test]
    fn casts_slices_and_assignments_are_not_colon_parameters() {
        for text in [
            "SELECT a::int, b::text[] FROM t",
            "SELECT arr[1:2], arr[lo:hi], arr[:hi] FROM t",
            "SELECT f(a := 1)",
            "SELECT ':x', \":y\" FROM t -- :z\n/* :w */",
        ] {
            let form = to_dollar_params(text);
            assert_eq!(form.count, 0, "{text}");
            assert_eq!(form.text, text);
        }
        assert_eq!(dollar("SELECT :a::int"), "SELECT $1::int");
        assert_eq!(dollar("SELECT ARRAY[:a, :b]"), "SELECT ARRAY[$1, $2]");
    }

    #[test]
    fn psycopg_styles_and_percent_escapes() {
        let form = to_dollar_params("SELECT * FROM t WHERE a = %s AND b LIKE 'x%%' AND c=%s");
        assert_eq!(
            form.text,
            "SELECT * FROM t WHERE a = $1 AND b LIKE 'x%' AND c=$2"
        );
        assert_eq!(form.style, Some(ParamStyle::Percent));
        let named = to_dollar_params("SELECT a %% 2 FROM t WHERE a = %(id)s OR b = %(id)s");
        assert_eq!(named.text, "SELECT a % 2 FROM t WHERE a = $1 OR b = $1");
        assert_eq!(named.names, vec![Some("id".into())]);
        // Modulo by a column called s is not a placeholder.
        assert_eq!(to_dollar_params("SELECT x % s FROM t").count, 0);
    }

    #[test]
    fn placeholders_inside_strings_and_comments_are_ignored() {
        let text = "SELECT '?', $$ $1 $$, '%s' /* ? */ FROM t -- :x";
        assert_eq!(to_dollar_params(text).count, 0);
    }

    #[test]
    fn restore_puts_back_each_style() {
        for original in [
            "SELECT * FROM t WHERE a = ? AND b = ?",
            "SELECT * FROM t WHERE a = %s AND b = %s",
            "SELECT * FROM t WHERE a = :first AND b = :second",
            "SELECT * FROM t WHERE a = %(first)s AND b = %(second)s",
            "SELECT * FROM t WHERE a = $1 AND b = $2",
        ] {
            let form = to_dollar_params(original);
            assert_eq!(form.count, 2, "{original}");
            assert_eq!(restore_style(&form.text, &form).unwrap(), original);
        }
    }

    #[test]
    fn restore_named_parameters_in_any_order() {
        let form = to_dollar_params("SELECT * FROM t WHERE a = :a AND b = :b");
        let rewrite = "SELECT * FROM t WHERE b = $2 AND a = $1 OR a = $1";
        assert_eq!(
            restore_style(rewrite, &form).unwrap(),
            "SELECT * FROM t WHERE b = :b AND a = :a OR a = :a"
        );
    }

    #[test]
    fn restore_positional_needs_the_original_order() {
        let form = to_dollar_params("SELECT * FROM t WHERE a = ? AND b = ?");
        assert!(matches!(
            restore_style("SELECT * FROM t WHERE b = $2 AND a = $1", &form),
            Err(RestoreError::OutOfOrder { .. })
        ));
        assert!(matches!(
            restore_style("SELECT * FROM t WHERE a = $1", &form),
            Err(RestoreError::MissingParameters { .. })
        ));
        assert!(matches!(
            restore_style("SELECT $3", &form),
            Err(RestoreError::UnknownParameter { number: 3, .. })
        ));
    }

    #[test]
    fn percent_escapes_are_restored() {
        let form = to_dollar_params("SELECT * FROM t WHERE b LIKE 'x%%' AND a = %s");
        let rewrite = "SELECT * FROM t WHERE a = $1 AND b LIKE 'x%'";
        assert_eq!(
            restore_style(rewrite, &form).unwrap(),
            "SELECT * FROM t WHERE a = %s AND b LIKE 'x%%'"
        );
    }

    #[test]
    fn a_rewrite_is_numbered_like_its_original() {
        let original = to_dollar_params("SELECT * FROM t WHERE a = :a AND b = :b");
        let rewrite = to_dollar_params_like("SELECT * FROM t WHERE b = :b AND a = :a", &original);
        assert_eq!(rewrite.text, "SELECT * FROM t WHERE b = $2 AND a = $1");
        assert_eq!(rewrite.count, 2);
        let percent = to_dollar_params("SELECT %s");
        let rewrite = to_dollar_params_like("SELECT 5 %% 2, %s", &percent);
        assert_eq!(rewrite.text, "SELECT 5 % 2, $1");
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in [
            "",
            "?",
            "%",
            "%(",
            "%(x",
            "%(x)",
            ":",
            "$",
            "$0",
            "$99999999999999999999999",
            "??",
            "[:",
            "]]]:a",
            "é?é",
            "'unterminated ?",
            "%(é)s",
            "a=%",
            "SELECT $70000",
        ] {
            let form = to_dollar_params(text);
            let _ = restore_style(&form.text, &form);
        }
        assert_eq!(to_dollar_params("SELECT $0, $70000").count, 0);
    }
}
