//! The advisor on the demo's most expensive statements: the index it would
//! offer as a code action, validated with HypoPG on the demo database
//! (planner estimates with a hypothetical index; nothing is built).

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use super::examples::{QueryFile, statement_name};
use super::progress::Progress;
use super::show::one_line;
use crate::advisor::outcome::{ActionKind, Analysis};
use crate::advisor::planning::PlanningSession;
use crate::advisor::service::{Advisor, AdvisorConfig, AnalyzeRequest};
use crate::advisor::titles::title;
use crate::analysis::format::duration_ms;
use crate::config::Thresholds;
use crate::db::ConnSpec;
use crate::stats::snapshot::Snapshot;
use crate::text::PositionEncoding;

/// Statements analysed, most expensive first, until one yields an index.
const MAX_ANALYSES: usize = 3;

/// One analysed statement.
pub struct Advice {
    pub label: String,
    pub text: String,
    /// "46% of DB time · 23 ms avg"
    pub weight: String,
    pub analysis: Arc<Analysis>,
}

impl Advice {
    pub fn has_index(&self) -> bool {
        self.analysis
            .actions
            .iter()
            .any(|action| matches!(action.kind, ActionKind::Index { .. }))
    }
}

/// A statement of the files with live numbers, and what it costs.
struct Costly<'a> {
    file: &'a QueryFile,
    statement: &'a crate::document::Statement,
    total_ms: f64,
    mean_ms: f64,
    share: Option<f64>,
}

/// Analyses the statements that cost the database the most time (as the
/// editor's "hot" ranking does), stopping at the first with a validated
/// index; `None` when no file statement has live numbers.
pub async fn advise(
    spec: &ConnSpec,
    files: &[QueryFile],
    root: &Path,
    snapshot: Arc<Snapshot>,
    thresholds: Thresholds,
    progress: Progress,
) -> Option<Advice> {
    let mut costly: Vec<Costly> = files
        .iter()
        .flat_map(|file| file.document.statements().iter().map(move |s| (file, s)))
        .filter(|(_, statement)| statement.analysis.kind.is_dml())
        .filter_map(|(file, statement)| {
            let (_, stats) = snapshot.stats_for(statement.analysis.fingerprint)?;
            let total_ms = if stats.recent.calls > 0 {
                stats.recent.total_ms
            } else {
                stats.cumulative.total_ms
            };
            Some(Costly {
                file,
                statement,
                total_ms,
                mean_ms: stats.cumulative.mean_ms().unwrap_or(0.0),
                share: snapshot.share_percent(stats),
            })
        })
        .collect();
    costly.sort_by(|a, b| b.total_ms.total_cmp(&a.total_ms));

    let advisor = Advisor::new(AdvisorConfig {
        planning: Some(Arc::new(PlanningSession::new(spec.clone()))),
        sandbox: None,
        ai: None,
        thresholds,
        min_improvement_percent: 50.0,
    });
    let (progress_sender, mut progress_receiver) = mpsc::unbounded_channel::<String>();
    let forward = tokio::spawn(async move {
        while let Some(message) = progress_receiver.recv().await {
            progress.say(format!("advisor: {message}"));
        }
    });
    // Never cancelled: the demo's Ctrl-C drops the whole future instead.
    let (_keep_open, cancel) = watch::channel(false);

    let mut first: Option<Advice> = None;
    for candidate in costly.into_iter().take(MAX_ANALYSES) {
        let document = &candidate.file.document;
        let text = document.statement_text(candidate.statement).to_owned();
        let label = label(candidate.file, candidate.statement, root);
        progress.say(format!("advisor: analysing {label}"));
        let request = AnalyzeRequest {
            statement: text.clone(),
            fingerprint: candidate.statement.analysis.fingerprint,
            facts: candidate.statement.analysis.facts_of(&text),
            snapshot: snapshot.clone(),
        };
        let analysis = advisor.analyze(&request, &progress_sender, &cancel).await;
        let weight = match candidate.share {
            Some(share) => format!(
                "{share:.0}% of DB time · {} avg",
                duration_ms(candidate.mean_ms)
            ),
            None => format!("{} avg", duration_ms(candidate.mean_ms)),
        };
        let advice = Advice {
            label,
            text,
            weight,
            analysis,
        };
        if advice.has_index() {
            first = Some(advice);
            break;
        }
        first.get_or_insert(advice);
    }
    drop(progress_sender);
    let _ = forward.await;
    first
}

/// `examples/queries/orders.sql:4 · orders_for_customer`
fn label(file: &QueryFile, statement: &crate::document::Statement, root: &Path) -> String {
    let shown = file.path.strip_prefix(root).unwrap_or(&file.path);
    let line = file
        .document
        .line_index()
        .position(statement.span.range.start, PositionEncoding::Utf16)
        .line
        + 1;
    match statement_name(&file.document, statement) {
        Some(name) => format!("{}:{line} · {name}", shown.display()),
        None => format!("{}:{line}", shown.display()),
    }
}

/// The advisor's section of the output; `missing_hypopg` holds the
/// server's major version when HypoPG is not installed.
pub fn write(
    advice: Option<&Advice>,
    missing_hypopg: Option<&str>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(out, "\n━━ advisor")?;
    if let Some(major) = missing_hypopg {
        writeln!(
            out,
            "  HypoPG is not installed on this machine, so index suggestions cannot be \
             validated: install postgresql-{major}-hypopg (Debian/Ubuntu, from \
             apt.postgresql.org) and run the demo again."
        )?;
    }
    let Some(advice) = advice else {
        writeln!(
            out,
            "  No statement of examples/queries/ ran in the workload."
        )?;
        return Ok(());
    };
    writeln!(
        out,
        "  The statement costing the database the most time: {} ({})",
        advice.label, advice.weight
    )?;
    writeln!(out, "    {}", one_line(&advice.text))?;
    let mut indexes = 0;
    for action in &advice.analysis.actions {
        writeln!(out, "  ✓ {}", title(action))?;
        if let ActionKind::Index { candidate, .. } = &action.kind {
            indexes += 1;
            writeln!(out, "      {};", candidate.definition)?;
        }
    }
    if indexes > 0 {
        writeln!(
            out,
            "  In the editor this is a code action on the statement; applying it writes the \
             index to a migration file (the database itself is never changed)."
        )?;
    } else {
        writeln!(out, "  No validated index for it:")?;
        for note in &advice.analysis.notes {
            writeln!(out, "    - {note}")?;
        }
    }
    for (code, message) in &advice.analysis.plan_findings {
        writeln!(out, "  plan: {code}: {message}")?;
    }
    Ok(())
}
