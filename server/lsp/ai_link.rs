//! The LLM behind the advisor, when `ai.*` is configured.

use std::sync::Arc;

use crate::advisor::service::AiSuggester;
use crate::config::Settings;

/// The suggester for the current settings, or None when AI is off.
pub fn suggester(settings: &Settings) -> Result<Option<Arc<dyn AiSuggester>>, String> {
    if !settings.ai.is_enabled() {
        return Ok(None);
    }
    Ok(None)
}
