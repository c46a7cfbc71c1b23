use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::text::LineCol;

fn edit(document: &mut Document, from: usize, to: usize, new: &str) -> EditOutcome {
    let index = document.line_index().clone();
    let position = |offset| index.position(offset, PositionEncoding::Utf8);
    let change = TextChange {
        range: Some((position(from), position(to))),
        text: new.to_string(),
    };
    document.apply_changes(&[change], document.version() + 1, PositionEncoding::Utf8)
}

fn assert_same_as_fresh(document: &Document) {
    let fresh = Document::new(document.text().to_string(), 0);
    let spans = |d: &Document| {
        d.statements()
            .iter()
            .map(|s| s.span.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        spans(document),
        spans(&fresh),
        "text: {:?}",
        document.text()
    );
    for (edited, fresh) in document.statements().iter().zip(fresh.statements()) {
        assert_eq!(edited.analysis.fingerprint, fresh.analysis.fingerprint);
        assert_eq!(edited.analysis.findings, fresh.analysis.findings);
    }
}

const SAMPLE: &str = "SELECT * FROM users WHERE id = 1;\n\
    -- totals\n\
    SELECT count(*) FROM orders;\n\
    UPDATE orders SET paid = true WHERE id = $1;\n";

#[test]
fn a_large_file_is_analysed_as_each_statement_alone() {
    // Enough statements for the threaded path, with syntax errors and rule
    // findings spread over it.
    let text: String = (0..1200)
        .map(|i| match i % 7 {
            0 => format!("SELEC {i};\n"),
            1 => format!("SELECT * FROM t{i} WHERE a = NULL;\n"),
            2 => format!("DELETE FROM t{i};\n"),
            _ => format!("SELECT a, b FROM t{i} WHERE id = {i};\n"),
        })
        .collect();
    assert!(
        text.len() > initial::PARALLEL_BYTES,
        "threaded path not taken"
    );
    let document = Document::new(text.clone(), 1);
    let spans: Vec<_> = document
        .statements()
        .iter()
        .map(|s| s.span.clone())
        .collect();
    assert_eq!(spans, crate::sql::split::split(&text));
    for statement in document.statements() {
        assert_eq!(
            statement.text_hash,
            text_hash(document.statement_text(statement))
        );
        let alone = analyze_statement(document.statement_text(statement));
        assert_eq!(statement.analysis.findings, alone.findings);
        assert_eq!(statement.analysis.syntax_error, alone.syntax_error);
        assert_eq!(statement.analysis.fingerprint, alone.fingerprint);
        assert_eq!(statement.analysis.facts, alone.facts);
    }
    let errors = document
        .statements()
        .iter()
        .filter(|s| s.analysis.syntax_error.is_some())
        .count();
    assert_eq!(errors, 1200_usize.div_ceil(7));
}

#[test]
fn an_edit_reanalyses_only_the_touched_statement() {
    let mut document = Document::new(SAMPLE.to_string(), 1);
    let before: Vec<_> = document
        .statements()
        .iter()
        .map(|s| s.analysis.clone())
        .collect();
    let at = SAMPLE.find("orders;").unwrap();
    let outcome = edit(&mut document, at, at + "orders".len(), "invoices");
    assert_eq!(outcome.analyzed, 1);
    let after = document.statements();
    assert!(Arc::ptr_eq(&before[0], &after[0].analysis));
    assert!(!Arc::ptr_eq(&before[1], &after[1].analysis));
    assert!(Arc::ptr_eq(&before[2], &after[2].analysis));
    assert_eq!(document.version(), 2);
    assert_same_as_fresh(&document);
}

#[test]
fn typing_a_quote_resplits_until_the_text_is_back_in_step() {
    let mut document = Document::new(SAMPLE.to_string(), 1);
    let at = SAMPLE.find("1;").unwrap();
    edit(&mut document, at, at, "'");
    assert_eq!(
        document.statements().len(),
        1,
        "an open quote swallows the rest"
    );
    assert_same_as_fresh(&document);
    edit(&mut document, at, at + 1, "");
    assert_eq!(document.statements().len(), 3);
    assert_same_as_fresh(&document);
}

#[test]
fn whitespace_between_statements_reuses_every_analysis() {
    let mut document = Document::new(SAMPLE.to_string(), 1);
    let at = SAMPLE.find("-- totals").unwrap();
    let outcome = edit(&mut document, at, at, "\n\n");
    assert_eq!(outcome.analyzed, 0);
    assert_same_as_fresh(&document);
}

#[test]
fn statement_at_finds_the_statement_under_the_cursor() {
    let document = Document::new(SAMPLE.to_string(), 1);
    let offset = SAMPLE.find("count").unwrap();
    let statement = document.statement_at(offset).unwrap();
    assert_eq!(
        document.statement_text(statement),
        "SELECT count(*) FROM orders"
    );
    assert!(
        document
            .statement_at(SAMPLE.find("-- totals").unwrap())
            .is_none()
    );
}

#[test]
fn full_replacement_and_out_of_range_edits() {
    let mut document = Document::new(SAMPLE.to_string(), 1);
    document.apply_changes(
        &[TextChange {
            range: None,
            text: "SELECT 1".into(),
        }],
        5,
        PositionEncoding::Utf16,
    );
    assert_eq!(document.statements().len(), 1);
    let far = LineCol { line: 99, col: 99 };
    document.apply_changes(
        &[TextChange {
            range: Some((far, far)),
            text: "; SELECT 2".into(),
        }],
        6,
        PositionEncoding::Utf16,
    );
    assert_eq!(document.text(), "SELECT 1; SELECT 2");
    assert_same_as_fresh(&document);
}

fn sql_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(";".to_string()),
        Just("'".to_string()),
        Just("$$".to_string()),
        Just("$f$".to_string()),
        Just("/*".to_string()),
        Just("*/".to_string()),
        Just("--".to_string()),
        Just("\n".to_string()),
        Just("\\x\n".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("\"".to_string()),
        Just("SELECT * FROM t WHERE a = 1".to_string()),
        Just("COPY t FROM stdin;\n1\n\\.\n".to_string()),
        Just("😀é".to_string()),
        "[a-z ]{0,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_edit_sequences_match_a_fresh_analysis(
        initial in proptest::collection::vec(sql_fragment(), 0..12),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..12, sql_fragment()), 1..8),
    ) {
        let mut document = Document::new(initial.concat(), 0);
        for (at, len, insert) in edits {
            let text = document.text();
            let mut from = at.index(text.len() + 1);
            while !text.is_char_boundary(from) { from -= 1; }
            let mut to = (from + len).min(text.len());
            while !text.is_char_boundary(to) { to -= 1; }
            edit(&mut document, from, to, &insert);
            for statement in document.statements() {
                prop_assert!(statement.span.range.end <= document.text().len());
            }
        }
        assert_same_as_fresh(&document);
    }

    #[test]
    fn arbitrary_text_splits_and_maps_positions_in_bounds(text in "\\PC{0,200}") {
        let document = Document::new(text.clone(), 0);
        for statement in document.statements() {
            prop_assert!(statement.span.range.start <= statement.span.range.end);
            prop_assert!(text.is_char_boundary(statement.span.range.start));
            prop_assert!(text.is_char_boundary(statement.span.range.end));
        }
        let index = document.line_index();
        for encoding in [PositionEncoding::Utf8, PositionEncoding::Utf16] {
            for (offset, _) in text.char_indices() {
                let position = index.position(offset, encoding);
                prop_assert_eq!(index.offset(position, &text, encoding), offset);
            }
        }
    }
}
