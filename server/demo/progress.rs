//! Progress lines on stderr, stamped with the time since the demo began, so
//! stdout carries only what the editor would show.

use std::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct Progress {
    started: Instant,
    quiet: bool,
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        Progress {
            started: Instant::now(),
            quiet,
        }
    }

    pub fn say(&self, message: impl AsRef<str>) {
        if !self.quiet {
            eprintln!(
                "[{:5.1}s] {}",
                self.started.elapsed().as_secs_f64(),
                message.as_ref()
            );
        }
    }

    pub fn elapsed_seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}
