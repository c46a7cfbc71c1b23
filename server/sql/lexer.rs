//! A PostgreSQL lexer that never fails.
//!
//! It follows the server's lexical rules (scan.l) closely enough to find
//! statement boundaries and to normalize statements for fingerprints:
//! quoted strings with `''`, `E'…'` backslash escapes, dollar quotes, quoted
//! identifiers, nested block comments, numbers, parameters and operators.
//! Unterminated constructs run to the end of the input instead of failing,
//! because the user is usually in the middle of typing them.

/// What a token is. Keywords are not distinguished from identifiers here:
/// the grammar decides that, and normalization only needs case folding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Whitespace,
    LineComment,
    BlockComment,
    /// Unquoted identifier or keyword.
    Word,
    /// `"…"` or `U&"…"`.
    QuotedIdent,
    /// Any string constant: `'…'`, `E'…'`, `B'…'`, `X'…'`, `N'…'`, `U&'…'`, `$tag$…$tag$`.
    String,
    Number,
    /// `$1`, `$2`, …
    Param,
    /// An operator such as `=`, `<>`, `::`, `||`, `?`, `%`.
    Operator,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Semicolon,
    Dot,
    Colon,
    /// A backslash: the start of a psql meta-command (handled by the splitter).
    Backslash,
    /// A byte sequence that cannot start any token (kept so nothing is lost).
    Unknown,
}

impl TokenKind {
    /// Whitespace and comments: ignored by the grammar and by fingerprints.
    pub fn is_trivia(self) -> bool {
        matches!(
            self,
            TokenKind::Whitespace | TokenKind::LineComment | TokenKind::BlockComment
        )
    }
}

/// A token: its kind and its byte range in the lexed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        &source[self.start..self.end]
    }
}

/// Characters PostgreSQL allows in operators.
fn is_operator_char(byte: u8) -> bool {
    matches!(
        byte,
        b'+' | b'-'
            | b'*'
            | b'/'
            | b'<'
            | b'>'
            | b'='
            | b'~'
            | b'!'
            | b'@'
            | b'#'
            | b'%'
            | b'^'
            | b'&'
            | b'|'
            | b'`'
            | b'?'
    )
}

fn is_ident_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte >= 0x80
}

fn is_ident_continue(byte: u8) -> bool {
    is_ident_start(byte) || byte.is_ascii_digit() || byte == b'$'
}

/// An iterator over the tokens of `text`, starting at byte `start`.
pub struct Lexer<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(text: &'a str) -> Self {
        Self::starting_at(text, 0)
    }

    /// Lexes from `start`, which must be a char boundary where no token is open.
    pub fn starting_at(text: &'a str, start: usize) -> Self {
        Lexer {
            bytes: text.as_bytes(),
            text,
            pos: start.min(text.len()),
        }
    }

    /// The byte offset the next token will start at.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Moves to `pos` (a char boundary), e.g. to skip a meta-command line.
    pub fn seek(&mut self, pos: usize) {
        self.pos = self.char_boundary_at_or_after(pos.min(self.bytes.len()));
    }

    fn peek(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.pos + offset).copied()
    }

    fn char_boundary_at_or_after(&self, mut pos: usize) -> usize {
        while pos < self.bytes.len() && !self.text.is_char_boundary(pos) {
            pos += 1;
        }
        pos
    }

    fn lex_token(&mut self) -> TokenKind {
        let first = self.bytes[self.pos];
        match first {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'\x0b' => self.whitespace(),
            b'-' if self.peek(1) == Some(b'-') => self.line_comment(),
            b'/' if self.peek(1) == Some(b'*') => self.block_comment(),
            b'\'' => self.quoted_string(1, false),
            b'"' => self.quoted_identifier(1),
            b'$' => self.dollar(),
            b'0'..=b'9' => self.number(),
            b'.' if self.peek(1).is_some_and(|b| b.is_ascii_digit()) => self.number(),
            b'(' => self.single(TokenKind::LParen),
            b')' => self.single(TokenKind::RParen),
            b'[' => self.single(TokenKind::LBracket),
            b']' => self.single(TokenKind::RBracket),
            b',' => self.single(TokenKind::Comma),
            b';' => self.single(TokenKind::Semicolon),
            b'\\' => self.single(TokenKind::Backslash),
            b'.' if self.peek(1) == Some(b'.') => {
                self.pos += 2;
                TokenKind::Operator
            }
            b'.' => self.single(TokenKind::Dot),
            b':' => self.colon(),
            _ if is_operator_char(first) => self.operator(),
            _ if is_ident_start(first) => self.word_or_prefixed_string(),
            _ => {
                self.pos = self.char_boundary_at_or_after(self.pos + 1);
                TokenKind::Unknown
            }
        }
    }

    fn single(&mut self, kind: TokenKind) -> TokenKind {
        self.pos += 1;
        kind
    }

    fn whitespace(&mut self) -> TokenKind {
        while self
            .peek(0)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'\x0b'))
        {
            self.pos += 1;
        }
        TokenKind::Whitespace
    }

    fn line_comment(&mut self) -> TokenKind {
        while self.peek(0).is_some_and(|b| b != b'\n') {
            self.pos += 1;
        }
        TokenKind::LineComment
    }

    /// Block comments nest in PostgreSQL (unlike the SQL standard's C style).
    fn block_comment(&mut self) -> TokenKind {
        self.pos += 2;
        let mut depth = 1usize;
        while self.pos < self.bytes.len() {
            match (self.bytes[self.pos], self.peek(1)) {
                (b'/', Some(b'*')) => {
                    depth += 1;
                    self.pos += 2;
                }
                (b'*', Some(b'/')) => {
                    depth -= 1;
                    self.pos += 2;
                    if depth == 0 {
                        break;
                    }
                }
                _ => self.pos += 1,
            }
        }
        TokenKind::BlockComment
    }

    /// A `'…'` string whose opening quote is `prefix_len - 1` bytes in.
    /// `''` is a quote inside the string; with `backslash_escapes` (E'…'),
    /// `\'` is too.
    fn quoted_string(&mut self, prefix_len: usize, backslash_escapes: bool) -> TokenKind {
        self.pos += prefix_len;
        while self.pos < self.bytes.len() {
            match self.bytes[self.pos] {
                b'\\' if backslash_escapes => self.pos += 2,
                b'\'' if self.peek(1) == Some(b'\'') => self.pos += 2,
                b'\'' => {
                    self.pos += 1;
                    return TokenKind::String;
                }
                _ => self.pos += 1,
            }
        }
        self.pos = self.bytes.len();
        TokenKind::String
    }

    fn quoted_identifier(&mut self, prefix_len: usize) -> TokenKind {
        self.pos += prefix_len;
        while self.pos < self.bytes.len() {
            if self.bytes[self.pos] == b'"' {
                if self.peek(1) == Some(b'"') {
                    self.pos += 2;
                    continue;
                }
                self.pos += 1;
                return TokenKind::QuotedIdent;
            }
            self.pos += 1;
        }
        TokenKind::QuotedIdent
    }

    /// `$1` (parameter), `$tag$…$tag$` / `$$…$$` (dollar-quoted string), or a lone `$`.
    fn dollar(&mut self) -> TokenKind {
        let start = self.pos;
        if self.peek(1).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
            while self.peek(0).is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1;
            }
            return TokenKind::Param;
        }
        // A dollar-quote tag: $ then optional identifier (no `$`) then $.
        let mut tag_end = start + 1;
        if self.bytes.get(tag_end).is_some_and(|&b| is_ident_start(b)) {
            while self
                .bytes
                .get(tag_end)
                .is_some_and(|&b| is_ident_start(b) || b.is_ascii_digit())
            {
                tag_end += 1;
            }
        }
        if self.bytes.get(tag_end) != Some(&b'$') {
            self.pos = start + 1;
            return TokenKind::Unknown;
        }
        let tag = &self.bytes[start..=tag_end];
        let body_start = tag_end + 1;
        match find_subslice(&self.bytes[body_start..], tag) {
            Some(found) => self.pos = body_start + found + tag.len(),
            None => self.pos = self.bytes.len(),
        }
        TokenKind::String
    }

    fn number(&mut self) -> TokenKind {
        let digits = |lexer: &mut Self, allow: fn(u8) -> bool| {
            while lexer.peek(0).is_some_and(|b| allow(b) || b == b'_') {
                lexer.pos += 1;
            }
        };
        if self.peek(0) == Some(b'0')
            && matches!(self.peek(1), Some(b'x' | b'X' | b'o' | b'O' | b'b' | b'B'))
        {
            self.pos += 2;
            digits(self, |b| b.is_ascii_hexdigit());
            return TokenKind::Number;
        }
        digits(self, |b| b.is_ascii_digit());
        // `1..2` is not a decimal point but a range operator in some contexts.
        if self.peek(0) == Some(b'.') && self.peek(1) != Some(b'.') {
            self.pos += 1;
            digits(self, |b| b.is_ascii_digit());
        }
        if matches!(self.peek(0), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(self.peek(1), Some(b'+' | b'-')));
            if self.peek(1 + sign).is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1 + sign;
                digits(self, |b| b.is_ascii_digit());
            }
        }
        TokenKind::Number
    }

    /// `::` (cast), `:=`, or a lone `:` (array slices, psql variables).
    fn colon(&mut self) -> TokenKind {
        if matches!(self.peek(1), Some(b':' | b'=')) {
            self.pos += 2;
            return TokenKind::Operator;
        }
        self.single(TokenKind::Colon)
    }

    /// PostgreSQL's operator rule: a run of operator characters, but `--` and
    /// `/*` start comments, and a multi-character operator ending in `+` or `-`
    /// must contain one of `~ ! @ # % ^ & | \` ?` (so `a=-1` is `=` then `-`).
    fn operator(&mut self) -> TokenKind {
        let start = self.pos;
        let mut end = start;
        while end < self.bytes.len() && is_operator_char(self.bytes[end]) {
            let next = self.bytes.get(end + 1).copied();
            if end > start
                && ((self.bytes[end] == b'-' && next == Some(b'-'))
                    || (self.bytes[end] == b'/' && next == Some(b'*')))
            {
                break;
            }
            end += 1;
        }
        let run = &self.bytes[start..end];
        let mut len = run.len();
        if len > 1 && !run.iter().any(|b| b"~!@#%^&|`?".contains(b)) {
            while len > 1 && matches!(run[len - 1], b'+' | b'-') {
                len -= 1;
            }
        }
        self.pos = start + len.max(1);
        TokenKind::Operator
    }

    /// Identifiers and keywords, or a prefixed string such as `E'…'`.
    fn word_or_prefixed_string(&mut self) -> TokenKind {
        let first = self.bytes[self.pos].to_ascii_lowercase();
        let second = self.peek(1);
        match (first, second) {
            (b'e', Some(b'\'')) => return self.quoted_string(2, true),
            (b'b' | b'x' | b'n', Some(b'\'')) => return self.quoted_string(2, false),
            (b'u', Some(b'&')) => match self.peek(2) {
                Some(b'\'') => return self.quoted_string(3, false),
                Some(b'"') => return self.quoted_identifier(3),
                _ => {}
            },
            _ => {}
        }
        while self.peek(0).is_some_and(is_ident_continue) {
            self.pos += 1;
        }
        self.pos = self.char_boundary_at_or_after(self.pos);
        TokenKind::Word
    }
}

fn find_subslice(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    // Dollar-quote tags are short; a first-byte scan keeps this linear in practice.
    let first = needle[0];
    let mut from = 0;
    while let Some(offset) = haystack[from..].iter().position(|&b| b == first) {
        let at = from + offset;
        if haystack[at..].starts_with(needle) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

impl Iterator for Lexer<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        if self.pos >= self.bytes.len() {
            return None;
        }
        let start = self.pos;
        let kind = self.lex_token();
        // Every branch advances; clamp so an escape at the very end stays in bounds.
        self.pos = self.char_boundary_at_or_after(self.pos.clamp(start + 1, self.bytes.len()));
        Some(Token {
            kind,
            start,
            end: self.pos,
        })
    }
}

/// All tokens of `text`.
pub fn tokenize(text: &str) -> Vec<Token> {
    Lexer::new(text).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(TokenKind, &str)> {
        tokenize(text)
            .into_iter()
            .filter(|t| !t.kind.is_trivia())
            .map(|t| (t.kind, t.text(text)))
            .collect()
    }

    #[test]
    fn strings_with_doubled_quotes_and_escapes() {
        assert_eq!(
            kinds("'it''s;' E'a\\';b'"),
            vec![
                (TokenKind::String, "'it''s;'"),
                (TokenKind::String, "E'a\\';b'")
            ]
        );
    }

    #[test]
    fn dollar_quotes_with_and_without_tags() {
        let text = "$$ a; 'b $$ $fn$ x $$ y; $fn$ $1";
        assert_eq!(
            kinds(text),
            vec![
                (TokenKind::String, "$$ a; 'b $$"),
                (TokenKind::String, "$fn$ x $$ y; $fn$"),
                (TokenKind::Param, "$1"),
            ]
        );
    }

    #[test]
    fn nested_block_comments() {
        let tokens = kinds("/* a /* b; */ c; */ select");
        assert_eq!(tokens, vec![(TokenKind::Word, "select")]);
    }

    #[test]
    fn quoted_identifiers_keep_semicolons() {
        assert_eq!(
            kinds(r#""a;""b""#),
            vec![(TokenKind::QuotedIdent, r#""a;""b""#)]
        );
    }

    #[test]
    fn operators_follow_postgres_rules() {
        assert_eq!(
            kinds("a=-1"),
            vec![
                (TokenKind::Word, "a"),
                (TokenKind::Operator, "="),
                (TokenKind::Operator, "-"),
                (TokenKind::Number, "1")
            ]
        );
        assert_eq!(
            kinds("x::int <> y"),
            vec![
                (TokenKind::Word, "x"),
                (TokenKind::Operator, "::"),
                (TokenKind::Word, "int"),
                (TokenKind::Operator, "<>"),
                (TokenKind::Word, "y")
            ]
        );
        assert_eq!(kinds("a--b")[0], (TokenKind::Word, "a"));
    }

    #[test]
    fn numbers() {
        assert_eq!(
            kinds("1.5e-3 .5 0x1F 1_000"),
            vec![
                (TokenKind::Number, "1.5e-3"),
                (TokenKind::Number, ".5"),
                (TokenKind::Number, "0x1F"),
                (TokenKind::Number, "1_000")
            ]
        );
    }

    #[test]
    fn unterminated_constructs_run_to_end() {
        for text in ["'abc", "$$abc", "\"abc", "/* abc", "E'\\"] {
            let tokens = tokenize(text);
            assert_eq!(tokens.len(), 1, "{text}");
            assert_eq!(tokens[0].end, text.len());
        }
    }

    #[test]
    fn multibyte_text_stays_on_char_boundaries() {
        let text = "select 'é😀' from tablé where x = «y»";
        for token in tokenize(text) {
            assert!(text.is_char_boundary(token.start) && text.is_char_boundary(token.end));
        }
    }
}
