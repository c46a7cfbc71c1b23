//! One source of settings (editor, file), where every key is optional.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::{RuleSetting, Settings};

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DatabaseLayer {
    url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StatsLayer {
    interval_seconds: Option<f64>,
    catalog_refresh_seconds: Option<f64>,
    history_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ThresholdsLayer {
    slow_mean_ms: Option<f64>,
    hot_share_percent: Option<f64>,
    regression_percent: Option<f64>,
    regression_min_calls: Option<u64>,
    temp_blocks_per_call: Option<f64>,
    cache_hit_percent: Option<f64>,
    large_table_rows: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AiLayer {
    base_url: Option<String>,
    model: Option<String>,
    api_key_env: Option<String>,
    send_literals: Option<bool>,
    timeout_seconds: Option<f64>,
    max_requests_per_minute: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MigrationsLayer {
    dir: Option<String>,
    in_current_file: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AdvisorLayer {
    min_improvement_percent: Option<f64>,
}

/// Settings from one source; absent keys leave lower layers in force.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsLayer {
    #[serde(default)]
    database: DatabaseLayer,
    #[serde(default)]
    sandbox: DatabaseLayer,
    #[serde(default)]
    stats: StatsLayer,
    #[serde(default)]
    thresholds: ThresholdsLayer,
    #[serde(default)]
    rules: BTreeMap<String, RuleSetting>,
    #[serde(default)]
    ai: AiLayer,
    #[serde(default)]
    migrations: MigrationsLayer,
    #[serde(default)]
    advisor: AdvisorLayer,
}

fn set<T: Clone>(target: &mut T, value: &Option<T>) {
    if let Some(value) = value {
        *target = value.clone();
    }
}

impl SettingsLayer {
    /// From editor JSON (`initializationOptions` or the `optischema` section).
    /// `null` is an empty layer.
    pub fn from_json(value: &serde_json::Value) -> Result<SettingsLayer, String> {
        if value.is_null() {
            return Ok(SettingsLayer::default());
        }
        SettingsLayer::deserialize(value).map_err(|error| error.to_string())
    }

    pub fn from_toml(text: &str) -> Result<SettingsLayer, String> {
        toml::from_str(text).map_err(|error| error.to_string())
    }

    pub fn with_database_url(mut self, url: Option<String>) -> SettingsLayer {
        if url.is_some() {
            self.database.url = url;
        }
        self
    }

    pub(super) fn apply_to(&self, settings: &mut Settings) {
        if self.database.url.is_some() {
            settings.database_url = self.database.url.clone();
        }
        if self.sandbox.url.is_some() {
            settings.sandbox_url = self.sandbox.url.clone();
        }
        set(
            &mut settings.stats_interval_seconds,
            &self.stats.interval_seconds,
        );
        set(
            &mut settings.catalog_refresh_seconds,
            &self.stats.catalog_refresh_seconds,
        );
        if self.stats.history_dir.is_some() {
            settings.history_dir = self.stats.history_dir.clone();
        }
        let thresholds = &mut settings.thresholds;
        set(&mut thresholds.slow_mean_ms, &self.thresholds.slow_mean_ms);
        set(
            &mut thresholds.hot_share_percent,
            &self.thresholds.hot_share_percent,
        );
        set(
            &mut thresholds.regression_percent,
            &self.thresholds.regression_percent,
        );
        set(
            &mut thresholds.regression_min_calls,
            &self.thresholds.regression_min_calls,
        );
        set(
            &mut thresholds.temp_blocks_per_call,
            &self.thresholds.temp_blocks_per_call,
        );
        set(
            &mut thresholds.cache_hit_percent,
            &self.thresholds.cache_hit_percent,
        );
        set(
            &mut thresholds.large_table_rows,
            &self.thresholds.large_table_rows,
        );
        for (code, setting) in &self.rules {
            settings.rules.insert(code.clone(), *setting);
        }
        let ai = &mut settings.ai;
        if self.ai.base_url.is_some() {
            ai.base_url = self.ai.base_url.clone();
        }
        if self.ai.model.is_some() {
            ai.model = self.ai.model.clone();
        }
        set(&mut ai.api_key_env, &self.ai.api_key_env);
        set(&mut ai.send_literals, &self.ai.send_literals);
        set(&mut ai.timeout_seconds, &self.ai.timeout_seconds);
        set(
            &mut ai.max_requests_per_minute,
            &self.ai.max_requests_per_minute,
        );
        set(&mut settings.migrations.dir, &self.migrations.dir);
        set(
            &mut settings.migrations.in_current_file,
            &self.migrations.in_current_file,
        );
        set(
            &mut settings.advisor_min_improvement_percent,
            &self.advisor.min_improvement_percent,
        );
    }
}
