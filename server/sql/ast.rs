//! sqlparser's typed AST for one statement (PostgreSQL dialect).
//!
//! sqlparser rejects some valid PostgreSQL, so a failure here is never a
//! syntax error: that verdict belongs to `sql::grammar`.

use sqlparser::ast::Statement;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

/// Parses one statement; `None` when sqlparser cannot (or finds several).
pub fn parse_statement(text: &str) -> Option<Statement> {
    let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, text).ok()?;
    if statements.len() != 1 {
        return None;
    }
    statements.pop()
}
