//! Literal values out, parameters in: what keeps a statement's data on this
//! machine when it is sent to a model (unless `ai.sendLiterals`).
//!
//! Strings and numbers become `$k`, numbered after the statement's highest
//! existing `$n`, the way pg_stat_statements normalizes; `true`, `false`
//! and `NULL` stay (they carry no data and change meaning, as in `IS NULL`).
//! The result stays valid SQL where the input was: `date '2024-01-01'`
//! becomes `$k::date`, and numbers that are not values stay — column
//! positions in `ORDER BY 1` and type modifiers in `varchar(20)`.
//!
//! Other placeholder styles (`?`, `:name`, `%s`) are left alone: callers
//! convert them to `$n` first (`sql::params`).

use crate::sql::lexer::{Token, TokenKind, tokenize};

/// A statement with its literals replaced, and what each new parameter stood for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parameterized {
    pub text: String,
    /// `(k, literal text)` for every `$k` introduced, in order.
    pub literals: Vec<(u32, String)>,
}

/// Type names that can prefix a string constant (`date '…'`).
const TYPED_LITERAL_TYPES: &[&str] = &[
    "bigint",
    "bool",
    "boolean",
    "bytea",
    "cidr",
    "date",
    "float4",
    "float8",
    "inet",
    "int",
    "int2",
    "int4",
    "int8",
    "integer",
    "interval",
    "json",
    "jsonb",
    "macaddr",
    "money",
    "numeric",
    "real",
    "smallint",
    "text",
    "time",
    "timestamp",
    "timestamptz",
    "timetz",
    "uuid",
    "varchar",
    "xml",
];

/// Type names whose parenthesized numbers are modifiers, not values.
const TYPMOD_TYPES: &[&str] = &[
    "bit",
    "char",
    "character",
    "decimal",
    "float",
    "interval",
    "numeric",
    "time",
    "timestamp",
    "timestamptz",
    "timetz",
    "varbit",
    "varchar",
    "varying",
];

fn is_word_in(token: Option<&Token>, text: &str, words: &[&str]) -> bool {
    token.is_some_and(|token| {
        token.kind == TokenKind::Word && {
            let word = token.text(text);
            words.iter().any(|w| w.eq_ignore_ascii_case(word))
        }
    })
}

/// The number of a `$n` token, if it is one.
pub fn param_number(token: &Token, text: &str) -> Option<u32> {
    if token.kind != TokenKind::Param {
        return None;
    }
    token.text(text).get(1..)?.parse().ok()
}

/// Replaces string and number constants with `$k` parameters.
pub fn parameterize(statement: &str) -> Parameterized {
    let tokens = tokenize(statement);
    let highest = tokens
        .iter()
        .filter_map(|token| param_number(token, statement))
        .max()
        .unwrap_or(0);
    let mut state = Walk {
        text: statement,
        next_param: highest,
        out: String::with_capacity(statement.len()),
        literals: Vec::new(),
        previous: None,
        before_previous: None,
        typmod_parens: Vec::new(),
        in_position_list: false,
    };
    let mut index = 0;
    while index < tokens.len() {
        index += state.token(&tokens[index..]);
    }
    Parameterized {
        text: state.out,
        literals: state.literals,
    }
}

/// Puts the literals back: every `$k` in `text` that [`parameterize`]
/// introduced becomes the literal it stood for (for rewrites the model
/// wrote against the parameterized statement).
pub fn restore_literals(text: &str, literals: &[(u32, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied_to = 0;
    for token in tokenize(text) {
        let Some(number) = param_number(&token, text) else {
            continue;
        };
        if let Some((_, literal)) = literals.iter().find(|(k, _)| *k == number) {
            out.push_str(&text[copied_to..token.start]);
            out.push_str(literal);
            copied_to = token.end;
        }
    }
    out.push_str(&text[copied_to..]);
    out
}

struct Walk<'a> {
    text: &'a str,
    next_param: u32,
    out: String,
    literals: Vec<(u32, String)>,
    /// The last two significant tokens.
    previous: Option<Token>,
    before_previous: Option<Token>,
    /// For each open parenthesis: whether it holds a type's modifiers.
    typmod_parens: Vec<bool>,
    /// After `ORDER BY` / `GROUP BY`: a bare integer is a column position.
    in_position_list: bool,
}

impl Walk<'_> {
    /// Handles `tokens[0]` (and maybe more); returns how many tokens it used.
    fn token(&mut self, tokens: &[Token]) -> usize {
        let token = tokens[0];
        let text = token.text(self.text);
        if token.kind.is_trivia() {
            self.out.push_str(text);
            return 1;
        }
        let keeps_position_list = self.in_position_list;
        self.in_position_list = false;
        match token.kind {
            TokenKind::String => self.string(token),
            TokenKind::Number
                if keeps_position_list || self.typmod_parens.last().copied().unwrap_or(false) =>
            {
                self.in_position_list = keeps_position_list;
                self.out.push_str(text);
            }
            TokenKind::Number => self.replace(text),
            TokenKind::LParen => {
                let after_type = is_word_in(self.previous.as_ref(), self.text, TYPMOD_TYPES);
                self.typmod_parens.push(after_type);
                self.out.push_str(text);
            }
            TokenKind::RParen => {
                self.typmod_parens.pop();
                self.out.push_str(text);
            }
            TokenKind::Comma => {
                self.in_position_list = keeps_position_list;
                self.out.push_str(text);
            }
            TokenKind::Word => {
                let by = text.eq_ignore_ascii_case("by")
                    && is_word_in(self.previous.as_ref(), self.text, &["order", "group"]);
                let direction = ["asc", "desc", "nulls", "first", "last"]
                    .iter()
                    .any(|w| w.eq_ignore_ascii_case(text));
                self.in_position_list = by || (keeps_position_list && direction);
                self.out.push_str(text);
            }
            _ => self.out.push_str(text),
        }
        self.before_previous = self.previous;
        self.previous = Some(token);
        1
    }

    /// A string constant; `type 'text'` becomes `$k::type`.
    fn string(&mut self, token: Token) {
        let literal = token.text(self.text);
        let typed_by = self.previous.filter(|previous| {
            is_word_in(Some(previous), self.text, TYPED_LITERAL_TYPES)
                // `x::date '…'` is not a typed literal; neither is `AS date '…'`.
                && !is_word_in(self.before_previous.as_ref(), self.text, &["as"])
                && self
                    .before_previous
                    .is_none_or(|before| before.text(self.text) != "::")
        });
        match typed_by {
            Some(type_token) => {
                // Drop the type name already written (and what follows it)
                // and write the parameter cast to that type instead.
                // That stretch was copied verbatim, so it is the output's tail.
                let type_name = type_token.text(self.text).to_owned();
                let copied = token.start.saturating_sub(type_token.start);
                let written_from = self.out.len().saturating_sub(copied);
                self.out.truncate(written_from);
                self.replace(literal);
                self.out.push_str("::");
                self.out.push_str(&type_name);
            }
            None => self.replace(literal),
        }
    }

    fn replace(&mut self, literal: &str) {
        self.next_param = self.next_param.saturating_add(1);
        self.out.push('$');
        self.out.push_str(&self.next_param.to_string());
        self.literals.push((self.next_param, literal.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(statement: &str) -> String {
        parameterize(statement).text
    }

    #[test]
    fn strings_and_numbers_become_parameters_after_existing_ones() {
        let result = parameterize("SELECT * FROM t WHERE a = $2 AND b = 'x' AND c > 10.5 LIMIT 5");
        assert_eq!(
            result.text,
            "SELECT * FROM t WHERE a = $2 AND b = $3 AND c > $4 LIMIT $5"
        );
        assert_eq!(
            result.literals,
            vec![
                (3, "'x'".to_owned()),
                (4, "10.5".to_owned()),
                (5, "5".to_owned())
            ]
        );
    }

    #[test]
    fn keeps_booleans_nulls_positions_and_type_modifiers() {
        assert_eq!(
            text(
                "SELECT a::varchar(20), b::numeric(10, 2) FROM t WHERE c IS NULL AND d = true ORDER BY 1, 2 DESC"
            ),
            "SELECT a::varchar(20), b::numeric(10, 2) FROM t WHERE c IS NULL AND d = true ORDER BY 1, 2 DESC"
        );
        assert_eq!(
            text("SELECT a FROM t GROUP BY 1 ORDER BY count(*) + 1"),
            "SELECT a FROM t GROUP BY 1 ORDER BY count(*) + $1"
        );
    }

    #[test]
    fn typed_literals_become_casts_and_stay_valid() {
        assert_eq!(
            text("SELECT * FROM t WHERE d > date '2024-01-01' - interval '1 day'"),
            "SELECT * FROM t WHERE d > $1::date - $2::interval"
        );
        assert_eq!(
            text("SELECT '2024-01-01'::date, round(x, 2) FROM t"),
            "SELECT $1::date, round(x, $2) FROM t"
        );
    }

    #[test]
    fn comments_and_quoted_identifiers_are_untouched_strings_inside_them_too() {
        assert_eq!(
            text("SELECT \"col'1\" /* 'secret' */ FROM t -- 42\nWHERE x = E'a\\'b'"),
            "SELECT \"col'1\" /* 'secret' */ FROM t -- 42\nWHERE x = $1"
        );
    }

    #[test]
    fn restore_puts_literals_back_only_for_introduced_parameters() {
        let result =
            parameterize("SELECT * FROM t WHERE a = $1 AND b = 'x' AND d > date '2024-01-01'");
        let rewrite = "SELECT * FROM t WHERE b = $2 AND a = $1 AND d > $3::date";
        assert_eq!(
            restore_literals(rewrite, &result.literals),
            "SELECT * FROM t WHERE b = 'x' AND a = $1 AND d > '2024-01-01'::date"
        );
    }

    #[test]
    fn never_panics_on_odd_input() {
        for input in [
            "",
            "'",
            "date '",
            "$",
            "$99999999999999999999",
            "((((",
            "))))",
            "é 'ü' 1",
        ] {
            let _ = parameterize(input);
        }
    }
}
