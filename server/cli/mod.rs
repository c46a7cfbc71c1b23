//! Command-line interface: parsing and dispatch of the subcommands.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod check_command;
mod demo_command;
mod doctor_command;
mod logging;

/// PostgreSQL performance where SQL is written.
#[derive(Debug, Parser)]
#[command(name = "optischema", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the language server on stdio (editors start this).
    Lsp {
        /// Accepted for editors that always pass it; stdio is the only transport.
        #[arg(long)]
        stdio: bool,
    },
    /// Analyse .sql files (or folders, recursively) like the editor does; for CI.
    Check(check_command::CheckArgs),
    /// Check the connection, privileges, pg_stat_statements, HypoPG and the
    /// sandbox; say how to fix each problem.
    Doctor(doctor_command::DoctorArgs),
    /// Start a throwaway PostgreSQL with example data and a workload, and
    /// show what the editor would show for examples/queries/*.sql.
    ///
    /// The examples are read from --examples DIR, else from `examples/` in the
    /// current directory, else from the `examples/` of the source tree the
    /// binary was built from. PostgreSQL's server programs are found through
    /// OPTISCHEMA_PG_BIN, `pg_config --bindir`, /usr/lib/postgresql/<major>/bin
    /// or PATH. The cluster lives in /tmp on a private Unix socket and is
    /// removed at the end, also on Ctrl-C, unless --keep is given.
    Demo(demo_command::DemoArgs),
}

/// Runs the parsed command and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    logging::init();
    match cli.command {
        Command::Lsp { stdio: _ } => {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    eprintln!("optischema: cannot start the async runtime: {error}");
                    return ExitCode::from(2);
                }
            };
            runtime.block_on(crate::lsp::serve_stdio());
            ExitCode::SUCCESS
        }
        Command::Check(args) => ExitCode::from(check_command::run(args)),
        Command::Doctor(args) => ExitCode::from(doctor_command::run(args)),
        Command::Demo(args) => ExitCode::from(demo_command::run(args)),
    }
}
