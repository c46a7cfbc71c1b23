//! Arguments of `optischema demo` and their wiring to the demo module.

use std::path::PathBuf;

use clap::Args;

use tokio::signal::unix::{SignalKind, signal};

use crate::demo::{self, DEFAULT_ORDERS, DEFAULT_SECONDS, DemoError, DemoOptions, Progress};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Leave the demo database running afterwards and print its URL, to
    /// point an editor at it (an interrupted or failed demo is removed anyway).
    #[arg(long)]
    keep: bool,
    /// The examples directory (default: ./examples, else the source tree's).
    #[arg(long, value_name = "DIR")]
    examples: Option<PathBuf>,
    /// Orders to generate (tests use fewer).
    #[arg(long, hide = true, default_value_t = DEFAULT_ORDERS)]
    rows: u64,
    /// Seconds the workload runs (tests use fewer).
    #[arg(long, hide = true, default_value_t = DEFAULT_SECONDS)]
    seconds: f64,
}

/// Exit codes: 0 done, 1 the demo failed, 130 interrupted (Ctrl-C or SIGTERM).
pub fn run(args: DemoArgs) -> u8 {
    let options = DemoOptions {
        keep: args.keep,
        orders: args.rows,
        seconds: args.seconds,
        examples: args.examples,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("optischema demo: cannot start the async runtime: {error}");
            return 1;
        }
    };
    let progress = Progress::new(false);
    let outcome = runtime.block_on(async {
        // Installed before anything starts, so that an early Ctrl-C is
        // caught too rather than killing the process with the cluster up.
        let (Ok(mut interrupt), Ok(mut terminate)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return Some(Err(DemoError::Io(
                "cannot install the Ctrl-C handler".into(),
            )));
        };
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        // A signal drops the demo's future: the cluster's Drop stops the
        // server and removes its directory.
        tokio::select! {
            biased;
            _ = interrupt.recv() => None,
            _ = terminate.recv() => None,
            outcome = demo::run(&options, progress, &mut out) => Some(outcome),
        }
    });
    match outcome {
        Some(Ok(())) => 0,
        Some(Err(error)) => {
            eprintln!("optischema demo: {error}");
            1
        }
        None => {
            eprintln!("optischema demo: interrupted; the demo cluster was stopped and removed");
            130
        }
    }
}
