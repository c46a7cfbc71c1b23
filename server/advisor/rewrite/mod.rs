//! Rule-based rewrites for what the static rules flag, where a safe rewrite
//! exists.
//!
//! A rewrite splices text into the statement instead of printing a new AST,
//! so comments, layout and parameters survive as written. sqlparser only
//! reads `$n` parameters, so `?`, `:name`, `%s` and `%(name)s` are mapped to
//! `$n` first (`sql::params`) and back afterwards; a rewrite must use the
//! original's parameters exactly (same ones, same count, and for positional
//! styles the same order), or it is dropped.
//!
//! - [`rewrite_candidates`]: equivalent rewrites, to be proven in the sandbox
//!   (faster, same results): `NOT IN (subquery)` → `NOT EXISTS`, and
//!   `(SELECT count(*) …) > 0` → `EXISTS`.
//! - [`keyset_pagination`]: OFFSET → keyset pagination, which changes the
//!   statement's parameters and so can only be advice ([`KeysetSuggestion`]).

mod condition;
mod count_exists;
mod edits;
mod keyset;
mod new_params;
mod not_in;
mod select;
mod source;

#[cfg(test)]
mod tests;

pub use self::keyset::{KEYSET_SOURCE, KeysetSuggestion, keyset_pagination};

use sqlparser::ast::Statement;

use self::edits::Splice;
use self::source::Source;
use super::model::RewriteCandidate;
use crate::sql::ast::parse_statement;
use crate::sql::params::{ParamForm, PlaceholderKey, find_params, restore_style, to_dollar_params};

/// One equivalent rewrite.
struct Rewrite {
    /// The static rule that flags what it rewrites, or its own name.
    source: &'static str,
    summary: &'static str,
    splice: fn(&Source<'_>, &Statement) -> Splice,
}

const REWRITES: &[Rewrite] = &[
    Rewrite {
        source: "not-in-subquery",
        summary: "NOT IN → NOT EXISTS",
        splice: not_in::splice,
    },
    Rewrite {
        source: "count-exists",
        summary: "count(*) > 0 → EXISTS",
        splice: count_exists::splice,
    },
];

/// The equivalent rewrites of one statement, each applied at every place it
/// fits. Empty when sqlparser cannot read the statement or nothing fits.
pub fn rewrite_candidates(statement_text: &str) -> Vec<RewriteCandidate> {
    let form = to_dollar_params(statement_text);
    let Some(statement) = parse_statement(&form.text) else {
        return Vec::new();
    };
    let source = Source::new(&form.text);
    REWRITES
        .iter()
        .filter_map(|rewrite| {
            let splice = (rewrite.splice)(&source, &statement);
            if splice.is_empty() {
                return None;
            }
            let text = finish(&splice.apply(&form.text)?, &form)?;
            Some(RewriteCandidate {
                source: rewrite.source.to_owned(),
                summary: rewrite.summary.to_owned(),
                text,
            })
        })
        .collect()
}

/// The rewritten `$n` text in the original's style, if it is still one
/// statement sqlparser reads and uses exactly the original's parameters, as
/// often as the original (`restore_style` checks the order where it counts).
fn finish(rewritten: &str, form: &ParamForm) -> Option<String> {
    parse_statement(rewritten)?;
    if parameter_numbers(rewritten) != parameter_numbers(&form.text) {
        return None;
    }
    restore_style(rewritten, form).ok()
}

/// The `$n` of a text, sorted.
fn parameter_numbers(text: &str) -> Vec<usize> {
    let mut numbers: Vec<usize> = find_params(text)
        .into_iter()
        .filter_map(|placeholder| match placeholder.key {
            PlaceholderKey::Number(number) => Some(number),
            _ => None,
        })
        .collect();
    numbers.sort_unstable();
    numbers
}
