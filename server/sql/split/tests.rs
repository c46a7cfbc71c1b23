use super::*;

fn statements(text: &str) -> Vec<&str> {
    split(text).into_iter().map(|s| &text[s.range]).collect()
}

#[test]
fn semicolons_inside_quotes_and_comments_do_not_split() {
    let text = "SELECT 'a;b', 'it''s;', E'x\\';y' FROM t; -- c;\nSELECT \"q;\" /* d; /* e; */ f; */ FROM u;";
    assert_eq!(
        statements(text),
        vec![
            "SELECT 'a;b', 'it''s;', E'x\\';y' FROM t",
            "SELECT \"q;\" /* d; /* e; */ f; */ FROM u"
        ]
    );
}

#[test]
fn dollar_quoted_bodies_do_not_split() {
    let text = "CREATE FUNCTION f() RETURNS int AS $fn$ BEGIN RETURN 1; END; $fn$ LANGUAGE plpgsql;\nSELECT $$a;b$$;";
    assert_eq!(statements(text).len(), 2);
    assert!(statements(text)[0].ends_with("LANGUAGE plpgsql"));
}

#[test]
fn begin_atomic_bodies_do_not_split() {
    let text = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END;\nSELECT 2;";
    assert_eq!(
        statements(text),
        vec![
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END",
            "SELECT 2"
        ]
    );
}

#[test]
fn psql_meta_commands_are_skipped() {
    let text = "\\set ON_ERROR_STOP on\n\\c mydb\nSELECT 1;\n\\x\nSELECT 2 \\gx\nSELECT 3;";
    assert_eq!(statements(text), vec!["SELECT 1", "SELECT 2", "SELECT 3"]);
}

#[test]
fn copy_from_stdin_data_is_skipped() {
    let text = "COPY t (a, b) FROM stdin;\n1\tx;y\n2\t'z\n\\.\nSELECT 1;";
    assert_eq!(
        statements(text),
        vec!["COPY t (a, b) FROM stdin", "SELECT 1"]
    );
}

#[test]
fn last_statement_without_semicolon_counts() {
    assert_eq!(
        statements("SELECT 1;\nSELECT 2\n"),
        vec!["SELECT 1", "SELECT 2"]
    );
    assert!(statements("  -- only a comment\n;;").is_empty());
}

#[test]
fn parentheses_keep_semicolons_inside() {
    assert_eq!(
        statements("SELECT (1;2); SELECT 3"),
        vec!["SELECT (1;2)", "SELECT 3"]
    );
}

#[test]
fn extents_tile_the_text() {
    let text = "  SELECT 1; /* x */ SELECT 2;\n\\x\nSELECT 3";
    let spans = split(text);
    assert_eq!(spans[0].extent.start, 0);
    for pair in spans.windows(2) {
        assert_eq!(pair[0].extent.end, pair[1].extent.start);
    }
    assert_eq!(spans.last().map(|s| s.extent.end), Some(text.len()));
}

#[test]
fn resuming_at_an_extent_end_gives_the_same_statements() {
    let text = "SELECT 1; SELECT 'a;b'; COPY t FROM stdin;\nx\n\\.\nSELECT 3;";
    let spans = split(text);
    for (index, span) in spans.iter().enumerate() {
        let resumed: Vec<_> = Splitter::starting_at(text, span.extent.start).collect();
        assert_eq!(resumed, spans[index..]);
    }
}
