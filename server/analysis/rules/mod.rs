//! Static rules: anti-patterns visible in the SQL itself, no database needed.
//!
//! Each rule lives in its own module and is listed once in [`RULES`]; its
//! `code` is the stable name users configure and CI output reports.
//! README.md (section Rules) describes each one with examples.
//!
//! Rules that need sqlparser's AST do nothing when it is missing (sqlparser
//! rejects some valid PostgreSQL); syntax errors are not theirs to report.
//!
//! Analysis runs on every statement at every keystroke, so the rules share
//! the work:
//! - a token prefilter ([`Candidates::of`], `prefilter.rs`) rules out, before
//!   any parsing, the rules that cannot fire; when none can, the statement
//!   need not be parsed at all (most statements);
//! - the remaining rules look at one walk of the AST (`sql::facts::walk`),
//!   the same walk that extracts the statement's [`QueryFacts`]: each rule
//!   names the events it wants ([`Hooks`]) and reports into one [`Report`],
//!   whose [`locate::Locator`] is only built when a rule places a finding.

use std::cell::OnceCell;
use std::ops::Range;

use sqlparser::ast::{Expr, Statement};

use super::finding::{Finding, Severity};
use crate::sql::facts::walk::{Block, Clause, QueryPosition, Scopes, Visitor, walk_statement};
use crate::sql::facts::{Collector, QueryFacts};
use crate::sql::kind::StatementKind;
use crate::sql::lexer::Token;

mod locate;
mod prefilter;
#[cfg(test)]
mod test_support;

mod implicit_cross_join;
mod leading_wildcard_like;
mod missing_where;
mod non_sargable_predicate;
mod not_in_subquery;
mod null_comparison;
mod offset_pagination;
mod order_by_random;
mod select_star;

use locate::Locator;
use prefilter::Signals;

/// What a rule sees of one statement.
pub struct RuleContext<'a> {
    /// The statement's text (without its `;`); finding ranges are relative to it.
    pub text: &'a str,
    /// Its significant tokens (no whitespace or comments).
    pub tokens: &'a [Token],
    pub kind: &'a StatementKind,
    /// sqlparser's AST, when sqlparser could parse the statement.
    pub ast: Option<&'a Statement>,
}

/// A static rule.
pub struct Rule {
    pub code: &'static str,
    pub default_severity: Severity,
    /// One line for docs and `--help`.
    pub summary: &'static str,
    /// Whether the statement's tokens leave the rule a chance to fire. It
    /// may say yes needlessly, but must never say no to a statement the
    /// rule would flag: it decides whether the rule runs (and whether the
    /// statement is parsed at all).
    might_fire: fn(&Signals) -> bool,
    /// What the rule looks at in the shared walk.
    hooks: Hooks,
}

/// The events of the shared walk one rule looks at: the same as those of
/// [`Visitor`], plus where to report.
struct Hooks {
    block: Option<fn(Block<'_>, QueryPosition, &Scopes, &mut Report<'_>)>,
    clause: Option<fn(&Expr, Clause, &Scopes, &mut Report<'_>)>,
    expr: Option<fn(&Expr, Clause, &Scopes, &mut Report<'_>)>,
}

impl Hooks {
    const NONE: Hooks = Hooks {
        block: None,
        clause: None,
        expr: None,
    };
}

impl Rule {
    /// A finding of this rule at its default severity.
    fn finding(&self, range: Range<usize>, message: String) -> Finding {
        Finding {
            code: self.code,
            severity: self.default_severity,
            range,
            message,
        }
    }
}

/// Every static rule, in documentation order.
pub static RULES: &[Rule] = &[
    select_star::RULE,
    missing_where::RULE,
    not_in_subquery::RULE,
    leading_wildcard_like::RULE,
    order_by_random::RULE,
    offset_pagination::RULE,
    non_sargable_predicate::RULE,
    implicit_cross_join::RULE,
    null_comparison::RULE,
];

/// The rule with this code, if there is one.
pub fn find(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.code == code)
}

/// The rules that may fire on a statement (a set of indexes into [`RULES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidates(u16);

// One bit per rule.
const _: () = assert!(RULES.len() < u16::BITS as usize);

impl Candidates {
    /// Every rule.
    pub const ALL: Candidates = Candidates((1 << RULES.len()) - 1);
    /// No rule.
    pub const NONE: Candidates = Candidates(0);

    /// The rules whose necessary conditions the statement's tokens meet:
    /// the others cannot fire, whatever sqlparser makes of the statement.
    /// For statements PostgreSQL's grammar accepts (the only ones rules
    /// see); `tokens` are `text`'s significant tokens.
    pub fn of(text: &str, tokens: &[Token]) -> Candidates {
        let Some(signals) = Signals::scan(text, tokens) else {
            return Candidates::ALL;
        };
        let mut candidates = Candidates::NONE;
        for (index, rule) in RULES.iter().enumerate() {
            if (rule.might_fire)(&signals) {
                candidates.0 |= 1 << index;
            }
        }
        candidates
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    fn contains(self, index: usize) -> bool {
        self.0 & (1 << index) != 0
    }
}

/// Runs the `candidates` rules on one statement and extracts its facts, in
/// one walk of its AST; without an AST there are neither.
pub fn analyze(
    context: &RuleContext<'_>,
    candidates: Candidates,
) -> (Vec<Finding>, Option<QueryFacts>) {
    let Some(ast) = context.ast else {
        return (Vec::new(), None);
    };
    let rules = RuleWalk {
        candidates,
        report: Report::new(context.text, context.tokens),
    };
    let mut walk = (Collector::default(), rules);
    walk_statement(ast, &mut walk);
    let (facts, rules) = walk;
    (rules.report.finish(), Some(facts.finish()))
}

/// Where rules report, and how they place what they report.
struct Report<'a> {
    text: &'a str,
    tokens: &'a [Token],
    /// Built on first use: most statements have nothing to place.
    locator: OnceCell<Locator<'a>>,
    findings: Vec<Finding>,
}

impl<'a> Report<'a> {
    fn new(text: &'a str, tokens: &'a [Token]) -> Self {
        Report {
            text,
            tokens,
            locator: OnceCell::new(),
            findings: Vec::new(),
        }
    }

    fn locator(&self) -> &Locator<'a> {
        self.locator
            .get_or_init(|| Locator::new(self.text, self.tokens))
    }

    fn push(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    /// The findings grouped by rule in [`RULES`] order, each rule's in the
    /// order of the walk: as if each rule had walked the statement alone.
    fn finish(mut self) -> Vec<Finding> {
        let rank = |finding: &Finding| RULES.iter().position(|rule| rule.code == finding.code);
        // A stable sort, so each rule's findings keep their order.
        self.findings.sort_by_key(rank);
        self.findings
    }
}

/// Runs the candidate rules' hooks on the events of the walk.
struct RuleWalk<'a> {
    candidates: Candidates,
    report: Report<'a>,
}

impl RuleWalk<'_> {
    /// The candidate rules with a hook of this kind.
    fn hooks<H: Copy>(&self, hook: fn(&Hooks) -> Option<H>) -> impl Iterator<Item = H> + use<H> {
        let candidates = self.candidates;
        RULES
            .iter()
            .enumerate()
            .filter(move |(index, _)| candidates.contains(*index))
            .filter_map(move |(_, rule)| hook(&rule.hooks))
    }
}

impl<'ast> Visitor<'ast> for RuleWalk<'_> {
    fn block(&mut self, block: Block<'ast>, position: QueryPosition, scopes: &Scopes) {
        for hook in self.hooks(|hooks| hooks.block) {
            hook(block, position, scopes, &mut self.report);
        }
    }

    fn clause(&mut self, root: &'ast Expr, clause: Clause, scopes: &Scopes) {
        for hook in self.hooks(|hooks| hooks.clause) {
            hook(root, clause, scopes, &mut self.report);
        }
    }

    fn expr(&mut self, expr: &'ast Expr, clause: Clause, scopes: &Scopes) {
        for hook in self.hooks(|hooks| hooks.expr) {
            hook(expr, clause, scopes, &mut self.report);
        }
    }
}
