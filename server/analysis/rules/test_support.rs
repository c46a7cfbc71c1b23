//! Rule tests run the whole statement pipeline and look at what one rule found.

use crate::analysis::finding::Finding;
use crate::analysis::statement::analyze_statement;

/// The findings of rule `code` on `sql`, as (flagged text, finding).
pub fn findings(sql: &str, code: &str) -> Vec<(String, Finding)> {
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

/// docs/rules.md: every rule has a section whose bad examples it flags,
/// whose good examples it does not, and a table row with its severity.
#[test]
fn documented_examples_hold() {
    let docs = include_str!("../../../docs/rules.md");
    for rule in super::RULES {
        let row = format!(
            "`{}`](#{}) | {} |",
            rule.code,
            rule.code,
            rule.default_severity.as_str()
        );
        assert!(docs.contains(&row), "docs/rules.md has no table row {row}");
        let heading = format!("\n## {}\n", rule.code);
        let section = docs
            .split_once(&heading)
            .unwrap_or_else(|| panic!("docs/rules.md has no section for {}", rule.code))
            .1;
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
