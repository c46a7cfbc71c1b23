//! Settings: one object, the same everywhere — `initializationOptions`, the
//! `optischema` section of `workspace/configuration`, and `optischema.toml`
//! at the workspace root. Explicit beats implicit: editor settings override
//! the file, which overrides the environment (`DATABASE_URL`, `PG*`).

mod layer;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::analysis::finding::Severity;

pub use layer::SettingsLayer;

/// The file name looked up at the workspace root.
pub const SETTINGS_FILE: &str = "optischema.toml";

/// How a rule is configured: off, or at a severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSetting {
    Off,
    Severity(Severity),
}

impl<'de> Deserialize<'de> for RuleSetting {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.eq_ignore_ascii_case("off") {
            return Ok(RuleSetting::Off);
        }
        Severity::parse(&text).map(RuleSetting::Severity).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not a rule setting; use \"off\", \"hint\", \"info\", \"warning\" or \"error\""
            ))
        })
    }
}

/// Thresholds for the statistics diagnostics.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// `slow-statement`: mean execution time above this (ms).
    pub slow_mean_ms: f64,
    /// `hot-statement`: share of the database's execution time in the recent window (%).
    pub hot_share_percent: f64,
    /// `latency-regression`: recent mean above baseline by this much (%).
    pub regression_percent: f64,
    /// `latency-regression`: calls needed in the recent window to judge.
    pub regression_min_calls: u64,
    /// `temp-spill`: temp blocks written per call above this.
    pub temp_blocks_per_call: f64,
    /// `low-cache-hit`: shared-buffer hit ratio below this (%).
    pub cache_hit_percent: f64,
    /// `seq-scan-large-table`: tables above this many rows count as large.
    pub large_table_rows: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            slow_mean_ms: 100.0,
            hot_share_percent: 20.0,
            regression_percent: 50.0,
            regression_min_calls: 20,
            temp_blocks_per_call: 0.0,
            cache_hit_percent: 90.0,
            large_table_rows: 100_000.0,
        }
    }
}

/// Settings for the LLM provider; off unless `base_url` and `model` are set.
#[derive(Debug, Clone, PartialEq)]
pub struct AiSettings {
    pub base_url: Option<String>,
    pub model: Option<String>,
    /// Name of the environment variable that holds the API key (never the key itself).
    pub api_key_env: String,
    /// Send literal values instead of parameters (off: literals stay on this machine).
    pub send_literals: bool,
    pub timeout_seconds: f64,
    pub max_requests_per_minute: u32,
}

impl Default for AiSettings {
    fn default() -> Self {
        AiSettings {
            base_url: None,
            model: None,
            api_key_env: "OPENAI_API_KEY".into(),
            send_literals: false,
            timeout_seconds: 60.0,
            max_requests_per_minute: 20,
        }
    }
}

impl AiSettings {
    pub fn is_enabled(&self) -> bool {
        self.base_url.is_some() && self.model.is_some()
    }
}

/// Where applied index actions go.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationSettings {
    pub dir: String,
    /// Write the index into the current file instead of a new migration.
    pub in_current_file: bool,
}

impl Default for MigrationSettings {
    fn default() -> Self {
        MigrationSettings {
            dir: "migrations".into(),
            in_current_file: false,
        }
    }
}

/// The effective settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Explicit database URL from settings; `None` falls back to the environment.
    pub database_url: Option<String>,
    pub sandbox_url: Option<String>,
    pub stats_interval_seconds: f64,
    /// How often the catalog (tables, indexes, columns) is re-read.
    pub catalog_refresh_seconds: f64,
    /// Where history is kept; `None`: the user's cache directory.
    pub history_dir: Option<PathBuf>,
    pub thresholds: Thresholds,
    pub rules: BTreeMap<String, RuleSetting>,
    pub ai: AiSettings,
    pub migrations: MigrationSettings,
    /// Cost must drop by this share (%) for an index candidate to count.
    pub advisor_min_improvement_percent: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: None,
            sandbox_url: None,
            stats_interval_seconds: 10.0,
            catalog_refresh_seconds: 60.0,
            history_dir: None,
            thresholds: Thresholds::default(),
            rules: BTreeMap::new(),
            ai: AiSettings::default(),
            migrations: MigrationSettings::default(),
            advisor_min_improvement_percent: 50.0,
        }
    }
}

impl Settings {
    /// The severity to report `code` at, or `None` when switched off.
    pub fn rule_severity(&self, code: &str, default: Severity) -> Option<Severity> {
        match self.rules.get(code) {
            Some(RuleSetting::Off) => None,
            Some(RuleSetting::Severity(severity)) => Some(*severity),
            None => Some(default),
        }
    }

    /// Settings from layers applied in order (later layers win).
    pub fn from_layers<'a>(layers: impl IntoIterator<Item = &'a SettingsLayer>) -> Settings {
        let mut settings = Settings::default();
        for layer in layers {
            layer.apply_to(&mut settings);
        }
        settings
    }
}

/// Reads `optischema.toml` in `root`, if present.
pub fn read_settings_file(root: &Path) -> Result<Option<SettingsLayer>, String> {
    let path = root.join(SETTINGS_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
    };
    SettingsLayer::from_toml(&text)
        .map(Some)
        .map_err(|error| format!("{}: {error}", path.display()))
}

#[cfg(test)]
mod tests;
