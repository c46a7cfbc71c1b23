//! The token prefilter: what a statement's tokens allow its rules to find,
//! read in one pass before anything is parsed.
//!
//! Every finding needs something in the text: `select-star` a `*`,
//! `offset-pagination` the word OFFSET, `missing-where` an UPDATE or DELETE
//! with no WHERE of its own, … Each rule's `might_fire` names the
//! [`Signals`] it needs and says why they are necessary. A signal may be
//! present needlessly (that costs a parse) but never absent when the rule
//! would fire (that would lose a finding), so every signal errs towards
//! being present.
//!
//! The reasoning is about the tokens sqlparser sees. Our lexer follows
//! PostgreSQL's lexical rules, and so does sqlparser's tokenizer for the
//! PostgreSQL dialect on plain ASCII SQL: the same words, strings, comments
//! (nested ones included) and operator characters. Where the two could
//! disagree (non-ASCII text, escape strings `E'…'`, Unicode escapes `U&…`,
//! dollar quotes, bytes neither lexer knows), the scan gives up and every
//! rule runs. It also relies on what PostgreSQL's grammar accepts (reserved
//! words are never names), which holds because rules only see statements
//! the grammar accepted.

use crate::sql::lexer::{Token, TokenKind};

/// What the tokens of one statement show; see each rule's `might_fire`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Signals {
    /// A `*` other than the argument of `count(*)` (right after `(`).
    pub star: bool,
    /// An UPDATE or DELETE (not `DO UPDATE`, `FOR UPDATE`, `THEN DELETE`, …)
    /// with no WHERE after it at its own parenthesis level.
    pub update_or_delete_without_where: bool,
    /// NOT, and IN followed by parentheses that open on a word (`IN (SELECT`).
    pub not_in_subquery: bool,
    /// LIKE or ILIKE.
    pub like: bool,
    /// ORDER, and a name `random`.
    pub order_by_random: bool,
    /// OFFSET.
    pub offset: bool,
    /// Inside a WHERE or a JOIN's ON condition: a name that may be a column
    /// inside a call's parentheses (`f(x`), an arithmetic, concatenation or
    /// cast operator next to such a name or to parentheses holding one
    /// (`x + 1`, `(x)::date`, `-(x`), or AT (TIME ZONE). A computation of
    /// constants alone (`now() - INTERVAL '1 day'`) wraps no column.
    pub computed_condition: bool,
    /// A comma in a FROM list, UPDATE with FROM, or DELETE with USING.
    pub several_from_items: bool,
    /// NULL right next to an operator, parentheses aside (`= NULL`, `(NULL) <>`).
    pub null_next_to_operator: bool,
}

/// Parenthesis levels deeper than this are not tracked: the scan gives up.
const MAX_LEVEL: usize = 63;

/// The words the scan looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Word {
    As,
    At,
    By,
    Delete,
    Do,
    Exists,
    For,
    From,
    Group,
    Ilike,
    In,
    Join,
    Key,
    Like,
    Merge,
    Not,
    Null,
    Offset,
    On,
    Order,
    Random,
    Then,
    Update,
    Using,
    Where,
    /// A word that ends a WHERE, an ON condition and a FROM list at its
    /// level: HAVING, WINDOW, LIMIT, FETCH, UNION, INTERSECT, EXCEPT,
    /// RETURNING (and GROUP BY, ORDER BY and OFFSET, matched above). All
    /// reserved in PostgreSQL, so never names but after `.` or AS.
    ClauseEnd,
    /// TRUE, FALSE and the time functions written without parentheses
    /// (CURRENT_DATE, LOCALTIMESTAMP, …): reserved, so never a column but
    /// after `.`; sqlparser reads them as a value or a call.
    NotAColumn,
}

/// The word `text` is, if the scan looks for it (ASCII, any case).
fn word(text: &str) -> Option<Word> {
    // Lower-cased on the stack: most words are names, looked up once each.
    const LONGEST: usize = "current_timestamp".len();
    let bytes = text.as_bytes();
    if bytes.len() > LONGEST {
        return None;
    }
    let mut lower = [0u8; LONGEST];
    for (lower, byte) in lower.iter_mut().zip(bytes) {
        *lower = byte.to_ascii_lowercase();
    }
    Some(match &lower[..bytes.len()] {
        b"as" => Word::As,
        b"at" => Word::At,
        b"by" => Word::By,
        b"delete" => Word::Delete,
        b"do" => Word::Do,
        b"exists" => Word::Exists,
        b"for" => Word::For,
        b"from" => Word::From,
        b"group" => Word::Group,
        b"ilike" => Word::Ilike,
        b"in" => Word::In,
        b"join" => Word::Join,
        b"key" => Word::Key,
        b"like" => Word::Like,
        b"merge" => Word::Merge,
        b"not" => Word::Not,
        b"null" => Word::Null,
        b"offset" => Word::Offset,
        b"on" => Word::On,
        b"order" => Word::Order,
        b"random" => Word::Random,
        b"then" => Word::Then,
        b"update" => Word::Update,
        b"using" => Word::Using,
        b"where" => Word::Where,
        b"having" | b"window" | b"limit" | b"fetch" | b"union" | b"intersect" | b"except"
        | b"returning" => Word::ClauseEnd,
        b"true" | b"false" | b"current_date" | b"current_time" | b"current_timestamp"
        | b"localtime" | b"localtimestamp" => Word::NotAColumn,
        _ => return None,
    })
}

/// One bit per parenthesis level.
#[derive(Default)]
struct Levels {
    /// Levels inside a WHERE condition.
    where_condition: u64,
    /// Levels inside a JOIN's (or MERGE's) ON condition.
    on_condition: u64,
    /// Levels inside a FROM list.
    from_list: u64,
    /// Levels with an UPDATE or DELETE whose WHERE has not come yet.
    awaiting_where: u64,
}

impl Levels {
    fn in_condition(&self) -> bool {
        self.where_condition | self.on_condition != 0
    }

    fn end_clauses(&mut self, level: u64) {
        self.where_condition &= !level;
        self.on_condition &= !level;
        self.from_list &= !level;
    }
}

/// Words seen anywhere in the statement.
#[derive(Default)]
struct Seen {
    not: bool,
    /// `IN (` and a word.
    in_subquery: bool,
    order: bool,
    random: bool,
    join_or_merge: bool,
    /// A statement's UPDATE or DELETE (not a clause's).
    update: bool,
    delete: bool,
    from: bool,
    using: bool,
}

impl Signals {
    /// Reads `tokens` (the significant tokens of `text`); `None` when the
    /// statement is lexically unusual enough that every rule should run.
    pub fn scan(text: &str, tokens: &[Token]) -> Option<Signals> {
        if !text.is_ascii() {
            return None;
        }
        let mut signals = Signals::default();
        let mut levels = Levels::default();
        let mut seen = Seen::default();
        let mut depth = 0usize;
        let word_at = |index: usize| {
            tokens
                .get(index)
                .filter(|token| token.kind == TokenKind::Word)
                .and_then(|token| word(token.text(text)))
        };
        // What the last token was as a word the scan looks for, if it was one.
        let mut last_word = None;
        let mut computation = Computation::default();
        for (index, token) in tokens.iter().enumerate() {
            let level = 1u64 << depth;
            let previous = index.checked_sub(1).map(|index| &tokens[index]);
            let this_word = match token.kind {
                TokenKind::Word => word(token.text(text)),
                _ => None,
            };
            let previous_word = std::mem::replace(&mut last_word, this_word);
            if may_be_column(text, tokens, index, this_word) && computation.column(depth) {
                signals.computed_condition = true;
            }
            match token.kind {
                TokenKind::LParen => {
                    // `name(`: a call, unless the name is IN or EXISTS.
                    let after_name = previous.is_some_and(|previous| match previous.kind {
                        TokenKind::QuotedIdent => true,
                        TokenKind::Word => !matches!(previous_word, Some(Word::In | Word::Exists)),
                        _ => false,
                    });
                    let operand = previous.is_some_and(|previous| is_computing(previous, text));
                    depth += 1;
                    if depth > MAX_LEVEL {
                        return None;
                    }
                    computation.open(depth, (after_name || operand) && levels.in_condition());
                }
                TokenKind::RParen => {
                    // The level ends, and with it whatever was open in it.
                    if depth == 0 {
                        return None;
                    }
                    levels.end_clauses(level);
                    if levels.awaiting_where & level != 0 {
                        signals.update_or_delete_without_where = true;
                        levels.awaiting_where &= !level;
                    }
                    depth -= 1;
                    computation.close(depth);
                }
                TokenKind::Comma if levels.from_list & level != 0 => {
                    signals.several_from_items = true;
                }
                TokenKind::Operator => {
                    let operator = token.text(text);
                    if operator.contains('*')
                        && previous.is_none_or(|previous| previous.kind != TokenKind::LParen)
                    {
                        signals.star = true;
                    }
                    if is_computing(token, text)
                        && levels.in_condition()
                        && computation.operand_may_hold_column(text, tokens, index)
                    {
                        signals.computed_condition = true;
                    }
                }
                TokenKind::QuotedIdent => {
                    let quoted = token.text(text);
                    if quoted.starts_with(['u', 'U']) {
                        return None;
                    }
                    if quoted.trim_matches('"').eq_ignore_ascii_case("random") {
                        seen.random = true;
                    }
                }
                TokenKind::String if token.text(text).starts_with(['e', 'E', 'u', 'U', '$']) => {
                    return None;
                }
                TokenKind::Backslash | TokenKind::Unknown => return None,
                TokenKind::Word => {
                    let Some(word) = this_word else {
                        continue;
                    };
                    // After `.` or AS any keyword is a name (`t.limit`,
                    // `RETURNING a AS where`), and JOIN is the one word
                    // ending a clause that may also name a function
                    // (`join(…)`): as keywords, they would end clauses
                    // they are part of.
                    let is_name = previous.is_some_and(|previous| previous.kind == TokenKind::Dot)
                        || previous_word == Some(Word::As)
                        || (word == Word::Join
                            && tokens
                                .get(index + 1)
                                .is_some_and(|next| next.kind == TokenKind::LParen));
                    if is_name {
                        if word == Word::Random {
                            seen.random = true;
                        }
                        continue;
                    }
                    let followed_by_by = || word_at(index + 1) == Some(Word::By);
                    match word {
                        Word::Where => {
                            levels.end_clauses(level);
                            levels.where_condition |= level;
                            levels.awaiting_where &= !level;
                        }
                        Word::On => {
                            if seen.join_or_merge {
                                levels.on_condition |= level;
                            }
                        }
                        Word::Join => {
                            levels.on_condition &= !level;
                            seen.join_or_merge = true;
                        }
                        Word::Merge => seen.join_or_merge = true,
                        Word::From => {
                            levels.from_list |= level;
                            seen.from = true;
                        }
                        Word::Using => seen.using = true,
                        Word::Update | Word::Delete => {
                            // ON CONFLICT … DO UPDATE, FOR [NO KEY] UPDATE
                            // and MERGE's THEN UPDATE / THEN DELETE are not
                            // statements of their own.
                            let clause = matches!(
                                previous_word,
                                Some(Word::Do | Word::For | Word::Key | Word::Then)
                            );
                            if !clause {
                                if levels.awaiting_where & level != 0 {
                                    signals.update_or_delete_without_where = true;
                                }
                                levels.awaiting_where |= level;
                                if word == Word::Update {
                                    seen.update = true;
                                } else {
                                    seen.delete = true;
                                }
                            }
                        }
                        Word::Order => {
                            seen.order = true;
                            if followed_by_by() {
                                levels.end_clauses(level);
                            }
                        }
                        Word::Offset => {
                            signals.offset = true;
                            levels.end_clauses(level);
                        }
                        // Not WITHIN GROUP (…), which is inside an expression.
                        Word::Group if followed_by_by() => levels.end_clauses(level),
                        Word::ClauseEnd => levels.end_clauses(level),
                        Word::Not => seen.not = true,
                        Word::In => {
                            // `IN (SELECT …`, `IN ((WITH …`: a subquery starts
                            // with a word; a list of constants does not.
                            let mut next = index + 1;
                            while tokens
                                .get(next)
                                .is_some_and(|t| t.kind == TokenKind::LParen)
                            {
                                next += 1;
                            }
                            if next > index + 1
                                && tokens.get(next).is_some_and(|t| t.kind == TokenKind::Word)
                            {
                                seen.in_subquery = true;
                            }
                        }
                        Word::Like | Word::Ilike => signals.like = true,
                        Word::Random => seen.random = true,
                        Word::Null => {
                            if next_to_operator(tokens, index) {
                                signals.null_next_to_operator = true;
                            }
                        }
                        Word::At => {
                            if levels.in_condition() {
                                signals.computed_condition = true;
                            }
                        }
                        Word::As
                        | Word::NotAColumn
                        | Word::Group
                        | Word::By
                        | Word::Do
                        | Word::Exists
                        | Word::For
                        | Word::Key
                        | Word::Then => {}
                    }
                }
                _ => {}
            }
        }
        if levels.awaiting_where != 0 {
            signals.update_or_delete_without_where = true;
        }
        // UPDATE's target and its FROM items, DELETE's and its USING items.
        signals.several_from_items |= (seen.update && seen.from) || (seen.delete && seen.using);
        signals.not_in_subquery = seen.not && seen.in_subquery;
        signals.order_by_random = seen.order && seen.random;
        Some(signals)
    }
}

/// Calls and operands being followed through parentheses, for
/// `computed_condition`: one bit per parenthesis level, as in [`Levels`].
#[derive(Default)]
struct Computation {
    /// Levels that are a call's arguments or an operator's operand,
    /// opened inside a condition.
    computing: u64,
    /// Levels where a name that may be a column was seen (in them or in
    /// parentheses inside them).
    with_column: u64,
    /// Whether the parentheses closed last held such a name.
    closed_with_column: bool,
}

impl Computation {
    /// Parentheses open; their contents are at `depth`.
    fn open(&mut self, depth: usize, computing: bool) {
        let level = 1u64 << depth;
        self.with_column &= !level;
        if computing {
            self.computing |= level;
        } else {
            self.computing &= !level;
        }
    }

    /// Parentheses close, back to `depth`.
    fn close(&mut self, depth: usize) {
        let inner = 1u64 << (depth + 1);
        self.closed_with_column = self.with_column & inner != 0;
        self.with_column &= !inner;
        self.computing &= !inner;
        if self.closed_with_column {
            self.with_column |= 1 << depth;
        }
    }

    /// A name that may be a column at `depth`: whether it is inside a
    /// computation.
    fn column(&mut self, depth: usize) -> bool {
        self.with_column |= 1 << depth;
        let this_and_outer = u64::MAX >> (u64::BITS as usize - 1 - depth);
        self.computing & this_and_outer != 0
    }

    /// Whether the operator at `index` may have a column as its left
    /// operand or (but for a cast's type) its right one.
    fn operand_may_hold_column(&self, text: &str, tokens: &[Token], index: usize) -> bool {
        let left = index
            .checked_sub(1)
            .is_some_and(|before| match tokens[before].kind {
                TokenKind::RParen => self.closed_with_column,
                TokenKind::Word | TokenKind::QuotedIdent => {
                    may_be_column(text, tokens, before, word(tokens[before].text(text)))
                }
                kind => !ends_operand(kind),
            });
        let is_cast = tokens[index].text(text) == "::";
        // A parenthesised right operand is followed as a computation (see
        // the `(` case); a unary operator there is checked on its own.
        let right = !is_cast
            && tokens.get(index + 1).is_some_and(|next| match next.kind {
                TokenKind::Word | TokenKind::QuotedIdent => {
                    may_be_column(text, tokens, index + 1, word(next.text(text)))
                }
                TokenKind::LParen | TokenKind::Operator => false,
                kind => !ends_operand(kind),
            });
        left || right
    }
}

/// Tokens on an operator's side that are no column: constants and what
/// leaves that side empty (a unary operator's left).
fn ends_operand(kind: TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::Number
            | TokenKind::String
            | TokenKind::Param
            | TokenKind::LParen
            | TokenKind::RParen
            | TokenKind::Comma
            | TokenKind::Semicolon
            | TokenKind::Operator
    )
}

/// An arithmetic, concatenation or cast operator (or one that may be, such
/// as `->>`: erring towards computation).
fn is_computing(token: &Token, text: &str) -> bool {
    token.kind == TokenKind::Operator
        && token
            .text(text)
            .contains(['+', '-', '*', '/', '%', '|', ':'])
}

/// Whether the token at `index` (the word `as_word` when it is one the scan
/// looks for) may name a column, as sqlparser reads it: any name but a
/// function's (`f(`), a typed literal's type (`DATE '…'`, `INTERVAL '…'`),
/// a cast's type (`::date`) and the reserved words that are constants or
/// time functions. After `.` anything is a name.
fn may_be_column(text: &str, tokens: &[Token], index: usize, as_word: Option<Word>) -> bool {
    let token = &tokens[index];
    if !matches!(token.kind, TokenKind::Word | TokenKind::QuotedIdent) {
        return false;
    }
    let previous = index.checked_sub(1).map(|before| &tokens[before]);
    if previous.is_some_and(|previous| previous.kind == TokenKind::Dot) {
        return true;
    }
    let next = tokens.get(index + 1).map(|next| next.kind);
    if matches!(next, Some(TokenKind::LParen | TokenKind::String)) {
        return false;
    }
    if previous.is_some_and(|previous| previous.text(text) == "::") {
        return false;
    }
    token.kind == TokenKind::QuotedIdent || !matches!(as_word, Some(Word::Null | Word::NotAColumn))
}

/// Whether the token at `index` has an operator right before or after it,
/// looking through the parentheses around it.
fn next_to_operator(tokens: &[Token], index: usize) -> bool {
    let before = tokens[..index]
        .iter()
        .rev()
        .find(|token| token.kind != TokenKind::LParen);
    let after = tokens[index + 1..]
        .iter()
        .find(|token| token.kind != TokenKind::RParen);
    [before, after]
        .into_iter()
        .flatten()
        .any(|token| token.kind == TokenKind::Operator)
}

#[cfg(test)]
mod tests;
