//! SQL text: lexing, statement splitting, fingerprints, PostgreSQL's grammar
//! and the typed facts the rules and the advisor work on.

pub mod ast;
pub mod facts;
pub mod fingerprint;
pub mod functions;
pub mod grammar;
pub mod kind;
pub mod lexer;
pub mod params;
pub mod split;
