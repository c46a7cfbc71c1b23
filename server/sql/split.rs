//! Splitting a file into statements the way psql does.
//!
//! A statement ends at a `;` outside parentheses (and outside a
//! `BEGIN ATOMIC … END` function body), at a psql meta-command, or at the end
//! of the file. Lines of psql meta-commands (`\set`, `\i`, …) between
//! statements and the data block after `COPY … FROM stdin` are skipped.

use std::ops::Range;

use super::lexer::{Lexer, Token, TokenKind};

/// One statement's place in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementSpan {
    /// From where the lexer starts fresh (just after the previous statement)
    /// to the end of this statement's terminator, COPY data included.
    /// Extents tile the text up to the last statement.
    pub extent: Range<usize>,
    /// The statement itself: first to last significant token, without the `;`.
    pub range: Range<usize>,
}

impl StatementSpan {
    pub fn shifted(&self, delta: isize) -> StatementSpan {
        let shift = |offset: usize| offset.saturating_add_signed(delta);
        StatementSpan {
            extent: shift(self.extent.start)..shift(self.extent.end),
            range: shift(self.range.start)..shift(self.range.end),
        }
    }
}

/// Yields the statements of `text` from a fresh lexer position on.
pub struct Splitter<'a> {
    text: &'a str,
    lexer: Lexer<'a>,
}

impl<'a> Splitter<'a> {
    pub fn new(text: &'a str) -> Self {
        Self::starting_at(text, 0)
    }

    /// Starts at `start`, which must be the end of an earlier statement's extent (or 0).
    pub fn starting_at(text: &'a str, start: usize) -> Self {
        Splitter {
            text,
            lexer: Lexer::starting_at(text, start),
        }
    }

    fn end_of_line(&self, from: usize) -> usize {
        match self.text.as_bytes()[from..]
            .iter()
            .position(|&b| b == b'\n')
        {
            Some(offset) => from + offset + 1,
            None => self.text.len(),
        }
    }

    /// Skips COPY data lines up to and including the `\.` line.
    fn skip_copy_data(&mut self) {
        let mut line_start = self.end_of_line(self.lexer.position());
        while line_start < self.text.len() {
            let line_end = self.end_of_line(line_start);
            let line = self.text[line_start..line_end].trim_end_matches(['\n', '\r']);
            line_start = line_end;
            if line == "\\." {
                break;
            }
        }
        self.lexer.seek(line_start);
    }
}

/// What the splitter tracks inside one statement.
#[derive(Default)]
struct StatementState {
    first: Option<Token>,
    last: Option<Token>,
    paren_depth: usize,
    atomic_depth: usize,
    words_seen: usize,
    first_is_create: bool,
    is_copy: bool,
    is_routine_definition: bool,
    is_copy_from_stdin: bool,
    copy_saw_from: bool,
    previous_word_was_begin: bool,
}

impl StatementState {
    /// Tracks the words that change where the statement can end.
    fn observe_word(&mut self, word: &str) {
        self.words_seen += 1;
        let lower = |expected: &str| word.eq_ignore_ascii_case(expected);
        // CREATE [OR REPLACE] FUNCTION|PROCEDURE: the routine keyword comes early.
        if self.first_is_create && self.words_seen <= 4 && (lower("function") || lower("procedure"))
        {
            self.is_routine_definition = true;
        }
        if self.is_routine_definition {
            // `BEGIN ATOMIC` opens a body; inside it `CASE … END` nests.
            let opens = (self.previous_word_was_begin && lower("atomic"))
                || (self.atomic_depth > 0 && lower("case"));
            if opens {
                self.atomic_depth += 1;
            } else if self.atomic_depth > 0 && lower("end") {
                self.atomic_depth -= 1;
            }
            self.previous_word_was_begin = lower("begin");
        }
        if self.copy_saw_from && lower("stdin") {
            self.is_copy_from_stdin = true;
        }
        self.copy_saw_from = self.is_copy && lower("from");
    }
}

impl Iterator for Splitter<'_> {
    type Item = StatementSpan;

    fn next(&mut self) -> Option<StatementSpan> {
        let extent_start = self.lexer.position();
        let mut state = StatementState::default();
        while let Some(token) = self.lexer.next() {
            match token.kind {
                kind if kind.is_trivia() => continue,
                TokenKind::Backslash => {
                    let line_end = self.end_of_line(token.start);
                    self.lexer.seek(line_end);
                    if state.first.is_some() {
                        // psql runs the buffer at `\g` and friends: the statement ends here.
                        return finish(extent_start, line_end, &state);
                    }
                    continue;
                }
                TokenKind::Semicolon if state.paren_depth == 0 && state.atomic_depth == 0 => {
                    if state.first.is_none() {
                        continue;
                    }
                    if state.is_copy_from_stdin {
                        self.skip_copy_data();
                    }
                    return finish(extent_start, self.lexer.position(), &state);
                }
                TokenKind::LParen => state.paren_depth += 1,
                TokenKind::RParen => state.paren_depth = state.paren_depth.saturating_sub(1),
                TokenKind::Word => {
                    let word = token.text(self.text);
                    if state.first.is_none() {
                        state.first_is_create = word.eq_ignore_ascii_case("create");
                        state.is_copy = word.eq_ignore_ascii_case("copy");
                    }
                    state.observe_word(word);
                }
                _ => {}
            }
            state.first.get_or_insert(token);
            state.last = Some(token);
        }
        finish(extent_start, self.text.len(), &state)
    }
}

/// The span of the statement `state` describes; `None` when it has no token.
fn finish(extent_start: usize, extent_end: usize, state: &StatementState) -> Option<StatementSpan> {
    let (first, last) = (state.first?, state.last?);
    Some(StatementSpan {
        extent: extent_start..extent_end,
        range: first.start..last.end,
    })
}

/// All statements of `text`.
pub fn split(text: &str) -> Vec<StatementSpan> {
    Splitter::new(text).collect()
}

#[cfg(test)]
mod tests;
