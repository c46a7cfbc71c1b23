//! The libpq key/value form: `host=db port=5432 password='it''s \' quoted'`.
//!
//! Follows libpq's `conninfo_parse`: whitespace separates pairs, spaces are
//! allowed around `=`, a value is either bare (ends at whitespace) or
//! single-quoted, and a backslash escapes the next character in both.

use super::ParseError;
use super::params::RawParams;

pub(crate) fn parse(input: &str) -> Result<RawParams, ParseError> {
    let mut params = RawParams::default();
    let mut chars = input.char_indices().peekable();
    loop {
        skip_whitespace(&mut chars);
        let Some(&(keyword_start, _)) = chars.peek() else {
            return Ok(params);
        };
        let mut keyword = String::new();
        while let Some(&(_, c)) = chars.peek() {
            if c.is_whitespace() || c == '=' {
                break;
            }
            keyword.push(c);
            chars.next();
        }
        skip_whitespace(&mut chars);
        if chars.next_if(|&(_, c)| c == '=').is_none() {
            // Do not echo the word: it may be the tail of an unquoted password
            // that contained a space.
            return Err(ParseError::MissingEquals {
                position: input[..keyword_start].chars().count() + 1,
            });
        }
        skip_whitespace(&mut chars);
        let value = if chars.next_if(|&(_, c)| c == '\'').is_some() {
            quoted_value(&mut chars).ok_or_else(|| ParseError::UnterminatedQuote {
                keyword: super::printable_keyword(&keyword),
            })?
        } else {
            bare_value(&mut chars)
        };
        params.set(&keyword, value)?;
    }
}

type Chars<'a> = std::iter::Peekable<std::str::CharIndices<'a>>;

fn skip_whitespace(chars: &mut Chars<'_>) {
    while chars.next_if(|&(_, c)| c.is_whitespace()).is_some() {}
}

/// Reads up to the closing quote; `None` when the input ends first.
fn quoted_value(chars: &mut Chars<'_>) -> Option<String> {
    let mut value = String::new();
    loop {
        match chars.next()?.1 {
            '\'' => return Some(value),
            '\\' => value.push(chars.next()?.1),
            c => value.push(c),
        }
    }
}

fn bare_value(chars: &mut Chars<'_>) -> String {
    let mut value = String::new();
    while let Some((_, c)) = chars.next_if(|&(_, c)| !c.is_whitespace()) {
        if c == '\\' {
            // A trailing backslash escapes nothing; libpq drops it too.
            if let Some((_, escaped)) = chars.next() {
                value.push(escaped);
            }
        } else {
            value.push(c);
        }
    }
    value
}
