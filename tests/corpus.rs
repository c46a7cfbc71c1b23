//! PostgreSQL's own regression SQL: no syntax error may be reported on the
//! statements PostgreSQL accepts, and the ones it rejects are all caught.

use std::path::PathBuf;

use optischema::analysis::statement::SYNTAX_ERROR;
use optischema::document::Document;

fn corpus_dir() -> PathBuf {
    let candidates = [
        std::env::var_os("OPTISCHEMA_CORPUS_DIR").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")),
        Some(PathBuf::from("/work/shared/corpus")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|dir| dir.join("pg-regress-valid.sql").is_file())
        .expect("the PostgreSQL regression corpus (pg-regress-valid.sql) was not found; set OPTISCHEMA_CORPUS_DIR")
}

fn load(name: &str) -> Document {
    let text = std::fs::read_to_string(corpus_dir().join(name)).expect("corpus file readable");
    Document::new(text, 0)
}

#[test]
fn no_syntax_error_on_sql_postgres_accepts() {
    let document = load("pg-regress-valid.sql");
    assert_eq!(
        document.statements().len(),
        5000,
        "the splitter must find every statement"
    );
    let false_errors: Vec<String> = document
        .statements()
        .iter()
        .filter(|s| s.analysis.findings.iter().any(|f| f.code == SYNTAX_ERROR))
        .map(|s| document.statement_text(s).chars().take(120).collect())
        .collect();
    assert!(
        false_errors.is_empty(),
        "{} false syntax errors, e.g. {:?}",
        false_errors.len(),
        &false_errors[..false_errors.len().min(5)]
    );
}

#[test]
fn statements_postgres_rejects_are_reported() {
    let document = load("pg-regress-invalid.sql");
    let missed: Vec<String> = document
        .statements()
        .iter()
        .filter(|s| !s.analysis.findings.iter().any(|f| f.code == SYNTAX_ERROR))
        .map(|s| document.statement_text(s).chars().take(120).collect())
        .collect();
    assert!(!document.statements().is_empty());
    assert!(
        missed.is_empty(),
        "{} invalid statements not reported, e.g. {:?}",
        missed.len(),
        &missed[..missed.len().min(5)]
    );
}
