//! The statement seen two ways at once: sqlparser's AST, whose spans are
//! (line, char column) pairs, and the lexer's significant tokens, which are
//! byte ranges. Rewrites find AST nodes by their spans and then work on
//! tokens, which are exact (sqlparser's spans miss parentheses and keywords).

use std::ops::Range;

use sqlparser::ast::Expr;
use sqlparser::tokenizer::{Location, Span};

use crate::sql::lexer::{Token, TokenKind, tokenize};
use crate::text::LineIndex;

pub(super) struct Source<'a> {
    pub text: &'a str,
    /// Significant tokens only: no whitespace or comments.
    tokens: Vec<Token>,
    lines: LineIndex,
    /// Whether the statement writes its keywords in lower case, so that
    /// inserted keywords match.
    lower_case: bool,
}

impl<'a> Source<'a> {
    pub fn new(text: &'a str) -> Self {
        let tokens: Vec<Token> = tokenize(text)
            .into_iter()
            .filter(|token| !token.kind.is_trivia())
            .collect();
        let lower_case = tokens
            .iter()
            .find(|token| token.kind == TokenKind::Word)
            .is_some_and(|token| {
                let word = token.text(text);
                word.bytes().any(|b| b.is_ascii_lowercase())
                    && !word.bytes().any(|b| b.is_ascii_uppercase())
            });
        Source {
            text,
            tokens,
            lines: LineIndex::new(text),
            lower_case,
        }
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// A keyword (given in upper case) in the statement's case.
    pub fn keyword(&self, upper: &str) -> String {
        if self.lower_case {
            upper.to_ascii_lowercase()
        } else {
            upper.to_owned()
        }
    }

    /// The byte offset of a sqlparser location (1-based line and char column).
    fn offset(&self, location: Location) -> Option<usize> {
        let line = u32::try_from(location.line.checked_sub(1)?).ok()?;
        let column = usize::try_from(location.column.checked_sub(1)?).ok()?;
        let range = self.lines.line_range(line)?;
        let line_text = self.text.get(range.clone())?;
        let in_line = if line_text.is_ascii() {
            Some(column).filter(|&column| column <= line_text.len())
        } else {
            line_text
                .char_indices()
                .map(|(offset, _)| offset)
                .chain(std::iter::once(line_text.len()))
                .nth(column)
        };
        in_line.map(|offset| range.start + offset)
    }

    /// The token that starts where `span` starts.
    pub fn token_at(&self, span: Span) -> Option<usize> {
        self.token_starting_at(self.offset(span.start)?)
    }

    /// The token that starts at byte `offset`.
    pub fn token_starting_at(&self, offset: usize) -> Option<usize> {
        let index = self.tokens.partition_point(|token| token.start < offset);
        (self.tokens.get(index)?.start == offset).then_some(index)
    }

    pub fn kind(&self, index: usize) -> Option<TokenKind> {
        self.tokens.get(index).map(|token| token.kind)
    }

    pub fn start(&self, index: usize) -> Option<usize> {
        self.tokens.get(index).map(|token| token.start)
    }

    pub fn end(&self, index: usize) -> Option<usize> {
        self.tokens.get(index).map(|token| token.end)
    }

    pub fn token_text(&self, index: usize) -> &'a str {
        self.tokens
            .get(index)
            .and_then(|token| self.text.get(token.start..token.end))
            .unwrap_or_default()
    }

    pub fn is_word(&self, index: usize, word: &str) -> bool {
        self.kind(index) == Some(TokenKind::Word)
            && self.token_text(index).eq_ignore_ascii_case(word)
    }

    /// The text from the start of token `first` to the end of token `last`,
    /// comments between them included.
    pub fn slice(&self, first: usize, last: usize) -> Option<&'a str> {
        self.text.get(self.start(first)?..self.end(last)?)
    }

    /// The index of the `)` (or `]`) closing the bracket at `open`.
    pub fn matching_close(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for (index, token) in self.tokens.iter().enumerate().skip(open) {
            match token.kind {
                TokenKind::LParen | TokenKind::LBracket => depth += 1,
                TokenKind::RParen | TokenKind::RBracket => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(index);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The tokens of `from..to` that are outside any brackets opened in
    /// that range, in order.
    pub fn top_level(&self, from: usize, to: usize) -> Vec<usize> {
        let mut depth = 0usize;
        let mut found = Vec::new();
        for index in from..to.min(self.tokens.len()) {
            match self.tokens[index].kind {
                TokenKind::LParen | TokenKind::LBracket => depth += 1,
                TokenKind::RParen | TokenKind::RBracket => depth = depth.saturating_sub(1),
                _ if depth == 0 => found.push(index),
                _ => {}
            }
        }
        found
    }

    /// Where a column reference (`col`, `t.col`, `"T"."Col"`) is written;
    /// `None` for any other expression.
    pub fn column_range(&self, expr: &Expr) -> Option<Range<usize>> {
        let (first, last) = match expr {
            Expr::Identifier(ident) => (ident, ident),
            Expr::CompoundIdentifier(parts) => (parts.first()?, parts.last()?),
            _ => return None,
        };
        let start = self.offset(first.span.start)?;
        let end = self.offset(last.span.end)?;
        (start < end && self.text.is_char_boundary(start) && self.text.is_char_boundary(end))
            .then_some(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_map_to_tokens_across_lines_and_wide_chars() {
        let text = "SELECT 'é😀',\n  \"Ünï\".x FROM t";
        let source = Source::new(text);
        let span =
            |line, start, end| Span::new(Location::new(line, start), Location::new(line, end));
        let index = source.token_at(span(2, 3, 8)).unwrap();
        assert_eq!(source.token_text(index), "\"Ünï\"");
        assert_eq!(source.token_at(span(2, 4, 8)), None);
        assert_eq!(source.token_at(span(3, 1, 1)), None);
        assert_eq!(source.token_at(span(0, 0, 0)), None);
    }

    #[test]
    fn keywords_follow_the_statement_case() {
        assert_eq!(Source::new("select 1").keyword("NOT EXISTS"), "not exists");
        assert_eq!(Source::new("SELECT 1").keyword("NOT EXISTS"), "NOT EXISTS");
        assert_eq!(Source::new("Select 1").keyword("AND"), "AND");
    }
}
