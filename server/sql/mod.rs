//! SQL text: lexing, statement splitting, fingerprints, PostgreSQL's grammar
//! and the typed facts the rules and the advisor work on.

pub mod fingerprint;
pub mod grammar;
pub mod lexer;
pub mod split;
