//! Analysing one statement: plan it, collect candidates (rules and, when
//! configured, an LLM), prove them (HypoPG on the monitored session, timing
//! and result comparison in the sandbox), weigh indexes across the
//! workload, and keep the result until the catalog changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, watch};

use super::candidates;
use super::model::{Evidence, IndexCandidate, Origin, RewriteCandidate, Verdict};
use super::outcome::{ActionKind, Analysis, ValidatedAction};
use super::planning::{PlannerGuard, PlanningSession};
use super::rewrite::rewrite_candidates;
use super::weigh::weigh_indexes;
use crate::config::Thresholds;
use crate::plan::cache::CatalogStamp;
use crate::plan::{evaluate_index_with_plans, plan_findings, render_comparison, render_plan};
use crate::sandbox::Sandbox;
use crate::sql::facts::QueryFacts;
use crate::sql::fingerprint::Fingerprint;
use crate::sql::params::to_dollar_params;
use crate::stats::snapshot::Snapshot;

/// Index candidates timed in the sandbox (the best by planner estimate).
const SANDBOX_INDEX_TRIALS: usize = 3;

/// Where the advisor gets its evidence.
pub struct AdvisorConfig {
    pub planning: Option<Arc<PlanningSession>>,
    pub sandbox: Option<Sandbox>,
    pub ai: Option<Arc<dyn AiSuggester>>,
    pub thresholds: Thresholds,
    pub min_improvement_percent: f64,
}

/// LLM suggestions, already gated (only `CREATE INDEX` / a single query).
pub struct AiCandidates {
    pub model: String,
    pub explanation: String,
    pub indexes: Vec<IndexCandidate>,
    pub rewrite: Option<RewriteCandidate>,
    /// What the gate dropped, with reasons.
    pub dropped: Vec<String>,
}

/// Why the LLM gave no suggestions this time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AiFailure {
    /// What went wrong, in words.
    pub message: String,
    /// The first failure of its kind since the last success: the user is
    /// told (once); later ones only leave a note.
    pub first_of_kind: bool,
}

/// How the note of a first-of-its-kind AI failure starts; the editor also
/// shows that note as a message. Repeats start with [`AI_FAILURE_AGAIN`].
pub const AI_FAILURE_TOLD: &str = "AI suggestions are unavailable: ";
/// How the note of an AI failure already told starts.
pub const AI_FAILURE_AGAIN: &str = "AI suggestions unavailable: ";

/// A boxed future, so that [`AiSuggester`] can be used as a trait object.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// The LLM side, behind a trait so the advisor does not depend on how it
/// is reached.
pub trait AiSuggester: Send + Sync {
    fn suggest<'a>(
        &'a self,
        request: &'a AnalyzeRequest,
        plan: Option<&'a str>,
        cancel: &'a watch::Receiver<bool>,
    ) -> BoxFuture<'a, Result<AiCandidates, AiFailure>>;
}

/// What to analyse.
#[derive(Clone)]
pub struct AnalyzeRequest {
    /// The statement as written (any parameter style).
    pub statement: String,
    pub fingerprint: Fingerprint,
    pub facts: Option<QueryFacts>,
    pub snapshot: Arc<Snapshot>,
}

/// The advisor, shared by the server's tasks.
pub struct Advisor {
    config: AdvisorConfig,
    cache: Mutex<HashMap<(Fingerprint, CatalogStamp), Arc<Analysis>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Progress messages for the editor.
pub type ProgressSender = mpsc::UnboundedSender<String>;

fn say(progress: &ProgressSender, message: impl Into<String>) {
    let _ = progress.send(message.into());
}

impl Advisor {
    pub fn new(config: AdvisorConfig) -> Advisor {
        Advisor {
            config,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Whether plans (and the catalog they rely on) come from a monitored database.
    pub fn has_planning(&self) -> bool {
        self.config.planning.is_some()
    }

    /// The finished analysis for this statement and catalog state, if any.
    pub fn cached(&self, fingerprint: Fingerprint, snapshot: &Snapshot) -> Option<Arc<Analysis>> {
        let key = (fingerprint, CatalogStamp::of(&snapshot.catalog));
        lock(&self.cache).get(&key).cloned()
    }

    /// Only the plan (Markdown) of a statement, on the monitored database.
    pub async fn plan_markdown(&self, request: &AnalyzeRequest) -> Result<String, String> {
        let planning = self
            .config
            .planning
            .as_ref()
            .ok_or("plans come from the monitored database: set optischema.database.url")?;
        let mut guard = planning.client().await?;
        let (client, version) = &mut *guard;
        let dollar = to_dollar_params(&request.statement).text;
        crate::plan::explain_generic(client, &dollar, *version, false)
            .await
            .map(|plan| render_plan(&plan))
            .map_err(|error| error.to_string())
    }

    /// The server's query identifiers for a statement, from `EXPLAIN
    /// (VERBOSE)` of its `$n` form and, when it has literals, of the text
    /// as written (the two can differ: parameter types). Empty when the
    /// server does not compute query identifiers.
    pub async fn query_identifiers(&self, statement: &str) -> Result<Vec<i64>, String> {
        let planning = self
            .config
            .planning
            .as_ref()
            .ok_or("no monitored database")?;
        let mut guard = planning.client().await?;
        let (client, version) = &mut *guard;
        // The text in `$n` form, and with its literals as parameters too
        // (what a driver sends): parameter types can change the identifier.
        let dollar = to_dollar_params(statement).text;
        let mut forms = vec![crate::ai::literals::parameterize(&dollar).text, dollar];
        forms.dedup();
        let mut ids = Vec::new();
        for form in forms {
            match crate::plan::query_identifier(client, &form, *version).await {
                Ok(Some(id)) => ids.push(id),
                Ok(None) => {}
                Err(error) => tracing::debug!("no query identifier: {error}"),
            }
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// Analyses a statement afresh (the user asked: the data, the sandbox or
    /// the model may have changed since, and a failed model is asked again)
    /// and keeps the result for code actions and "Explain plan"; the
    /// previous result stays offered until this one is done.
    pub async fn analyze(
        &self,
        request: &AnalyzeRequest,
        progress: &ProgressSender,
        cancel: &watch::Receiver<bool>,
    ) -> Arc<Analysis> {
        let analysis = Arc::new(self.run(request, progress, cancel).await);
        if !*cancel.borrow() {
            let key = (
                request.fingerprint,
                CatalogStamp::of(&request.snapshot.catalog),
            );
            lock(&self.cache).insert(key, analysis.clone());
        }
        analysis
    }

    async fn run(
        &self,
        request: &AnalyzeRequest,
        progress: &ProgressSender,
        cancel: &watch::Receiver<bool>,
    ) -> Analysis {
        let mut analysis = Analysis::default();
        let dollar = to_dollar_params(&request.statement).text;
        let snapshot = &request.snapshot;

        say(progress, "planning on the monitored database");
        let mut planner = match &self.config.planning {
            Some(planning) => match planning.client().await {
                Ok(client) => Some(client),
                Err(error) => {
                    analysis.notes.push(format!("no plan: {error}"));
                    None
                }
            },
            None => None,
        };
        if let Some(guard) = planner.as_mut() {
            let (client, version) = &mut **guard;
            match crate::plan::explain_generic(client, &dollar, *version, false).await {
                Ok(plan) => {
                    analysis.plan_markdown = Some(render_plan(&plan));
                    analysis.plan_findings =
                        plan_findings(&plan, &snapshot.catalog, &self.config.thresholds)
                            .into_iter()
                            .map(|finding| (finding.code, finding.message))
                            .collect();
                }
                Err(error) => analysis.notes.push(format!("no plan: {error}")),
            }
        }
        if *cancel.borrow() {
            return analysis;
        }

        let mut indexes: Vec<(IndexCandidate, Origin)> = request
            .facts
            .as_ref()
            .map(|facts| candidates::generate(facts, &snapshot.catalog))
            .unwrap_or_default()
            .into_iter()
            .map(|candidate| (candidate, rule_origin("index-advisor")))
            .collect();
        if indexes.is_empty() {
            analysis.notes.push(match &request.facts {
                Some(facts) if facts.tables.iter().all(|t| snapshot.catalog.table(&t.qualified_name()).is_none()) => {
                    "no index candidates: the statement's tables are not in the catalog (yet)".to_string()
                }
                Some(_) => "no index candidates: existing indexes already serve the statement's filters and orders, or it has none".to_string(),
                None => "no index candidates: the statement could not be parsed into tables and columns".to_string(),
            });
        }
        let mut rewrites: Vec<(RewriteCandidate, Origin)> = rewrite_candidates(&request.statement)
            .into_iter()
            .map(|candidate| {
                let origin = rule_origin(&candidate.source);
                (candidate, origin)
            })
            .collect();
        if let Some(ai) = &self.config.ai {
            say(progress, "asking the LLM");
            // The model sees the generic plan of the statement with its
            // literals as parameters: the plan of the text as written would
            // show the literal values in its conditions.
            let generic_plan = match planner.as_mut() {
                Some(guard) => {
                    let (client, version) = &mut **guard;
                    let parameterized = crate::ai::literals::parameterize(&dollar).text;
                    crate::plan::explain_generic(client, &parameterized, *version, false)
                        .await
                        .ok()
                        .map(|plan| render_plan(&plan))
                }
                None => None,
            };
            match ai.suggest(request, generic_plan.as_deref(), cancel).await {
                Ok(suggested) => {
                    let origin = Origin::Ai {
                        model: suggested.model.clone(),
                        explanation: suggested.explanation.clone(),
                    };
                    analysis.ai_explanation = Some(suggested.explanation.clone());
                    analysis.notes.extend(
                        suggested
                            .dropped
                            .iter()
                            .map(|d| format!("AI suggestion dropped: {d}")),
                    );
                    for candidate in suggested.indexes {
                        if !indexes
                            .iter()
                            .any(|(known, _)| known.definition == candidate.definition)
                        {
                            indexes.push((candidate, origin.clone()));
                        }
                    }
                    if let Some(rewrite) = suggested.rewrite {
                        rewrites.push((rewrite, origin));
                    }
                }
                Err(failure) => {
                    let prefix = if failure.first_of_kind {
                        AI_FAILURE_TOLD
                    } else {
                        AI_FAILURE_AGAIN
                    };
                    analysis.notes.push(format!("{prefix}{}", failure.message));
                }
            }
        }

        let accepted = self
            .validate_indexes(
                &dollar,
                indexes,
                planner.as_mut(),
                progress,
                cancel,
                &mut analysis,
            )
            .await;
        let weighed = match planner.as_mut() {
            Some(guard) if !accepted.is_empty() => {
                say(progress, "weighing indexes across the workload");
                let (client, version) = &mut **guard;
                weigh_indexes(
                    client,
                    *version,
                    request,
                    accepted,
                    self.config.min_improvement_percent,
                )
                .await
            }
            _ => accepted
                .into_iter()
                .map(|(mut action, comparison)| {
                    action.plan_comparison = comparison;
                    action
                })
                .collect(),
        };
        analysis.actions.extend(weighed);
        self.validate_rewrites(request, rewrites, progress, cancel, &mut analysis)
            .await;
        analysis
    }

    /// HypoPG first (cheap, on the monitored session), then the sandbox for
    /// the most promising; returns actions with the hypothetical plans.
    async fn validate_indexes(
        &self,
        dollar: &str,
        candidates: Vec<(IndexCandidate, Origin)>,
        mut planner: Option<&mut PlannerGuard>,
        progress: &ProgressSender,
        cancel: &watch::Receiver<bool>,
        analysis: &mut Analysis,
    ) -> Vec<(ValidatedAction, Option<String>)> {
        let hypopg = match planner.as_mut() {
            Some(guard) => crate::plan::hypopg_available(&guard.0)
                .await
                .unwrap_or(false),
            None => false,
        };
        let mut estimated: Vec<(IndexCandidate, Origin, Evidence, Option<String>)> = Vec::new();
        for (candidate, origin) in candidates {
            if *cancel.borrow() {
                return Vec::new();
            }
            let Some(guard) = planner.as_deref_mut().filter(|_| hypopg) else {
                // Without HypoPG every candidate goes to the sandbox as is.
                estimated.push((candidate, origin, unknown_estimate(), None));
                continue;
            };
            let (client, version) = &mut **guard;
            say(progress, format!("HypoPG: {}", candidate.definition));
            match evaluate_index_with_plans(
                client,
                dollar,
                &candidate,
                *version,
                self.config.min_improvement_percent,
            )
            .await
            {
                Ok(evaluated) => match evaluated.verdict {
                    Verdict::Accepted { evidence } => {
                        let comparison = render_comparison(&evaluated.before, &evaluated.after);
                        estimated.push((candidate, origin, evidence, Some(comparison)));
                    }
                    Verdict::Rejected { reason } | Verdict::Undecidable { reason } => {
                        analysis
                            .notes
                            .push(format!("{}: {reason}", candidate.definition));
                    }
                },
                Err(error) => analysis
                    .notes
                    .push(format!("{}: {error}", candidate.definition)),
            }
        }
        if !hypopg && self.config.sandbox.is_none() {
            if !estimated.is_empty() {
                analysis.notes.push(
                    "index candidates cannot be validated: install HypoPG in the monitored database \
                     (CREATE EXTENSION hypopg) or configure sandbox.url"
                        .into(),
                );
            }
            return Vec::new();
        }
        estimated.sort_by(|a, b| ratio(&a.2).total_cmp(&ratio(&b.2)));
        let Some(sandbox) = &self.config.sandbox else {
            return estimated
                .into_iter()
                .map(|(candidate, origin, evidence, plans)| {
                    (index_action(candidate, origin, evidence), plans)
                })
                .collect();
        };
        let mut timed = Vec::new();
        for (candidate, origin, _, plans) in estimated.into_iter().take(SANDBOX_INDEX_TRIALS) {
            if *cancel.borrow() {
                break;
            }
            say(
                progress,
                format!("sandbox: timing {}", candidate.definition),
            );
            match sandbox.validate_index(dollar, &candidate, cancel).await {
                Ok(Verdict::Accepted { evidence }) => {
                    timed.push((index_action(candidate, origin, evidence), plans))
                }
                Ok(Verdict::Rejected { reason } | Verdict::Undecidable { reason }) => {
                    analysis.notes.push(format!(
                        "sandbox rejected {}: {reason}",
                        candidate.definition
                    ))
                }
                Err(error) => analysis.notes.push(format!("sandbox: {error}")),
            }
        }
        timed
    }

    /// Rewrites are offered only when the sandbox proved the same rows, faster.
    async fn validate_rewrites(
        &self,
        request: &AnalyzeRequest,
        rewrites: Vec<(RewriteCandidate, Origin)>,
        progress: &ProgressSender,
        cancel: &watch::Receiver<bool>,
        analysis: &mut Analysis,
    ) {
        if rewrites.is_empty() {
            return;
        }
        let Some(sandbox) = &self.config.sandbox else {
            analysis.notes.push(
                "rewrites need sandbox.url to be compared row for row; none is configured".into(),
            );
            return;
        };
        for (candidate, origin) in rewrites {
            if *cancel.borrow() {
                return;
            }
            say(
                progress,
                format!("sandbox: comparing rewrite ({})", candidate.summary),
            );
            match sandbox
                .validate_rewrite(&request.statement, &candidate, cancel)
                .await
            {
                Ok(Verdict::Accepted { evidence }) => analysis.actions.push(ValidatedAction {
                    kind: ActionKind::Rewrite { candidate },
                    origin,
                    evidence,
                    plan_comparison: None,
                }),
                Ok(Verdict::Rejected { reason } | Verdict::Undecidable { reason }) => {
                    analysis.notes.push(format!(
                        "rewrite ({}) not offered: {reason}",
                        candidate.summary
                    ))
                }
                Err(error) => analysis.notes.push(format!("sandbox: {error}")),
            }
        }
    }
}

fn rule_origin(rule: &str) -> Origin {
    Origin::Rule {
        rule: rule.to_string(),
    }
}

fn index_action(candidate: IndexCandidate, origin: Origin, evidence: Evidence) -> ValidatedAction {
    ValidatedAction {
        kind: ActionKind::Index {
            candidate,
            projected: None,
        },
        origin,
        evidence,
        plan_comparison: None,
    }
}

/// Placeholder evidence for candidates that skip HypoPG (only the sandbox's
/// verdict will count for them).
fn unknown_estimate() -> Evidence {
    Evidence::PlannerEstimate {
        cost_before: 0.0,
        cost_after: 0.0,
        index_used: false,
    }
}

fn ratio(evidence: &Evidence) -> f64 {
    evidence.ratio().unwrap_or(1.0)
}
