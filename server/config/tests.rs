use serde_json::json;

use super::*;

#[test]
fn editor_settings_override_the_file() {
    let file = SettingsLayer::from_toml(
        r#"
        [database]
        url = "postgresql://file/db"
        [stats]
        intervalSeconds = 30
        [rules]
        select-star = "off"
        "#,
    )
    .unwrap();
    let editor = SettingsLayer::from_json(&json!({
        "database": {"url": "postgresql://editor/db"},
        "thresholds": {"slowMeanMs": 5},
        "rules": {"missing-where": "error"}
    }))
    .unwrap();
    let settings = Settings::from_layers([&file, &editor]);
    assert_eq!(
        settings.database_url.as_deref(),
        Some("postgresql://editor/db")
    );
    assert_eq!(settings.stats_interval_seconds, 30.0);
    assert_eq!(settings.thresholds.slow_mean_ms, 5.0);
    assert_eq!(
        settings.rule_severity("select-star", Severity::Warning),
        None
    );
    assert_eq!(
        settings.rule_severity("missing-where", Severity::Warning),
        Some(Severity::Error)
    );
    assert_eq!(
        settings.rule_severity("null-comparison", Severity::Warning),
        Some(Severity::Warning)
    );
}

#[test]
fn unknown_keys_and_bad_values_are_reported() {
    let error = SettingsLayer::from_json(&json!({"databse": {"url": "x"}})).unwrap_err();
    assert!(error.contains("databse"), "{error}");
    let error = SettingsLayer::from_json(&json!({"rules": {"select-star": "loud"}})).unwrap_err();
    assert!(error.contains("loud"), "{error}");
}

#[test]
fn null_is_an_empty_layer() {
    let settings =
        Settings::from_layers([&SettingsLayer::from_json(&serde_json::Value::Null).unwrap()]);
    assert_eq!(settings, Settings::default());
}

#[test]
fn settings_file_is_optional_and_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(read_settings_file(dir.path()), Ok(None));
    std::fs::write(
        dir.path().join(SETTINGS_FILE),
        "[stats]\nintervalSeconds = 'x'",
    )
    .unwrap();
    let error = read_settings_file(dir.path()).unwrap_err();
    assert!(error.contains(SETTINGS_FILE), "{error}");
}
