//! The settings file, and which connection settings are in use and where
//! they came from (the same precedence as the editor: explicit beats
//! implicit).

use std::path::Path;

use super::report::{CheckLine, Report};
use crate::config::{SETTINGS_FILE, Settings, SettingsLayer, read_settings_file};
use crate::db::{ConnSpec, Environment};

/// Reads `--config FILE`, else `optischema.toml` in `cwd`; reports what it
/// found and returns the effective settings (defaults when unreadable).
pub fn load_settings(config: Option<&Path>, cwd: &Path, report: &mut Report) -> Settings {
    const CHECK: &str = "settings";
    let layer = match config {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => match SettingsLayer::from_toml(&text) {
                Ok(layer) => {
                    report.push(CheckLine::pass(
                        CHECK,
                        format!("{} is valid", path.display()),
                    ));
                    Some(layer)
                }
                Err(error) => {
                    report.push(invalid_file(path, &error));
                    None
                }
            },
            Err(error) => {
                report.push(CheckLine::fail(
                    CHECK,
                    format!("cannot read {}: {error}", path.display()),
                    "give --config the path of an existing optischema.toml",
                ));
                None
            }
        },
        None => match read_settings_file(cwd) {
            Ok(Some(layer)) => {
                let path = cwd.join(SETTINGS_FILE);
                report.push(CheckLine::pass(
                    CHECK,
                    format!("{} is valid", path.display()),
                ));
                Some(layer)
            }
            Ok(None) => {
                report.push(CheckLine::pass(
                    CHECK,
                    format!(
                        "no {SETTINGS_FILE} in {} (optional): defaults and the environment apply",
                        cwd.display()
                    ),
                ));
                None
            }
            Err(error) => {
                report.push(CheckLine::fail(
                    CHECK,
                    error,
                    format!(
                        "correct {SETTINGS_FILE} (keys are camelCase, e.g. [database] url = \"…\", \
                         [thresholds] slowMeanMs = 100)"
                    ),
                ));
                None
            }
        },
    };
    Settings::from_layers(layer.iter())
}

fn invalid_file(path: &Path, error: &str) -> CheckLine {
    CheckLine::fail(
        "settings",
        format!("{} is not valid: {error}", path.display()),
        "correct the file (keys are camelCase, e.g. [database] url = \"…\", \
         [thresholds] slowMeanMs = 100)",
    )
}

/// Where a connection's settings came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// `--database` / `--sandbox`.
    Flag(&'static str),
    /// `database.url` / `sandbox.url` in the settings.
    SettingsKey(&'static str),
    /// `DATABASE_URL`.
    DatabaseUrl,
    /// The libpq `PG*` variables; the names of those that are set.
    PgVariables(Vec<&'static str>),
}

impl SourceKind {
    pub fn describe(&self) -> String {
        match self {
            SourceKind::Flag(flag) => format!("from {flag}"),
            SourceKind::SettingsKey(key) => format!("from {key} in the settings"),
            SourceKind::DatabaseUrl => "from DATABASE_URL".to_owned(),
            SourceKind::PgVariables(names) => format!("from {}", names.join(", ")),
        }
    }
}

/// The libpq variables that name a server (or authenticate to it).
const PG_VARIABLES: &[&str] = &["PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"];

/// The monitored database: `--database`, else `database.url`, else
/// `DATABASE_URL`, else `PG*`. Reports the choice (password redacted).
pub fn monitored_database(
    flag: Option<&str>,
    settings: &Settings,
    env: &dyn Environment,
    report: &mut Report,
) -> Option<ConnSpec> {
    const CHECK: &str = "database";
    let explicit = flag
        .map(|url| (url.to_owned(), SourceKind::Flag("--database")))
        .or_else(|| {
            settings
                .database_url
                .clone()
                .map(|url| (url, SourceKind::SettingsKey("database.url")))
        });
    let resolved = match explicit {
        Some((url, kind)) => ConnSpec::parse_in(&url, env).map(|spec| Some((spec, kind))),
        None => ConnSpec::from_environment_in(env).map(|spec| {
            spec.map(|spec| {
                let kind = if env
                    .var("DATABASE_URL")
                    .is_some_and(|v| !v.trim().is_empty())
                {
                    SourceKind::DatabaseUrl
                } else {
                    SourceKind::PgVariables(
                        PG_VARIABLES
                            .iter()
                            .copied()
                            .filter(|name| env.var(name).is_some_and(|v| !v.is_empty()))
                            .collect(),
                    )
                };
                (spec, kind)
            })
        }),
    };
    match resolved {
        Ok(Some((spec, kind))) => {
            report.push(CheckLine::pass(
                CHECK,
                format!("{} ({})", spec.redacted(), kind.describe()),
            ));
            Some(spec)
        }
        Ok(None) => {
            report.push(CheckLine::fail(
                CHECK,
                "no database configured",
                "pass --database postgresql://USER@HOST:PORT/DBNAME, set [database] url in \
                 optischema.toml, or set DATABASE_URL (or PGHOST, PGDATABASE, PGUSER)",
            ));
            None
        }
        Err(error) => {
            report.push(CheckLine::fail(
                CHECK,
                format!("the connection settings cannot be used: {error}"),
                "correct the connection URL (postgresql://USER:PASSWORD@HOST:PORT/DBNAME) \
                 or the PG* variables",
            ));
            None
        }
    }
}

/// The sandbox: `--sandbox`, else `sandbox.url`; `None` when not configured
/// (reported as such: the sandbox is optional).
pub fn sandbox_database(
    flag: Option<&str>,
    settings: &Settings,
    env: &dyn Environment,
    report: &mut Report,
) -> Option<ConnSpec> {
    const CHECK: &str = "sandbox";
    let (url, kind) = match flag {
        Some(url) => (url.to_owned(), SourceKind::Flag("--sandbox")),
        None => match &settings.sandbox_url {
            Some(url) => (url.clone(), SourceKind::SettingsKey("sandbox.url")),
            None => {
                report.push(CheckLine::pass(
                    CHECK,
                    "not configured (optional): index suggestions are judged by HypoPG \
                     estimates only and rewrites are not offered; set [sandbox] url to a copy \
                     of the database to have them timed",
                ));
                return None;
            }
        },
    };
    match ConnSpec::parse_in(&url, env) {
        Ok(spec) => {
            report.push(CheckLine::pass(
                CHECK,
                format!("{} ({})", spec.redacted(), kind.describe()),
            ));
            Some(spec)
        }
        Err(error) => {
            report.push(CheckLine::fail(
                CHECK,
                format!("the sandbox connection settings cannot be used: {error}"),
                "correct the sandbox URL (postgresql://USER:PASSWORD@HOST:PORT/DBNAME)",
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::MapEnvironment;

    fn lines(report: &Report) -> Vec<String> {
        report
            .lines()
            .iter()
            .map(|line| format!("{} {}", line.status.symbol(), line.message))
            .collect()
    }

    #[test]
    fn explicit_flag_wins_and_the_password_is_hidden() {
        let env = MapEnvironment::with_vars([("DATABASE_URL", "postgresql://other@h/x")]);
        let settings = Settings {
            database_url: Some("postgresql://u@settings/db".into()),
            ..Settings::default()
        };
        let mut report = Report::new(None);
        let spec = monitored_database(
            Some("postgresql://app:s3cret@db.example:6543/shop"),
            &settings,
            &env,
            &mut report,
        )
        .expect("spec");
        assert_eq!(spec.dbname, "shop");
        let text = lines(&report).join("\n");
        assert!(text.contains("from --database"), "{text}");
        assert!(!text.contains("s3cret"), "{text}");
    }

    #[test]
    fn environment_sources_are_named() {
        let env = MapEnvironment::with_vars([("PGHOST", "db"), ("PGUSER", "app")]);
        let mut report = Report::new(None);
        monitored_database(None, &Settings::default(), &env, &mut report).expect("spec");
        assert!(lines(&report)[0].contains("from PGHOST, PGUSER"));

        let env = MapEnvironment::with_vars([("DATABASE_URL", "postgresql://a@b/c")]);
        let mut report = Report::new(None);
        monitored_database(None, &Settings::default(), &env, &mut report).expect("spec");
        assert!(lines(&report)[0].contains("from DATABASE_URL"));
    }

    #[test]
    fn nothing_configured_fails_with_the_fix() {
        let env = MapEnvironment::with_vars([("USER", "me")]);
        let mut report = Report::new(None);
        assert!(monitored_database(None, &Settings::default(), &env, &mut report).is_none());
        let line = &report.lines()[0];
        assert_eq!(line.status, super::super::report::Status::Fail);
        assert!(line.fix.as_deref().unwrap_or("").contains("--database"));
    }
}
