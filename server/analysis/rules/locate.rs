//! Where AST nodes are in the statement text, as byte ranges.
//!
//! sqlparser's spans are line/column pairs counted in chars, some are empty
//! (line 0), and for composite expressions they are the union of the
//! children's spans, so they miss closing parentheses, `::type` suffixes and
//! leading keywords (`CAST(`). The [`Locator`] corrects those with the
//! statement's tokens. Every range it returns lies on char boundaries of the
//! text, so slicing with it cannot panic.

use std::ops::Range;

use sqlparser::ast::{CastKind, DataType, Expr, Function, ObjectNamePart};
use sqlparser::tokenizer::{Location, Span};

use crate::sql::lexer::{Lexer, Token, TokenKind};

/// Deeper expressions than this are not located (their range is `None`):
/// it bounds the recursion on pathological input.
const MAX_DEPTH: usize = 64;

/// Converts sqlparser locations (1-based line, 1-based column counted in
/// chars; lines end at `\n`) to byte offsets, `None` for empty (line 0) or
/// out-of-range ones. Line starts are indexed once, so that a location
/// converts in constant time on ASCII lines (a statement may hold
/// thousands of located nodes).
struct Lines {
    /// `(start, is_ascii)` of each line.
    lines: Vec<(usize, bool)>,
}

impl Lines {
    fn new(text: &str) -> Self {
        let mut lines = Vec::new();
        let mut start = 0;
        for line in text.split('\n') {
            lines.push((start, line.is_ascii()));
            start += line.len() + 1;
        }
        Lines { lines }
    }

    fn offset(&self, text: &str, location: Location) -> Option<usize> {
        let line = usize::try_from(location.line).ok()?.checked_sub(1)?;
        let column = usize::try_from(location.column).ok()?.checked_sub(1)?;
        let &(start, is_ascii) = self.lines.get(line)?;
        let end = self
            .lines
            .get(line + 1)
            .map_or(text.len(), |&(next, _)| next - 1);
        let line_text = text.get(start..end)?;
        if is_ascii {
            return (column <= line_text.len()).then_some(start + column);
        }
        // The char boundaries of the line, its end included: column n is
        // the (n-1)-th of them.
        line_text
            .char_indices()
            .map(|(offset, _)| offset)
            .chain(std::iter::once(line_text.len()))
            .nth(column)
            .map(|offset| start + offset)
    }

    fn range(&self, text: &str, span: Span) -> Option<Range<usize>> {
        let start = self.offset(text, span.start)?;
        let end = self.offset(text, span.end)?;
        (start <= end).then_some(start..end)
    }
}

/// Locates nodes of one statement.
pub struct Locator<'a> {
    text: &'a str,
    tokens: &'a [Token],
    lines: Lines,
}

impl<'a> Locator<'a> {
    /// A locator for `text`, whose significant tokens are `tokens`.
    pub fn new(text: &'a str, tokens: &'a [Token]) -> Self {
        Locator {
            text,
            tokens,
            lines: Lines::new(text),
        }
    }

    /// The text of a range this locator returned.
    pub fn text(&self, range: &Range<usize>) -> &'a str {
        self.text.get(range.clone()).unwrap_or_default()
    }

    pub fn span(&self, span: Span) -> Option<Range<usize>> {
        self.lines.range(self.text, span)
    }

    /// The whole expression, from its first to its last character.
    pub fn expr(&self, expr: &Expr) -> Option<Range<usize>> {
        self.expr_at_depth(expr, 0)
            .map(|range| self.balanced(range))
    }

    /// The first token of the statement, the range of last resort.
    pub fn statement_start(&self) -> Range<usize> {
        self.tokens
            .first()
            .map_or(0..self.text.len(), |token| token.start..token.end)
    }

    /// The first token whose text is `text` (case-insensitively): where a
    /// node is when sqlparser gave it no span.
    pub fn first_token(&self, text: &str) -> Option<Range<usize>> {
        (0..self.tokens.len())
            .find(|&index| self.token_text(index).eq_ignore_ascii_case(text))
            .map(|index| self.token_range(index))
    }

    /// The range from the start of `first` to the end of `last`.
    pub fn cover(first: &Range<usize>, last: &Range<usize>) -> Range<usize> {
        first.start.min(last.start)..first.end.max(last.end)
    }

    /// The index of the last token that ends at or before `offset`.
    pub fn token_before(&self, offset: usize) -> Option<usize> {
        self.tokens
            .partition_point(|token| token.end <= offset)
            .checked_sub(1)
    }

    /// The index of the first token that starts at or after `offset`.
    pub fn token_after(&self, offset: usize) -> Option<usize> {
        let index = self.tokens.partition_point(|token| token.start < offset);
        (index < self.tokens.len()).then_some(index)
    }

    pub fn token_range(&self, index: usize) -> Range<usize> {
        self.tokens
            .get(index)
            .map_or(0..0, |token| token.start..token.end)
    }

    pub fn token_text(&self, index: usize) -> &'a str {
        self.tokens
            .get(index)
            .and_then(|token| self.text.get(token.start..token.end))
            .unwrap_or_default()
    }

    pub fn is_word(&self, index: usize, word: &str) -> bool {
        self.tokens
            .get(index)
            .is_some_and(|token| token.kind == TokenKind::Word)
            && self.token_text(index).eq_ignore_ascii_case(word)
    }

    fn kind(&self, index: usize) -> Option<TokenKind> {
        self.tokens.get(index).map(|token| token.kind)
    }

    fn expr_at_depth(&self, expr: &Expr, depth: usize) -> Option<Range<usize>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let inner = |expr: &Expr| self.expr_at_depth(expr, depth + 1);
        match expr {
            Expr::Identifier(ident) => self.span(ident.span),
            Expr::CompoundIdentifier(parts) => {
                let first = self.span(parts.first()?.span)?;
                let last = self.span(parts.last()?.span)?;
                Some(Self::cover(&first, &last))
            }
            Expr::Value(value) => self.span(value.span),
            Expr::Nested(expr) => self.parenthesized(inner(expr)?),
            Expr::Function(function) => self.call(function),
            Expr::Cast {
                kind: CastKind::DoubleColon,
                expr,
                data_type,
                ..
            } => self.double_colon_cast(inner(expr)?, data_type),
            Expr::Cast { expr, .. } => {
                self.keyword_call(inner(expr)?, &["cast", "try_cast", "safe_cast"])
            }
            Expr::Extract { expr, .. } => self.keyword_call(inner(expr)?, &["extract"]),
            Expr::Ceil { expr, .. } => self.keyword_call(inner(expr)?, &["ceil", "ceiling"]),
            Expr::Floor { expr, .. } => self.keyword_call(inner(expr)?, &["floor"]),
            Expr::Substring { expr, .. } => {
                self.keyword_call(inner(expr)?, &["substring", "substr"])
            }
            Expr::Trim { expr, .. } => self.keyword_call(inner(expr)?, &["trim"]),
            Expr::BinaryOp { left, right, .. }
            | Expr::AtTimeZone {
                timestamp: left,
                time_zone: right,
            } => Some(Self::cover(&inner(left)?, &inner(right)?)),
            Expr::UnaryOp { expr, .. } => self.prefixed(inner(expr)?),
            _ => None,
        }
    }

    /// `( range )` when parentheses enclose the range, else the range.
    fn parenthesized(&self, range: Range<usize>) -> Option<Range<usize>> {
        let open = self.token_before(range.start)?;
        let close = self.token_after(range.end)?;
        let enclosed = self.kind(open) == Some(TokenKind::LParen)
            && self.kind(close) == Some(TokenKind::RParen);
        Some(if enclosed {
            self.tokens[open].start..self.tokens[close].end
        } else {
            range
        })
    }

    /// `name(…)`: from the name to its closing parenthesis.
    fn call(&self, function: &Function) -> Option<Range<usize>> {
        let mut spans = function
            .name
            .0
            .iter()
            .filter_map(ObjectNamePart::as_ident)
            .filter_map(|ident| self.span(ident.span));
        let first = spans.next()?;
        let name = Self::cover(&first, &spans.next_back().unwrap_or_else(|| first.clone()));
        let arguments = self
            .token_after(name.end)
            .filter(|&open| self.kind(open) == Some(TokenKind::LParen))
            .and_then(|open| self.matching_close(open));
        Some(match arguments {
            Some(close) => name.start..self.tokens[close].end,
            None => name,
        })
    }

    /// `expr::type`: the expression, `::`, and the type's tokens, matched
    /// against the type as sqlparser prints it (`numeric(10,2)`, `int[]`,
    /// `timestamp with time zone`).
    fn double_colon_cast(
        &self,
        operand: Range<usize>,
        data_type: &DataType,
    ) -> Option<Range<usize>> {
        let colons = self.token_after(operand.end)?;
        if self.token_text(colons) != "::" {
            return Some(operand);
        }
        let printed = data_type.to_string();
        let printed_tokens = Lexer::new(&printed).filter(|token| !token.kind.is_trivia());
        let mut last = colons;
        for (offset, expected) in printed_tokens.enumerate() {
            let index = colons + 1 + offset;
            if !self
                .token_text(index)
                .eq_ignore_ascii_case(expected.text(&printed))
            {
                break;
            }
            last = index;
        }
        if last == colons {
            // Printed differently from how it is written: take the type's first token.
            last = colons + 1;
        }
        let end = self.tokens.get(last).map_or(operand.end, |token| token.end);
        Some(operand.start..end)
    }

    /// `KEYWORD( … operand … )`, e.g. `CAST(x AS date)`, `EXTRACT(year FROM ts)`:
    /// from the keyword to the closing parenthesis around the operand.
    fn keyword_call(&self, operand: Range<usize>, keywords: &[&str]) -> Option<Range<usize>> {
        let open = self.enclosing_open(operand.start)?;
        let keyword = open.checked_sub(1)?;
        if !keywords.iter().any(|word| self.is_word(keyword, word)) {
            return None;
        }
        let close = self.matching_close(open)?;
        Some(self.tokens[keyword].start..self.tokens[close].end)
    }

    /// `-x`, `NOT x`: the operand with the operator token before it.
    fn prefixed(&self, operand: Range<usize>) -> Option<Range<usize>> {
        let operator = self.token_before(operand.start)?;
        let is_operator =
            self.kind(operator) == Some(TokenKind::Operator) || self.is_word(operator, "not");
        Some(if is_operator {
            self.tokens[operator].start..operand.end
        } else {
            operand
        })
    }

    /// The unmatched `(` before `offset`.
    fn enclosing_open(&self, offset: usize) -> Option<usize> {
        let mut depth = 0usize;
        let mut index = self.token_before(offset)?;
        loop {
            match self.kind(index)? {
                TokenKind::RParen => depth += 1,
                TokenKind::LParen if depth == 0 => return Some(index),
                TokenKind::LParen => depth -= 1,
                _ => {}
            }
            index = index.checked_sub(1)?;
        }
    }

    fn matching_close(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for (index, token) in self.tokens.iter().enumerate().skip(open) {
            match token.kind {
                TokenKind::LParen => depth += 1,
                TokenKind::RParen => {
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

    fn matching_open(&self, close: usize) -> Option<usize> {
        let mut depth = 0usize;
        for index in (0..=close).rev() {
            match self.kind(index)? {
                TokenKind::RParen => depth += 1,
                TokenKind::LParen => {
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

    /// Widens a range until its parentheses balance, so a finding never
    /// covers half of a parenthesized expression.
    fn balanced(&self, range: Range<usize>) -> Range<usize> {
        let (Some(first), Some(last)) =
            (self.token_after(range.start), self.token_before(range.end))
        else {
            return range;
        };
        let mut unmatched_opens = Vec::new();
        let mut last_unmatched_close = None;
        for index in first..=last {
            match self.kind(index) {
                Some(TokenKind::LParen) => unmatched_opens.push(index),
                Some(TokenKind::RParen) if unmatched_opens.pop().is_none() => {
                    last_unmatched_close = Some(index);
                }
                _ => {}
            }
        }
        // The outermost pair encloses the others on that side.
        let start = match last_unmatched_close.map(|close| self.matching_open(close)) {
            Some(Some(open)) => self.tokens[open].start,
            Some(None) => return range,
            None => range.start,
        };
        let end = match unmatched_opens
            .first()
            .map(|&open| self.matching_close(open))
        {
            Some(Some(close)) => self.tokens[close].end,
            Some(None) => return range,
            None => range.end,
        };
        start.min(range.start)..end.max(range.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(line: u64, column: u64) -> Location {
        Location { line, column }
    }

    fn offset_of(text: &str, location: Location) -> Option<usize> {
        Lines::new(text).offset(text, location)
    }

    fn span_range(text: &str, span: Span) -> Option<Range<usize>> {
        Lines::new(text).range(text, span)
    }

    #[test]
    fn offsets_count_chars_not_bytes() {
        let text = "SELECT 'é' ,\n  ünï";
        assert_eq!(offset_of(text, location(1, 1)), Some(0));
        // Column 11 is the char after `'é'` (é is two bytes).
        assert_eq!(offset_of(text, location(1, 11)), Some(11));
        assert_eq!(offset_of(text, location(2, 3)), Some(16));
        assert_eq!(&text[offset_of(text, location(2, 4)).unwrap()..], "nï");
        // The end of a line is a valid (exclusive) location.
        assert_eq!(offset_of(text, location(2, 6)), Some(text.len()));
    }

    #[test]
    fn out_of_range_locations_are_none() {
        let text = "SELECT 1\nFROM t";
        assert_eq!(offset_of(text, location(0, 0)), None);
        assert_eq!(offset_of(text, location(1, 0)), None);
        assert_eq!(offset_of(text, location(1, 10)), None);
        assert_eq!(offset_of(text, location(3, 1)), None);
        assert_eq!(offset_of(text, location(u64::MAX, u64::MAX)), None);
        assert_eq!(offset_of("", location(1, 1)), Some(0));
        assert_eq!(
            span_range(text, Span::new(location(2, 1), location(1, 1))),
            None
        );
        assert_eq!(span_range(text, Span::empty()), None);
    }
}
