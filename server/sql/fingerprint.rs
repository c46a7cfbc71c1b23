//! Statement fingerprints: the key that matches SQL in a file to the rows of
//! `pg_stat_statements`.
//!
//! The fingerprint is computed from tokens, never from a parse, so it exists
//! for statements no parser accepts and for the normalized text
//! pg_stat_statements stores (`interval $1` is not valid SQL). It normalizes
//! the way pg_stat_statements does (measured on PostgreSQL 15):
//! - constants (strings, numbers, `true`/`false`/`null`, a negative number
//!   with its sign, `LIMIT ALL`) and every placeholder style (`$1`, `?`,
//!   `:name`, `%s`, `%(name)s`) become one parameter token;
//! - `IN (…)` and `ARRAY[…]` lists of parameters collapse to one list token,
//!   whatever their length (PostgreSQL 18 stores `IN ($1 /*, ... */)`);
//! - case, whitespace and comments are ignored;
//! - column positions in `ORDER BY 1` / `GROUP BY 2` stay, because
//!   pg_stat_statements keeps them (they are not constants to the planner).

use std::fmt;

use super::lexer::{Lexer, Token, TokenKind};

/// A 64-bit statement fingerprint; stable across runs, versions and machines
/// (it keys the on-disk history).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub u64);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl Fingerprint {
    pub fn parse_hex(hex: &str) -> Option<Fingerprint> {
        u64::from_str_radix(hex, 16).ok().map(Fingerprint)
    }
}

/// One unit of the normalized statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Atom<'a> {
    Param,
    ParamList,
    /// An unquoted word, compared case-insensitively.
    Word(&'a str),
    /// Anything compared exactly: operators, punctuation, quoted identifiers.
    Exact(&'a str),
}

/// Words after which an operand (not an operator) is expected: a `-` or `?`
/// there is a sign or a placeholder, not a binary operator.
const OPERAND_EXPECTING_WORDS: &[&str] = &[
    "select",
    "where",
    "and",
    "or",
    "not",
    "on",
    "when",
    "then",
    "else",
    "case",
    "in",
    "like",
    "ilike",
    "between",
    "by",
    "set",
    "values",
    "limit",
    "offset",
    "return",
    "having",
    "using",
    "distinct",
    "fetch",
    "first",
    "next",
    "is",
    "returning",
    "all",
    "any",
    "some",
    "similar",
];

/// Normalizes one statement's text into atoms.
struct Normalizer<'a> {
    text: &'a str,
    atoms: Vec<Atom<'a>>,
    previous: Option<Token>,
    /// After `ORDER BY` / `GROUP BY`: integers are column positions.
    in_position_list: bool,
}

impl<'a> Normalizer<'a> {
    fn operand_expected(&self) -> bool {
        match self.previous {
            None => true,
            Some(token) => match token.kind {
                TokenKind::Operator
                | TokenKind::LParen
                | TokenKind::LBracket
                | TokenKind::Comma
                | TokenKind::Semicolon => true,
                TokenKind::Word => {
                    let word = token.text(self.text);
                    OPERAND_EXPECTING_WORDS
                        .iter()
                        .any(|keyword| keyword.eq_ignore_ascii_case(word))
                }
                _ => false,
            },
        }
    }

    fn previous_word_is(&self, expected: &[&str]) -> bool {
        self.previous.is_some_and(|token| {
            token.kind == TokenKind::Word
                && expected
                    .iter()
                    .any(|word| word.eq_ignore_ascii_case(token.text(self.text)))
        })
    }

    fn run(mut self, tokens: &[Token]) -> Vec<Atom<'a>> {
        let mut index = 0;
        while index < tokens.len() {
            let token = tokens[index];
            let consumed = self.atom_for(token, &tokens[index + 1..]);
            index += consumed;
            self.previous = Some(tokens[index - 1]);
        }
        collapse_lists(&mut self.atoms);
        self.atoms
    }

    /// Pushes the atom(s) for `token` and returns how many tokens it used.
    fn atom_for(&mut self, token: Token, rest: &[Token]) -> usize {
        let text = token.text(self.text);
        let next = rest.first().copied();
        let adjacent = |other: Option<Token>| other.filter(|t| t.start == token.end);
        let keeps_position_list = self.in_position_list;
        self.in_position_list = false;
        match token.kind {
            TokenKind::Number if keeps_position_list => {
                self.in_position_list = true;
                self.atoms.push(Atom::Exact(text));
            }
            TokenKind::String | TokenKind::Number | TokenKind::Param => {
                self.atoms.push(Atom::Param)
            }
            TokenKind::Operator
                if text == "-"
                    && next.is_some_and(|t| t.kind == TokenKind::Number)
                    && self.operand_expected() =>
            {
                self.atoms.push(Atom::Param);
                return 2;
            }
            TokenKind::Operator if text == "?" && self.operand_expected() => {
                self.atoms.push(Atom::Param)
            }
            TokenKind::Operator if text == "%" && self.operand_expected() => {
                if let Some(used) = percent_placeholder(self.text, token, rest) {
                    self.atoms.push(Atom::Param);
                    return used;
                }
                self.atoms.push(Atom::Exact(text));
            }
            TokenKind::Colon
                if self.operand_expected() && adjacent(next).is_some_and(is_name_like) =>
            {
                self.atoms.push(Atom::Param);
                return 2;
            }
            TokenKind::Word => self.word(text, next),
            TokenKind::QuotedIdent => self.atoms.push(quoted_identifier_atom(text)),
            TokenKind::Comma if keeps_position_list => {
                self.in_position_list = true;
                self.atoms.push(Atom::Exact(text));
            }
            _ => self.atoms.push(Atom::Exact(text)),
        }
        1
    }

    fn word(&mut self, word: &'a str, next: Option<Token>) {
        let is = |expected: &str| word.eq_ignore_ascii_case(expected);
        let is_constant =
            (is("true") || is("false") || is("null")) && !self.previous_word_is(&["is", "not"]);
        let is_limit_all = is("all") && self.previous_word_is(&["limit"]);
        if is_constant || is_limit_all {
            self.atoms.push(Atom::Param);
            return;
        }
        if is("by") && self.previous_word_is(&["order", "group"]) {
            self.in_position_list = true;
        }
        let continues_position_list =
            is("asc") || is("desc") || is("nulls") || is("first") || is("last");
        if continues_position_list && next.is_some_and(|t| t.kind == TokenKind::Comma) {
            // `ORDER BY 1 DESC, 2`: the list goes on after the direction.
            self.in_position_list = true;
        }
        self.atoms.push(Atom::Word(word));
    }
}

fn is_name_like(token: Token) -> bool {
    matches!(
        token.kind,
        TokenKind::Word | TokenKind::String | TokenKind::QuotedIdent
    )
}

/// `%s` or `%(name)s` written without spaces: a Python DB-API placeholder.
fn percent_placeholder(text: &str, percent: Token, rest: &[Token]) -> Option<usize> {
    let is_word =
        |token: &Token, word: &str| token.kind == TokenKind::Word && token.text(text) == word;
    let contiguous = |tokens: &[Token]| {
        let mut end = percent.end;
        tokens.iter().all(|t| {
            let ok = t.start == end;
            end = t.end;
            ok
        })
    };
    match rest {
        [s, ..] if is_word(s, "s") && contiguous(&rest[..1]) => Some(2),
        [open, name, close, s, ..]
            if open.kind == TokenKind::LParen
                && name.kind == TokenKind::Word
                && close.kind == TokenKind::RParen
                && is_word(s, "s")
                && contiguous(&rest[..4]) =>
        {
            Some(5)
        }
        _ => None,
    }
}

/// `"users"` is the same identifier as `users`; `"Users"` is not.
fn quoted_identifier_atom(text: &str) -> Atom<'_> {
    let inner = text.trim_start_matches("U&").trim_matches('"');
    let folds_to_itself = !inner.is_empty()
        && !inner.starts_with(|c: char| c.is_ascii_digit())
        && inner
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if folds_to_itself {
        Atom::Word(inner)
    } else {
        Atom::Exact(text)
    }
}

/// Collapses `IN (p, p, …)` and `ARRAY[p, p, …]` to one list atom.
fn collapse_lists(atoms: &mut Vec<Atom<'_>>) {
    let mut out = Vec::with_capacity(atoms.len());
    let mut index = 0;
    while index < atoms.len() {
        out.push(atoms[index]);
        let opener = match atoms[index] {
            Atom::Word(word) if word.eq_ignore_ascii_case("in") => "(",
            Atom::Word(word) if word.eq_ignore_ascii_case("array") => "[",
            _ => {
                index += 1;
                continue;
            }
        };
        let closer = if opener == "(" { ")" } else { "]" };
        index += 1;
        if let Some(length) = parameter_list_length(&atoms[index..], opener, closer) {
            out.extend([Atom::Exact(opener), Atom::ParamList, Atom::Exact(closer)]);
            index += length;
        }
    }
    *atoms = out;
}

/// The number of atoms in `( p , p … )` at the start of `atoms`, if it is one.
fn parameter_list_length(atoms: &[Atom<'_>], opener: &str, closer: &str) -> Option<usize> {
    if atoms.first() != Some(&Atom::Exact(opener)) {
        return None;
    }
    let mut expect_param = true;
    for (offset, atom) in atoms.iter().enumerate().skip(1) {
        match (atom, expect_param) {
            (Atom::Param | Atom::ParamList, true) => expect_param = false,
            (Atom::Exact(","), false) => expect_param = true,
            (Atom::Exact(c), false) if *c == closer => return Some(offset + 1),
            _ => return None,
        }
    }
    None
}

fn significant_tokens(text: &str) -> Vec<Token> {
    Lexer::new(text).filter(|t| !t.kind.is_trivia()).collect()
}

fn atoms(text: &str) -> Vec<Atom<'_>> {
    atoms_of_tokens(text, &significant_tokens(text))
}

fn atoms_of_tokens<'a>(text: &'a str, tokens: &[Token]) -> Vec<Atom<'a>> {
    Normalizer {
        text,
        atoms: Vec::with_capacity(tokens.len()),
        previous: None,
        in_position_list: false,
    }
    .run(tokens)
}

/// 64-bit FNV-1a: tiny, and stable forever (unlike std's hasher).
struct Fnv1a(u64);

impl Fnv1a {
    fn new() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }

    fn byte(&mut self, byte: u8) {
        self.0 ^= u64::from(byte);
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
    }
}

/// The fingerprint of one statement's text (without its trailing `;`).
pub fn fingerprint(statement: &str) -> Fingerprint {
    fingerprint_tokens(statement, &significant_tokens(statement))
}

/// [`fingerprint`] from the statement's tokens without trivia (comments and
/// whitespace), for callers that have lexed it already.
pub fn fingerprint_tokens(statement: &str, tokens: &[Token]) -> Fingerprint {
    let mut hash = Fnv1a::new();
    for atom in atoms_of_tokens(statement, tokens) {
        match atom {
            Atom::Param => hash.byte(1),
            Atom::ParamList => hash.byte(2),
            Atom::Word(word) => word.bytes().for_each(|b| hash.byte(b.to_ascii_lowercase())),
            Atom::Exact(text) => text.bytes().for_each(|b| hash.byte(b)),
        }
        hash.byte(0);
    }
    Fingerprint(hash.0)
}

/// The normalized form as text (`?` for parameters, `?…` for lists): what
/// the fingerprint hashes, for logs and debugging.
pub fn normalized_text(statement: &str) -> String {
    let parts: Vec<String> = atoms(statement)
        .into_iter()
        .map(|atom| match atom {
            Atom::Param => "?".to_string(),
            Atom::ParamList => "?…".to_string(),
            Atom::Word(word) => word.to_ascii_lowercase(),
            Atom::Exact(text) => text.to_string(),
        })
        .collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests;
