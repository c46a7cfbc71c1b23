//! Arguments of `optischema doctor` and their wiring to the doctor module.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::db::ProcessEnvironment;
use crate::doctor::{self, CheckLine, DoctorOptions, LineSink, Report};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DoctorFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The monitored database (libpq URI or key=value string; default:
    /// `database.url` from the settings, else DATABASE_URL, else PG*).
    #[arg(long)]
    database: Option<String>,
    /// The sandbox database (default: `sandbox.url` from the settings).
    #[arg(long)]
    sandbox: Option<String>,
    /// Settings file (default: optischema.toml in the current directory, if any).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: DoctorFormat,
}

/// Exit codes: 0 all needed checks passed (warnings allowed), 1 one failed,
/// 2 the doctor itself could not run.
pub fn run(args: DoctorArgs) -> u8 {
    let options = DoctorOptions {
        database: args.database,
        sandbox: args.sandbox,
        config: args.config,
        cwd: doctor::current_dir(),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("optischema doctor: cannot start the async runtime: {error}");
            return 2;
        }
    };
    let text = args.format == DoctorFormat::Text;
    let colour = text && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    // Text lines are printed as each check finishes; JSON at the end.
    let sink: Option<LineSink> = text.then(|| {
        Box::new(move |line: &CheckLine| {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            let _ = line.write_text(&mut out, colour);
            let _ = out.flush();
        }) as LineSink
    });
    let mut report = Report::new(sink);
    runtime.block_on(doctor::diagnose(&options, &ProcessEnvironment, &mut report));
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if text {
        writeln!(out, "\n{}", report.summary())
    } else {
        report.write_json(&mut out)
    };
    if let Err(error) = written
        && error.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("optischema doctor: cannot write the report: {error}");
        return 2;
    }
    if report.ok() { 0 } else { 1 }
}
