//! Pure analysis over (document, snapshot): findings, hovers and lenses as
//! plain data. No I/O, no awaits; the LSP layer and `check` both use it.

pub mod catalog;
pub mod diagnostics;
pub mod finding;
pub mod format;
pub mod hover;
pub mod lens;
pub mod rules;
pub mod statement;
pub mod stats_findings;
