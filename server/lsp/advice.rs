//! The advisor in the editor: code actions (validated fixes, "Analyze this
//! statement", "Explain plan"), the analysis running in the background with
//! cancellable `$/progress`, and the audit trail of applied actions.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Command, MessageType, NumberOrString,
    Position, ProgressToken, Uri,
};

use super::commands::{ANALYZE, EXPLAIN, RECORD_APPLIED};
use super::state::ServerState;
use super::{convert, edits, publish};
use crate::advisor::audit::{self, AuditEntry};
use crate::advisor::migration::index_name;
use crate::advisor::model::Origin;
use crate::advisor::outcome::{ActionKind, Analysis, ValidatedAction};
use crate::advisor::planning::PlanningSession;
use crate::advisor::service::{
    AI_FAILURE_AGAIN, AI_FAILURE_TOLD, Advisor, AdvisorConfig, AnalyzeRequest,
};
use crate::advisor::titles::title;
use crate::analysis::catalog::VALIDATED_FIX;
use crate::analysis::finding::{Finding, Severity};
use crate::config::Settings;
use crate::db::ConnSpec;
use crate::document::{Document, Statement};
use crate::sandbox::{Sandbox, SandboxLimits};

/// Arguments of `optischema.analyze` and `optischema.explain`.
#[derive(Debug, Deserialize)]
pub struct StatementArgument {
    pub uri: Uri,
    pub position: Position,
}

/// Builds the advisor from the settings: planning on the monitored database
/// (the same connection settings as the collector), the sandbox when
/// `sandbox.url` is set, the LLM when `ai.*` is.
pub fn advisor_for(
    settings: &Settings,
    monitored: Option<ConnSpec>,
) -> Result<Option<Arc<Advisor>>, String> {
    let sandbox = match &settings.sandbox_url {
        Some(url) => Some(Sandbox::new(
            ConnSpec::parse(url).map_err(|error| format!("sandbox.url: {error}"))?,
            SandboxLimits::default(),
        )),
        None => None,
    };
    let ai = crate::lsp::ai_link::suggester(settings)?;
    if monitored.is_none() && sandbox.is_none() {
        return Ok(None);
    }
    Ok(Some(Arc::new(Advisor::new(AdvisorConfig {
        planning: monitored.map(|spec| Arc::new(PlanningSession::new(spec))),
        sandbox,
        ai,
        thresholds: settings.thresholds.clone(),
        min_improvement_percent: settings.advisor_min_improvement_percent,
    }))))
}

/// The statement a `{uri, position}` argument points at.
fn locate(state: &ServerState, argument: &StatementArgument) -> Option<(Arc<Document>, Statement)> {
    let document = state.document(&argument.uri)?;
    let offset = convert::offset(&document, argument.position, state.encoding());
    let statement = document.statement_at(offset)?.clone();
    Some((document, statement))
}

fn request_for(state: &ServerState, document: &Document, statement: &Statement) -> AnalyzeRequest {
    let text = document.statement_text(statement).to_string();
    let facts = statement.analysis.facts_of(&text);
    AnalyzeRequest {
        statement: text,
        fingerprint: statement.analysis.fingerprint,
        facts,
        snapshot: state.snapshot(),
    }
}

/// The argument of the statement commands: the statement at `position`.
pub fn statement_argument(uri: &Uri, position: Position) -> Value {
    json!({ "uri": uri, "position": position })
}

/// Code actions for the statement at `range_start`: what is validated, and
/// the commands that produce more.
pub fn code_actions(
    state: &ServerState,
    uri: &Uri,
    position: Position,
) -> Vec<CodeActionOrCommand> {
    let Some(document) = state.document(uri) else {
        return Vec::new();
    };
    let offset = convert::offset(&document, position, state.encoding());
    let Some(statement) = document.statement_at(offset) else {
        return Vec::new();
    };
    let Some(advisor) = state.advisor() else {
        return Vec::new();
    };
    let snapshot = state.snapshot();
    let fingerprint = statement.analysis.fingerprint;
    let start = convert::position(&document, statement.span.range.start, state.encoding());
    let mut actions = Vec::new();
    let analysis = advisor.cached(fingerprint, &snapshot);
    if let Some(analysis) = &analysis {
        for action in &analysis.actions {
            if let Some(code_action) = fix_action(state, &document, statement, uri, action) {
                actions.push(CodeActionOrCommand::CodeAction(code_action));
            }
        }
    }
    let running = state.running_analyses.contains_key(&fingerprint);
    if !running {
        let verb = if analysis.is_some() {
            "Re-analyze"
        } else {
            "Analyze"
        };
        actions.push(CodeActionOrCommand::Command(Command {
            title: format!("OptiSchema: {verb} this statement (plan, indexes, rewrites)"),
            command: ANALYZE.into(),
            arguments: Some(vec![statement_argument(uri, start)]),
        }));
    }
    actions.push(CodeActionOrCommand::Command(Command {
        title: "OptiSchema: Explain plan".into(),
        command: EXPLAIN.into(),
        arguments: Some(vec![statement_argument(uri, start)]),
    }));
    actions
}

fn origin_label(origin: &Origin) -> String {
    match origin {
        Origin::Rule { rule } => format!("rule:{rule}"),
        Origin::Ai { model, .. } => format!("ai:{model}"),
    }
}

/// A validated action as a code action: the edit, and the command that
/// records it in the audit trail once applied.
fn fix_action(
    state: &ServerState,
    document: &Document,
    statement: &Statement,
    uri: &Uri,
    action: &ValidatedAction,
) -> Option<CodeAction> {
    let settings = state.settings();
    let action_title = title(action);
    let fingerprint = statement.analysis.fingerprint.to_string();
    let evidence = serde_json::to_value(&action.evidence).unwrap_or(Value::Null);
    let explanation = match &action.origin {
        Origin::Ai { explanation, .. } => Some(explanation.as_str()),
        Origin::Rule { .. } => None,
    };
    let (edit, kind, entry) = match &action.kind {
        ActionKind::Index { candidate, .. } => {
            let (edit, migration) = edits::index_edit(
                state,
                &settings,
                document,
                uri,
                candidate,
                &action_title,
                explanation,
            )?;
            let entry = AuditEntry {
                time: String::new(),
                action: "index".into(),
                title: action_title.clone(),
                uri: uri.as_str().to_string(),
                fingerprint,
                change: candidate.definition.clone(),
                migration,
                evidence,
                origin: origin_label(&action.origin),
                index_name: Some(index_name(candidate)),
            };
            (edit, CodeActionKind::QUICKFIX, entry)
        }
        ActionKind::Rewrite { candidate } => {
            let edit = edits::rewrite_edit(state, document, statement, uri, &candidate.text);
            let entry = AuditEntry {
                time: String::new(),
                action: "rewrite".into(),
                title: action_title.clone(),
                uri: uri.as_str().to_string(),
                fingerprint,
                change: candidate.text.clone(),
                migration: None,
                evidence,
                origin: origin_label(&action.origin),
                index_name: None,
            };
            (edit, CodeActionKind::REFACTOR_REWRITE, entry)
        }
    };
    Some(CodeAction {
        title: action_title,
        kind: Some(kind),
        edit: Some(edit),
        command: Some(Command {
            title: "Record in .optischema/audit.jsonl".into(),
            command: RECORD_APPLIED.into(),
            arguments: Some(vec![serde_json::to_value(&entry).unwrap_or(Value::Null)]),
        }),
        is_preferred: Some(matches!(action.kind, ActionKind::Index { .. })),
        ..CodeAction::default()
    })
}

/// `optischema.recordApplied`: appends the entry to the audit trail.
pub async fn record_applied(state: &ServerState, argument: Value) -> Result<Value, String> {
    let entry: AuditEntry = serde_json::from_value(argument)
        .map_err(|error| format!("invalid audit entry: {error}"))?;
    let Some(root) = state.workspace_root() else {
        return Err(
            "no workspace folder: the audit trail lives in <workspace>/.optischema/audit.jsonl"
                .into(),
        );
    };
    let path = audit::append(&root, entry)
        .map_err(|error| format!("cannot write the audit trail: {error}"))?;
    tracing::info!("recorded an applied action in {}", path.display());
    Ok(Value::Null)
}

/// `optischema.explain`: the plan as Markdown, and after a validated fix
/// the before/after plans. This command asks the database (it is the
/// user's explicit request), bounded by the session's statement timeout.
pub async fn explain(state: &ServerState, argument: StatementArgument) -> Result<Value, String> {
    let (document, statement) = locate(state, &argument).ok_or("no statement at that position")?;
    let advisor = state.advisor().ok_or(
        "no database configured: set optischema.database.url (or sandbox.url) to get plans",
    )?;
    let snapshot = state.snapshot();
    let mut markdown = String::new();
    if let Some(analysis) = advisor.cached(statement.analysis.fingerprint, &snapshot) {
        markdown.push_str(&explain_markdown(&analysis));
    }
    if markdown.is_empty() {
        let request = request_for(state, &document, &statement);
        let plan = advisor.plan_markdown(&request).await?;
        markdown.push_str(&plan);
    }
    Ok(json!({ "markdown": markdown }))
}

fn explain_markdown(analysis: &Analysis) -> String {
    let mut out = String::new();
    if let Some(plan) = &analysis.plan_markdown {
        out.push_str("## Plan\n\n");
        out.push_str(plan);
        out.push('\n');
    }
    for action in &analysis.actions {
        if let Some(comparison) = &action.plan_comparison {
            out.push_str(&format!("\n## {}\n\n{comparison}\n", title(action)));
        }
    }
    if !analysis.notes.is_empty() {
        out.push_str("\n## Not offered\n\n");
        for note in &analysis.notes {
            out.push_str(&format!("- {note}\n"));
        }
    }
    out
}

/// `optischema.analyze`: starts the analysis in the background and answers
/// at once; progress goes to `$/progress`, results to code actions,
/// diagnostics and one message.
pub fn start_analysis(
    state: &Arc<ServerState>,
    argument: StatementArgument,
) -> Result<Value, String> {
    let (document, statement) = locate(state, &argument).ok_or("no statement at that position")?;
    let advisor = state.advisor().ok_or(
        "nothing to validate with: configure optischema.database.url (HypoPG) or sandbox.url",
    )?;
    let fingerprint = statement.analysis.fingerprint;
    if state.running_analyses.contains_key(&fingerprint) {
        return Ok(json!({ "markdown": "An analysis of this statement is already running." }));
    }
    let token = format!("optischema-analyze-{fingerprint}-{}", document.version());
    let (cancel_sender, cancel) = watch::channel(false);
    state
        .running_analyses
        .insert(fingerprint, (token.clone(), cancel_sender));
    let state = state.clone();
    let uri = argument.uri;
    tokio::spawn(async move {
        if advisor.has_planning() {
            wait_for_catalog(&state).await;
        }
        let request = request_for(&state, &document, &statement);
        let analysis = run_with_progress(&state, &advisor, &request, token, cancel).await;
        state.running_analyses.remove(&fingerprint);
        state.set_advice(fingerprint, advice_findings(&analysis));
        publish::publish_current(&state, uri).await;
        // An LLM failure is told once, in words, when it first happens
        // (until a request succeeds again); the notes keep it for "Explain plan".
        for note in analysis
            .notes
            .iter()
            .filter(|note| note.starts_with(AI_FAILURE_TOLD))
        {
            state
                .client
                .show_message(MessageType::WARNING, format!("OptiSchema: {note}"))
                .await;
        }
        state
            .client
            .show_message(MessageType::INFO, summary(&analysis))
            .await;
    });
    Ok(Value::Null)
}

/// Candidates come from the catalog: right after start-up, give the
/// collector a moment to read it (this runs in the background). Only
/// called when a monitored database is configured.
async fn wait_for_catalog(state: &ServerState) {
    use crate::stats::snapshot::ConnectionStatus;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while tokio::time::Instant::now() < deadline {
        let snapshot = state.snapshot();
        // Before the collector's first word the status is still the
        // initial "not configured".
        let starting = matches!(
            snapshot.status,
            ConnectionStatus::Connecting | ConnectionStatus::NotConfigured
        );
        let waiting = starting && snapshot.refreshed_at.is_none();
        if !waiting {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn run_with_progress(
    state: &ServerState,
    advisor: &Advisor,
    request: &AnalyzeRequest,
    token: String,
    cancel: watch::Receiver<bool>,
) -> Arc<Analysis> {
    let (progress, mut messages) = mpsc::unbounded_channel::<String>();
    let token = ProgressToken::String(token);
    let shows_progress = state
        .client_supports_progress
        .load(std::sync::atomic::Ordering::Relaxed)
        && state
            .client
            .create_work_done_progress(token.clone())
            .await
            .is_ok();
    let work = advisor.analyze(request, &progress, &cancel);
    tokio::pin!(work);
    if !shows_progress {
        return work.await;
    }
    let ongoing = state
        .client
        .progress(token, "OptiSchema: analyzing statement")
        .with_cancel_button()
        .with_message("starting")
        .begin()
        .await;
    let analysis = loop {
        tokio::select! {
            analysis = &mut work => break analysis,
            Some(message) = messages.recv() => ongoing.report_with_message(message, None).await,
        }
    };
    let done = if *cancel.borrow() {
        "cancelled"
    } else {
        "done"
    };
    ongoing.finish_with_message(done).await;
    analysis
}

/// `window/workDoneProgress/cancel`: stops the analysis with that token.
pub fn cancel(state: &ServerState, token: &NumberOrString) {
    let NumberOrString::String(token) = token else {
        return;
    };
    for entry in state.running_analyses.iter() {
        if &entry.value().0 == token {
            let _ = entry.value().1.send(true);
        }
    }
}

/// Plan findings and a hint that fixes are ready, for the diagnostics.
fn advice_findings(analysis: &Analysis) -> Vec<Finding> {
    let mut findings: Vec<Finding> = analysis
        .plan_findings
        .iter()
        .map(|(code, message)| Finding {
            code,
            severity: crate::analysis::catalog::describe(code)
                .map_or(Severity::Warning, |info| info.default_severity),
            range: 0..0,
            message: message.clone(),
        })
        .collect();
    if let Some(best) = analysis.actions.first() {
        findings.push(Finding {
            code: VALIDATED_FIX,
            severity: Severity::Hint,
            range: 0..0,
            message: format!(
                "OptiSchema validated {} fix(es); best: {} — see the code actions",
                analysis.actions.len(),
                title(best)
            ),
        });
    }
    findings
}

fn summary(analysis: &Analysis) -> String {
    match analysis.actions.first() {
        Some(best) => format!(
            "OptiSchema: {} validated fix(es) ready in the code actions; best: {}",
            analysis.actions.len(),
            title(best)
        ),
        None if analysis.notes.is_empty() => "OptiSchema: no fix found for this statement".into(),
        None => {
            // LLM failures have their own message, once.
            let reason = analysis
                .notes
                .iter()
                .find(|note| {
                    !note.starts_with(AI_FAILURE_TOLD) && !note.starts_with(AI_FAILURE_AGAIN)
                })
                .map(|note| format!(" ({note})"))
                .unwrap_or_default();
            format!(
                "OptiSchema: no validated fix for this statement{reason}. Run \"Explain plan\" for details."
            )
        }
    }
}
