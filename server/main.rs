//! The `optischema` command: language server, CI check, doctor and demo.

use std::process::ExitCode;

use clap::Parser;

use optischema::cli::{Cli, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    run(cli)
}
