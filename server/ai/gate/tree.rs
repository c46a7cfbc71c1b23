//! One statement as PostgreSQL's own grammar reads it, and everything the
//! gate needs to know about its parse tree.
//!
//! The text must be a single statement by three independent readings: the
//! psql-style splitter, the raw grammar (`sql::grammar`) and libpg_query's
//! full parse. The full tree is then searched as JSON — so that no node
//! kind can be overlooked, however it nests — with an explicit stack.

use std::collections::BTreeSet;

use pg_query::{NodeEnum, protobuf};
use serde_json::Value;

use crate::sql::grammar::{self, GrammarVerdict, with_libpg_query};
use crate::sql::lexer::{TokenKind, tokenize};
use crate::sql::split::split;

/// Parentheses may nest this deep (PostgreSQL's parse trees recurse; a
/// hostile answer must not exhaust a stack on the way).
const MAX_PAREN_DEPTH: usize = 64;
/// Significant tokens per statement, for the same reason.
const MAX_TOKENS: usize = 8_000;

/// A relation a statement names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Relation {
    /// Empty when unqualified.
    pub schema: String,
    pub name: String,
}

impl Relation {
    /// Whether `self` and `other` can name the same table: equal names,
    /// and equal schemas where both are written.
    pub fn may_be(&self, other: &Relation) -> bool {
        self.name == other.name
            && (self.schema.is_empty() || other.schema.is_empty() || self.schema == other.schema)
    }

    pub fn qualified(&self) -> String {
        if self.schema.is_empty() {
            self.name.clone()
        } else {
            format!("{}.{}", self.schema, self.name)
        }
    }
}

/// What a parse tree contains, wherever it sits.
#[derive(Debug, Default)]
pub struct Contents {
    /// Every function called, as written (`pg_catalog.lower`, `lower`).
    pub functions: BTreeSet<String>,
    /// Every operator used (`=`, `~~`, `pg_catalog.+`, `BETWEEN`).
    pub operators: BTreeSet<String>,
    /// Relations read, CTE references excluded (scope by scope).
    pub relations: BTreeSet<Relation>,
    /// INSERT, UPDATE, DELETE or MERGE anywhere (data-modifying CTEs).
    pub modifies_data: bool,
    pub select_into: bool,
    /// `FOR UPDATE` / `FOR SHARE` and friends.
    pub locks_rows: bool,
    pub samples_tables: bool,
    pub has_subquery: bool,
}

/// One statement, parsed.
pub struct Parsed {
    /// The statement text without trailing semicolons.
    pub text: String,
    pub is_utility: bool,
    /// libpg_query's tree: exactly one statement.
    pub tree: protobuf::ParseResult,
    pub contents: Contents,
    /// `$n` numbers used.
    pub params: BTreeSet<u32>,
}

impl Parsed {
    /// The statement's node.
    pub fn top(&self) -> Option<&NodeEnum> {
        self.tree.stmts.first()?.stmt.as_ref()?.node.as_ref()
    }
}

/// PostgreSQL's text for a tree (libpg_query's deparser).
pub fn deparse(tree: &protobuf::ParseResult) -> Result<String, String> {
    with_libpg_query(|| pg_query::deparse(tree, pg_query::DeparseOptions::default()))
        .map_err(|error| format!("it cannot be printed back ({error})"))
}

/// Parses `text` as exactly one statement, or says why it is not one.
pub fn parse_single(text: &str) -> Result<Parsed, String> {
    let text = without_trailing_semicolons(text);
    if text.is_empty() {
        return Err("it is empty".into());
    }
    let params = check_tokens(&text)?;
    if split(&text).len() != 1 {
        return Err("it holds more than one statement".into());
    }
    let is_utility = match grammar::check(&text) {
        GrammarVerdict::Valid { is_utility } => is_utility,
        GrammarVerdict::Invalid(error) => {
            return Err(format!(
                "PostgreSQL's grammar rejects it: {}",
                error.message
            ));
        }
    };
    let parsed = with_libpg_query(|| pg_query::parse(&text, 0))
        .map_err(|error| format!("PostgreSQL's parser rejects it: {error}"))?;
    if parsed.protobuf.stmts.len() != 1 {
        return Err("it holds more than one statement".into());
    }
    let json = serde_json::to_value(&parsed.protobuf)
        .map_err(|error| format!("its parse tree cannot be inspected ({error})"))?;
    Ok(Parsed {
        text,
        is_utility,
        contents: inspect(&json),
        tree: parsed.protobuf,
        params,
    })
}

/// The lexical checks: no semicolons or psql meta-commands inside, bounded
/// nesting and length. Returns the `$n` numbers used.
fn check_tokens(text: &str) -> Result<BTreeSet<u32>, String> {
    let mut params = BTreeSet::new();
    let mut depth = 0usize;
    let mut significant = 0usize;
    for token in tokenize(text) {
        match token.kind {
            kind if kind.is_trivia() => continue,
            TokenKind::Semicolon => return Err("it holds more than one statement".into()),
            TokenKind::Backslash => return Err("it holds a psql meta-command".into()),
            TokenKind::LParen | TokenKind::LBracket => {
                depth += 1;
                if depth > MAX_PAREN_DEPTH {
                    return Err(format!(
                        "its parentheses nest deeper than {MAX_PAREN_DEPTH} levels"
                    ));
                }
            }
            TokenKind::RParen | TokenKind::RBracket => depth = depth.saturating_sub(1),
            TokenKind::Param => {
                let number = token.text(text)[1..]
                    .parse()
                    .map_err(|_| "it uses an impossible parameter number".to_owned())?;
                params.insert(number);
            }
            _ => {}
        }
        significant += 1;
        if significant > MAX_TOKENS {
            return Err(format!("it is longer than {MAX_TOKENS} tokens"));
        }
    }
    Ok(params)
}

/// The text without trailing semicolons and surrounding trivia.
fn without_trailing_semicolons(text: &str) -> String {
    let tokens = tokenize(text);
    let end = tokens
        .iter()
        .rev()
        .find(|token| !token.kind.is_trivia() && token.kind != TokenKind::Semicolon)
        .map_or(0, |token| token.end);
    let start = tokens
        .iter()
        .find(|token| !token.kind.is_trivia())
        .map_or(0, |token| token.start)
        .min(end);
    text[start..end].to_owned()
}

/// Names visible as CTEs at a point of the tree.
type Scope = std::rc::Rc<Vec<String>>;

/// Searches the whole tree. Keys are prost's names for the node kinds
/// (`AExpr` for `A_Expr`) and fields.
fn inspect(tree: &Value) -> Contents {
    let mut contents = Contents::default();
    let mut pending: Vec<(&Value, Scope)> = vec![(tree, Scope::default())];
    while let Some((value, scope)) = pending.pop() {
        let fields = match value {
            Value::Object(fields) => fields,
            Value::Array(items) => {
                pending.extend(items.iter().map(|item| (item, scope.clone())));
                continue;
            }
            _ => continue,
        };
        if fields.contains_key("relname") && fields.contains_key("relpersistence") {
            // A RangeVar, as a node or embedded (an index's table).
            let relation = relation(fields);
            if !(relation.schema.is_empty() && scope.contains(&relation.name)) {
                contents.relations.insert(relation);
            }
        }
        let scope = match fields.get("with_clause") {
            Some(with) if !with.is_null() => {
                pending.extend(ctes_in_scope(with, &scope));
                with_names(with, &scope, usize::MAX)
            }
            _ => scope,
        };
        for (key, child) in fields {
            match key.as_str() {
                "with_clause" => continue, // walked above, CTE by CTE
                "InsertStmt" | "UpdateStmt" | "DeleteStmt" | "MergeStmt" => {
                    contents.modifies_data = true;
                }
                "into_clause" if !child.is_null() => contents.select_into = true,
                "locking_clause" if child.as_array().is_some_and(|c| !c.is_empty()) => {
                    contents.locks_rows = true;
                }
                "RangeTableSample" => contents.samples_tables = true,
                "SubLink" => {
                    contents.has_subquery = true;
                    insert_name(&mut contents.operators, child.get("oper_name"));
                }
                "FuncCall" => insert_name(&mut contents.functions, child.get("funcname")),
                "AExpr" => insert_name(&mut contents.operators, child.get("name")),
                "SortBy" => insert_name(&mut contents.operators, child.get("use_op")),
                _ => {}
            }
            pending.push((child, scope.clone()));
        }
    }
    contents
}

/// Each CTE of a WITH clause with the names it can see: the earlier ones
/// (plain WITH) or all of them (WITH RECURSIVE), besides the outer ones.
/// `WITH t AS (SELECT * FROM t)` reads the real table `t`.
fn ctes_in_scope<'a>(with: &'a Value, outer: &Scope) -> Vec<(&'a Value, Scope)> {
    let recursive = with.get("recursive").and_then(Value::as_bool) == Some(true);
    let ctes = with.get("ctes").and_then(Value::as_array);
    ctes.into_iter()
        .flatten()
        .enumerate()
        .map(|(position, cte)| {
            let visible = if recursive { usize::MAX } else { position };
            (cte, with_names(with, outer, visible))
        })
        .collect()
}

/// `outer` plus the names of the first `count` CTEs of `with`.
fn with_names(with: &Value, outer: &Scope, count: usize) -> Scope {
    let mut names: Vec<String> = outer.to_vec();
    let ctes = with.get("ctes").and_then(Value::as_array);
    for cte in ctes.into_iter().flatten().take(count) {
        if let Some(name) = cte
            .pointer("/node/CommonTableExpr/ctename")
            .and_then(Value::as_str)
        {
            names.push(name.to_owned());
        }
    }
    Scope::new(names)
}

fn relation(range_var: &serde_json::Map<String, Value>) -> Relation {
    let text = |key: &str| {
        range_var
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let (catalog, schema) = (text("catalogname"), text("schemaname"));
    Relation {
        // `db.schema.table` names another database: never the same table.
        schema: if catalog.is_empty() {
            schema
        } else {
            format!("{catalog}.{schema}")
        },
        name: text("relname"),
    }
}

/// Adds a dotted name from a list of String nodes (`funcname`, `name`), if any.
fn insert_name(names: &mut BTreeSet<String>, list: Option<&Value>) {
    let parts: Vec<&str> = list
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|part| part.pointer("/node/String/sval").and_then(Value::as_str))
        .collect();
    if !parts.is_empty() {
        names.insert(parts.join("."));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents(text: &str) -> Contents {
        parse_single(text).unwrap().contents
    }

    #[test]
    fn one_statement_by_every_reading() {
        assert!(parse_single("SELECT 1;;  ").is_ok());
        assert!(parse_single(" -- note\nSELECT 1 -- done").is_ok());
        for bad in [
            "",
            " ; ",
            "SELECT 1; SELECT 2",
            "SELECT 1; DROP TABLE t",
            "SELECT 1 \\g",
            "\\! rm -rf /",
            "SELEC 1",
            "SELECT 'unterminated",
        ] {
            assert!(parse_single(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn finds_calls_operators_and_relations_at_any_depth() {
        let found = contents(
            "SELECT lower(a) FROM s.t JOIN u ON t.id = u.id \
             WHERE EXISTS (SELECT 1 FROM v WHERE v.x ~~ pg_catalog.upper($1)) \
             ORDER BY a USING <",
        );
        assert!(found.functions.contains("lower"));
        assert!(found.functions.contains("pg_catalog.upper"));
        assert!(found.operators.contains("="));
        assert!(found.operators.contains("~~"));
        assert!(found.operators.contains("<"));
        let names: Vec<String> = found.relations.iter().map(Relation::qualified).collect();
        assert_eq!(names, ["u", "v", "s.t"]);
        assert!(found.has_subquery);
    }

    #[test]
    fn cte_names_are_not_relations_but_only_in_their_scope() {
        let found = contents("WITH x AS (SELECT * FROM t) SELECT * FROM x");
        let names: Vec<String> = found.relations.iter().map(Relation::qualified).collect();
        assert_eq!(names, ["t"]);
        let found =
            contents("SELECT * FROM (WITH secrets AS (SELECT 1) SELECT * FROM secrets) a, secrets");
        let names: Vec<String> = found.relations.iter().map(Relation::qualified).collect();
        assert_eq!(names, ["secrets"]);
        let found = contents("WITH x AS (SELECT 1) SELECT * FROM public.x");
        assert_eq!(found.relations.len(), 1);
        // A plain CTE cannot see itself: the inner name is the real table.
        let found = contents("WITH secrets AS (SELECT * FROM secrets) SELECT * FROM secrets");
        assert_eq!(found.relations.len(), 1);
        let found = contents(
            "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 5) \
             SELECT * FROM r",
        );
        assert!(found.relations.is_empty());
        let found = contents("WITH a AS (SELECT 1), b AS (SELECT * FROM a) SELECT * FROM b");
        assert!(found.relations.is_empty());
    }

    #[test]
    fn flags_writes_into_locks_and_samples() {
        assert!(contents("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d").modifies_data);
        assert!(contents("SELECT * INTO new_t FROM t").select_into);
        assert!(contents("SELECT * FROM t FOR UPDATE").locks_rows);
        assert!(contents("SELECT * FROM t TABLESAMPLE SYSTEM (10)").samples_tables);
        let plain = contents("SELECT * FROM t");
        assert!(!plain.modifies_data && !plain.select_into && !plain.locks_rows);
    }

    #[test]
    fn parameters_are_collected_from_tokens() {
        let parsed = parse_single("SELECT $1, '$2', $3").unwrap();
        assert_eq!(parsed.params, BTreeSet::from([1, 3]));
        assert!(parse_single("SELECT $99999999999").is_err());
    }

    #[test]
    fn hostile_shapes_are_refused_without_crashing() {
        let deep = format!("SELECT {}1{}", "(".repeat(500), ")".repeat(500));
        assert!(parse_single(&deep).is_err());
        let long = format!("SELECT {}", vec!["1"; 10_000].join("+"));
        assert!(parse_single(&long).is_err());
        assert!(parse_single("SELECT '\0'").is_err());
    }

    #[test]
    fn long_operator_chains_within_limits_do_not_crash_on_a_small_stack() {
        // Left-deep trees as deep as the token limit allows, on a stack the
        // size of a tokio worker's: refused or accepted, never a crash.
        let chain = format!("SELECT {}", vec!["1"; MAX_TOKENS / 2 - 2].join("+"));
        let outcome = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || parse_single(&chain).is_ok())
            .unwrap()
            .join();
        assert!(outcome.is_ok());
    }
}
