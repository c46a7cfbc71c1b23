//! Arguments of `optischema check` and their wiring to the check module.

use std::path::PathBuf;

use clap::Args;

use crate::analysis::finding::Severity;
use crate::check::{self, CheckOptions, EXIT_TROUBLE, Format};
use crate::config::{SETTINGS_FILE, Settings, SettingsLayer, read_settings_file};
use crate::db::ConnSpec;
use crate::stats::oneshot;
use crate::stats::snapshot::Snapshot;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Exit 1 when a finding at or above this severity exists.
    #[arg(long, value_parser = parse_severity, default_value = "warning")]
    fail_on: Severity,
    /// Settings file (default: optischema.toml in the current directory, if any).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Read live numbers from this database (libpq URI or key=value string;
    /// default: `database.url` from the settings file). Never written to.
    #[arg(long)]
    database: Option<String>,
    /// Files or folders (searched recursively for *.sql).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    Severity::parse(text)
        .ok_or_else(|| format!("`{text}` is not one of error, warning, info, hint"))
}

fn load_settings(config: Option<&PathBuf>) -> Result<Settings, String> {
    let layer = match config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
            Some(SettingsLayer::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?)
        }
        None => {
            let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
            read_settings_file(&cwd).map_err(|e| format!("{SETTINGS_FILE}: {e}"))?
        }
    };
    Ok(Settings::from_layers(layer.iter()))
}

pub fn run(args: CheckArgs) -> u8 {
    let settings = match load_settings(args.config.as_ref()) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("optischema check: {message}");
            return EXIT_TROUBLE;
        }
    };
    let database = args.database.or_else(|| settings.database_url.clone());
    let snapshot = match database {
        Some(url) => match read_statistics(&url) {
            Ok(snapshot) => snapshot,
            Err(message) => {
                eprintln!("optischema check: {message}");
                return EXIT_TROUBLE;
            }
        },
        None => Snapshot::empty(),
    };
    let options = CheckOptions {
        paths: args.paths,
        format: args.format,
        fail_on: args.fail_on,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    check::run(&options, &settings, &snapshot, &mut out)
}

/// One read of pg_stat_statements; warnings go to stderr.
fn read_statistics(url: &str) -> Result<Snapshot, String> {
    let spec = ConnSpec::parse(url).map_err(|error| format!("--database: {error}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))?;
    let (snapshot, warnings) = runtime
        .block_on(oneshot::snapshot(&spec))
        .map_err(|error| format!("cannot read statistics from {}: {error}", spec.redacted()))?;
    for warning in warnings {
        eprintln!("optischema check: {warning}");
    }
    Ok(snapshot)
}
