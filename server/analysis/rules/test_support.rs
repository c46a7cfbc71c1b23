//! Rule tests run the whole statement pipeline and look at what one rule found.
//!
//! Every statement they look at is also checked against the prefilter:
//! the pipeline (which skips rules, and parsing, on the prefilter's word)
//! must find exactly what running every rule finds.

use super::{Candidates, RULES, RuleContext, analyze};
use crate::analysis::finding::Finding;
use crate::analysis::statement::{MAX_TOKENS_FOR_AST, analyze_statement};
use crate::sql::ast::parse_statement;
use crate::sql::facts::extract;
use crate::sql::kind::StatementKind;
use crate::sql::lexer::{Lexer, Token};

/// Asserts that the prefilter changes nothing on `sql`: the findings of
/// `analyze_statement` are those of every rule run on the parsed
/// statement, no rule that fires was ruled out, and the facts, when
/// computed, are `extract`'s.
pub fn assert_prefilter_sound(sql: &str) {
    let analysis = analyze_statement(sql);
    if analysis.syntax_error.is_some() {
        // Rules never see such statements.
        return;
    }
    let tokens: Vec<Token> = Lexer::new(sql).filter(|t| !t.kind.is_trivia()).collect();
    let kind = StatementKind::of(sql);
    let ast = if kind.is_dml() && tokens.len() <= MAX_TOKENS_FOR_AST {
        parse_statement(sql)
    } else {
        None
    };
    let context = RuleContext {
        text: sql,
        tokens: &tokens,
        kind: &kind,
        ast: ast.as_ref(),
    };
    let (all_findings, facts) = analyze(&context, Candidates::ALL);
    let candidates = Candidates::of(sql, &tokens);
    for finding in &all_findings {
        let index = RULES.iter().position(|rule| rule.code == finding.code);
        assert!(
            index.is_some_and(|index| candidates.contains(index)),
            "the prefilter rules out {}, which flags {:?} in:\n{sql}",
            finding.code,
            &sql[finding.range.clone()],
        );
    }
    assert_eq!(
        analysis.findings, all_findings,
        "findings differ on:\n{sql}"
    );
    if let Some(ast) = &ast {
        assert_eq!(
            facts.as_ref(),
            Some(&extract(ast)),
            "facts differ on:\n{sql}"
        );
    }
    if analysis.facts.is_some() {
        assert_eq!(analysis.facts, facts, "facts differ on:\n{sql}");
    }
}

/// The findings of rule `code` on `sql`, as (flagged text, finding).
pub fn findings(sql: &str, code: &str) -> Vec<(String, Finding)> {
    assert_prefilter_sound(sql);
    analyze_statement(sql)
        .findings
        .into_iter()
        .filter(|finding| finding.code == code)
        .map(|finding| (sql[finding.range.clone()].to_owned(), finding))
        .collect()
}

/// The texts rule `code` flags in `sql`.
pub fn flagged(sql: &str, code: &str) -> Vec<String> {
    findings(sql, code)
        .into_iter()
        .map(|(text, _)| text)
        .collect()
}

/// Asserts that rule `code` flags nothing in `sql`.
pub fn assert_clean(sql: &str, code: &str) {
    let found = flagged(sql, code);
    assert!(found.is_empty(), "{code} flagged {found:?} in {sql}");
}

#[test]
fn long_chains_do_not_exhaust_the_stack() {
    // sqlparser builds these without recursion, so they can be deeper than
    // any recursive walk could follow on a small thread stack.
    let conditions = vec!["lower(a) = NULL"; 2000].join(" AND ");
    let sql = format!("SELECT * FROM t, u WHERE {conditions} OFFSET 5000");
    let analysis = analyze_statement(&sql);
    assert!(
        analysis.findings.len() > 2000,
        "{}",
        analysis.findings.len()
    );
    let sum = vec!["a"; 2000].join(" + ");
    let analysis = analyze_statement(&format!("SELECT 1 FROM t WHERE {sum} = 1"));
    assert!(analysis.syntax_error.is_none());
    let unions = vec!["SELECT * FROM t"; 500].join(" UNION ");
    let analysis = analyze_statement(&unions);
    assert_eq!(analysis.findings.len(), 500);
}

/// README.md's Rules section: every rule has a section whose bad examples it flags,
/// whose good examples it does not, and a table row with its severity.
#[test]
fn documented_examples_hold() {
    let docs = include_str!("../../../README.md");
    for rule in super::RULES {
        let row = format!(
            "`{}`](#{}) | {} |",
            rule.code,
            rule.code,
            rule.default_severity.as_str()
        );
        assert!(docs.contains(&row), "README.md has no table row {row}");
        let heading = format!("\n### {}\n", rule.code);
        let section = docs
            .split_once(&heading)
            .unwrap_or_else(|| panic!("README.md has no section for {}", rule.code))
            .1;
        // The section ends at the next rule's heading or the next chapter.
        let section = section.split("\n### ").next().unwrap_or_default();
        let section = section.split("\n## ").next().unwrap_or_default();
        let (bad, good) = examples(section);
        assert!(
            !bad.is_empty() && !good.is_empty(),
            "{}: no examples",
            rule.code
        );
        for sql in bad {
            assert!(
                !flagged(&sql, rule.code).is_empty(),
                "{} does not flag {sql}",
                rule.code
            );
        }
        for sql in good {
            assert_prefilter_sound(&sql);
            let analysis = analyze_statement(&sql);
            assert!(
                analysis.findings.is_empty(),
                "{sql}: {:?}",
                analysis.findings
            );
        }
    }
}

/// The statements after `-- bad` and after `-- good…` in a section's SQL blocks.
fn examples(section: &str) -> (Vec<String>, Vec<String>) {
    let (mut bad, mut good) = (Vec::new(), Vec::new());
    for block in section.split("```sql\n").skip(1) {
        let block = block.split("```").next().unwrap_or_default();
        let mut is_good = false;
        for part in block
            .split_inclusive('\n')
            .collect::<String>()
            .split("\n-- ")
        {
            let part = part.trim_start_matches("-- ");
            is_good = if part.starts_with("good") {
                true
            } else if part.starts_with("bad") {
                false
            } else {
                is_good
            };
            let body = part.split_once('\n').map_or("", |(_, body)| body);
            for span in crate::sql::split::split(body) {
                let sql = body[span.range].to_owned();
                if is_good {
                    good.push(sql)
                } else {
                    bad.push(sql)
                }
            }
        }
    }
    (bad, good)
}
