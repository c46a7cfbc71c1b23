//! The LLM behind the advisor, when `ai.baseUrl` and `ai.model` are set:
//! the advisor asks through [`AiSuggester`]; this adapter builds the
//! context (DESIGN rule 5: what leaves the machine is listed in the README),
//! asks the `ai` service (gated, cached) and hands back candidates in the
//! user's own parameter style.

use std::sync::Arc;

use tokio::sync::watch;

use crate::advisor::service::{AiCandidates, AiFailure, AiSuggester, AnalyzeRequest, BoxFuture};
use crate::ai::Service;
use crate::ai::context::{AiContext, StatsContext};
use crate::config::Settings;
use crate::sql::params::{restore_style, to_dollar_params};

struct AiAdapter {
    service: Service,
    send_literals: bool,
}

/// The suggester for the current settings, or None when AI is off.
pub fn suggester(settings: &Settings) -> Result<Option<Arc<dyn AiSuggester>>, String> {
    if !settings.ai.is_enabled() {
        return Ok(None);
    }
    let service = Service::new(&settings.ai, None).map_err(|error| format!("ai: {error}"))?;
    Ok(service.map(|service| {
        Arc::new(AiAdapter {
            service,
            send_literals: settings.ai.send_literals,
        }) as Arc<dyn AiSuggester>
    }))
}

impl AiSuggester for AiAdapter {
    fn suggest<'a>(
        &'a self,
        request: &'a AnalyzeRequest,
        plan: Option<&'a str>,
        cancel: &'a watch::Receiver<bool>,
    ) -> BoxFuture<'a, Result<AiCandidates, AiFailure>> {
        Box::pin(async move {
            let original = to_dollar_params(&request.statement);
            let tables = request
                .facts
                .as_ref()
                .map(|facts| facts.tables.clone())
                .unwrap_or_default();
            let snapshot = &request.snapshot;
            let stats = snapshot
                .stats_for(request.fingerprint)
                .and_then(|(_, stats)| {
                    StatsContext::from_cumulative(&stats.cumulative, snapshot.share_percent(stats))
                });
            let context = AiContext::build(
                &original.text,
                self.send_literals,
                &tables,
                &snapshot.catalog,
                plan.map(str::to_string),
                stats,
            );
            // `plan` is the generic plan of the parameterized statement
            // (the advisor makes it so): it shows no literal values.
            let key = self.service.cache_key(request.fingerprint, &context);
            let gated = match self.service.suggestions_for(&key, &context, cancel).await {
                Ok(gated) => gated,
                // Told once per kind of failure; afterwards only a note.
                Err(error) => {
                    return Err(AiFailure {
                        message: error.to_string(),
                        first_of_kind: self.service.failure_message(&error).is_some(),
                    });
                }
            };
            let mut dropped: Vec<String> = gated
                .dropped
                .iter()
                .map(|drop| format!("`{}`: {}", drop.text, drop.reason))
                .collect();
            // The model answered in `$n`; the edit keeps the user's style.
            let rewrite = match gated.rewrite {
                Some(mut rewrite) => match restore_style(&rewrite.text, &original) {
                    Ok(text) => {
                        rewrite.text = text;
                        Some(rewrite)
                    }
                    Err(error) => {
                        dropped.push(format!(
                            "rewrite: cannot keep the statement's parameter style ({error})"
                        ));
                        None
                    }
                },
                None => None,
            };
            Ok(AiCandidates {
                model: gated.model,
                explanation: gated.explanation,
                indexes: gated.indexes,
                rewrite,
                dropped,
            })
        })
    }
}
