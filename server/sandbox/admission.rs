//! What may enter the sandbox, decided from the text alone before anything
//! is sent (DESIGN rule 5). A refusal is a reason in words, which the
//! protocols turn into a rejected verdict.
//!
//! PostgreSQL's own grammar (libpg_query) is the authority: the text must be
//! exactly one statement of an allowed kind, and its full parse tree is
//! searched for data-modifying statements, `SELECT INTO` and function calls.
//! Rewrites must also parse as a query with sqlparser, whose AST the rest of
//! the advisor works on.

use std::collections::BTreeSet;

use pg_query::NodeEnum;
use serde_json::Value;
use sqlparser::ast::Statement;

use crate::sandbox::functions::{is_pure_builtin, outlives_rollback};
use crate::sql::ast::parse_statement;
use crate::sql::grammar::{self, GrammarVerdict, with_libpg_query};
use crate::sql::lexer::{TokenKind, tokenize};
use crate::sql::params::{ParamForm, to_dollar_params, to_dollar_params_like};

/// A statement the sandbox may run.
#[derive(Debug, Clone)]
pub struct Admitted {
    /// The statement in `$n` form, without a trailing semicolon.
    pub text: String,
    pub params: ParamForm,
    pub kind: StatementKind,
    /// sqlparser's AST, when sqlparser can parse it (parameter sampling
    /// uses it; without it parameters get typed defaults).
    pub ast: Option<Statement>,
    /// Every function it calls, as the grammar names them (`pg_catalog.x`).
    pub functions: BTreeSet<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementKind {
    /// SELECT, VALUES, WITH … SELECT, set operations; `ordered` when the
    /// statement's own top level has ORDER BY.
    Query { ordered: bool },
    /// A single INSERT, UPDATE or DELETE.
    Modify,
}

/// The statement to measure: a query or a single INSERT/UPDATE/DELETE.
pub fn admit_measurable(statement: &str) -> Result<Admitted, String> {
    let params = to_dollar_params(statement);
    let tree = parse_one(&params.text)?;
    let kind = tree.kind.ok_or_else(|| {
        "only SELECT, WITH … SELECT and single INSERT, UPDATE or DELETE statements are measured"
            .to_owned()
    })?;
    if let Some(function) = tree.functions.iter().find(|f| outlives_rollback(f)) {
        return Err(format!(
            "the statement calls {function}(), whose effect would outlive the sandbox's rollback"
        ));
    }
    Ok(Admitted {
        ast: parse_statement(&tree.text),
        text: tree.text,
        params,
        kind,
        functions: tree.functions,
    })
}

/// A rewrite of `original`: a single query (never anything that writes),
/// calling no function but the original's and pure built-ins, using only
/// the original's parameters.
pub fn admit_rewrite(original: &Admitted, rewrite: &str) -> Result<Admitted, String> {
    let params = to_dollar_params_like(rewrite, &original.params);
    if params.count > original.params.count {
        return Err(format!(
            "the rewrite uses {} parameters, the original only {}",
            params.count, original.params.count
        ));
    }
    let tree = parse_one(&params.text)?;
    let Some(kind @ StatementKind::Query { .. }) = tree.kind else {
        return Err("a rewrite must be a single SELECT or WITH … SELECT".into());
    };
    let ast = match parse_statement(&tree.text) {
        Some(statement @ Statement::Query(_)) => statement,
        _ => return Err("sqlparser does not read the rewrite as a single query".into()),
    };
    let foreign: Vec<&String> = tree
        .functions
        .iter()
        .filter(|f| {
            outlives_rollback(f) || !(original.functions.contains(*f) || is_pure_builtin(f))
        })
        .collect();
    if !foreign.is_empty() {
        let names: Vec<String> = foreign.iter().map(|f| format!("{f}()")).collect();
        return Err(format!(
            "the rewrite calls {}, which the original does not; \
             a rewrite may add only side-effect-free built-in functions",
            names.join(", ")
        ));
    }
    Ok(Admitted {
        text: tree.text,
        params,
        kind,
        ast: Some(ast),
        functions: tree.functions,
    })
}

/// A candidate index definition, renamed to `name` so its use can be found
/// in plans: exactly one plain `CREATE [UNIQUE] INDEX … ON …` (CONCURRENTLY
/// and IF NOT EXISTS are dropped: neither works or matters in a transaction).
pub fn admit_index(definition: &str, name: &str) -> Result<String, String> {
    let tree = parse_one(definition)?;
    if !tree.is_index {
        return Err("an index candidate must be a single CREATE INDEX statement".into());
    }
    let named = with_index_name(&tree.text, name)
        .ok_or("the index definition does not have the form CREATE [UNIQUE] INDEX … ON …")?;
    let renamed = parse_one(&named)?;
    if renamed.index_name.as_deref() != Some(name) {
        return Err("the index definition could not be given a known name".into());
    }
    Ok(named)
}

/// `CREATE [UNIQUE] INDEX <anything> ON …` with `<anything>` (CONCURRENTLY,
/// IF NOT EXISTS, a name) replaced by `name`. After the grammar accepted the
/// text, the first unquoted ON after INDEX is the keyword (ON is reserved).
fn with_index_name(text: &str, name: &str) -> Option<String> {
    let words: Vec<_> = tokenize(text)
        .into_iter()
        .filter(|token| !token.kind.is_trivia())
        .collect();
    let is_word = |index: usize, word: &str| {
        words.get(index).is_some_and(|token| {
            token.kind == TokenKind::Word && token.text(text).eq_ignore_ascii_case(word)
        })
    };
    if !is_word(0, "create") {
        return None;
    }
    let index_at = if is_word(1, "unique") { 2 } else { 1 };
    if !is_word(index_at, "index") {
        return None;
    }
    let on_at = (index_at + 1..words.len()).find(|&i| is_word(i, "on"))?;
    Some(format!(
        "{} {name} {}",
        &text[..words[index_at].end],
        &text[words[on_at].start..]
    ))
}

/// One statement, as PostgreSQL's grammar sees it.
struct ParsedStatement {
    text: String,
    kind: Option<StatementKind>,
    is_index: bool,
    index_name: Option<String>,
    functions: BTreeSet<String>,
}

fn parse_one(text: &str) -> Result<ParsedStatement, String> {
    let text = without_trailing_semicolons(text);
    if text.trim().is_empty() {
        return Err("the statement is empty".into());
    }
    if tokenize(&text)
        .iter()
        .any(|token| token.kind == TokenKind::Semicolon)
    {
        return Err("the text holds more than one statement".into());
    }
    if let GrammarVerdict::Invalid(error) = grammar::check(&text) {
        return Err(format!(
            "PostgreSQL's grammar rejects it: {}",
            error.message
        ));
    }
    let parsed = with_libpg_query(|| pg_query::parse(&text, 0))
        .map_err(|error| format!("PostgreSQL's grammar rejects it: {error}"))?;
    let [statement] = parsed.protobuf.stmts.as_slice() else {
        return Err("the text must hold exactly one statement".into());
    };
    let top = statement.stmt.as_ref().and_then(|node| node.node.as_ref());
    let tree = serde_json::to_value(&parsed.protobuf)
        .map_err(|error| format!("cannot inspect the parse tree: {error}"))?;
    let contents = inspect(&tree);

    let kind = match top {
        Some(NodeEnum::SelectStmt(select)) if contents.data_modifying == 0 => {
            Some(StatementKind::Query {
                ordered: !select.sort_clause.is_empty(),
            })
        }
        Some(NodeEnum::InsertStmt(_) | NodeEnum::UpdateStmt(_) | NodeEnum::DeleteStmt(_))
            if contents.data_modifying == 1 =>
        {
            Some(StatementKind::Modify)
        }
        _ => None,
    };
    if contents.select_into {
        return Err("SELECT INTO creates a table; it is not measured".into());
    }
    let index_name = match top {
        Some(NodeEnum::IndexStmt(index)) if !index.concurrent => Some(index.idxname.clone()),
        _ => None,
    };
    Ok(ParsedStatement {
        is_index: matches!(top, Some(NodeEnum::IndexStmt(_))),
        index_name,
        text,
        kind,
        functions: contents.functions,
    })
}

/// What a parse tree contains, wherever it sits.
#[derive(Default)]
struct Contents {
    /// INSERT, UPDATE, DELETE and MERGE statements, the top one included.
    data_modifying: usize,
    select_into: bool,
    functions: BTreeSet<String>,
}

/// Searches the whole tree (as JSON, so no node kind can be overlooked) with
/// an explicit stack: parse trees nest as deep as the statement does.
fn inspect(tree: &Value) -> Contents {
    let mut contents = Contents::default();
    let mut pending = vec![tree];
    while let Some(value) = pending.pop() {
        match value {
            Value::Object(fields) => {
                for (key, child) in fields {
                    match key.as_str() {
                        "InsertStmt" | "UpdateStmt" | "DeleteStmt" | "MergeStmt" => {
                            contents.data_modifying += 1;
                        }
                        "into_clause" if !child.is_null() => contents.select_into = true,
                        "FuncCall" => {
                            contents.functions.insert(function_name(child));
                        }
                        _ => {}
                    }
                    pending.push(child);
                }
            }
            Value::Array(items) => pending.extend(items),
            _ => {}
        }
    }
    contents
}

/// `schema.name` of a FuncCall node: its `funcname` list of String nodes.
fn function_name(call: &Value) -> String {
    let parts: Vec<&str> = call
        .get("funcname")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|part| part.pointer("/node/String/sval").and_then(Value::as_str))
        .collect();
    parts.join(".")
}

/// The text without trailing semicolons (and whatever trivia surrounds them).
fn without_trailing_semicolons(text: &str) -> String {
    let mut end = text.len();
    loop {
        let last = tokenize(&text[..end])
            .into_iter()
            .rev()
            .find(|token| !token.kind.is_trivia());
        match last {
            Some(token) if token.kind == TokenKind::Semicolon => end = token.start,
            Some(token) => return text[..token.end].to_owned(),
            None => return String::new(),
        }
    }
}

#[cfg(test)]
mod tests;
