//! The doctor's findings: one line per check, passed, a warning or failed,
//! with the fix for anything that is not fine. Plain data plus two renderings
//! (terminal text and JSON).

use std::io::Write;

use serde::Serialize;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    /// Works, but something is missing or risky; does not fail the run.
    Warn,
    /// Something OptiSchema needs does not work; the run exits 1.
    Fail,
}

impl Status {
    pub fn symbol(self) -> &'static str {
        match self {
            Status::Pass => "✓",
            Status::Warn => "!",
            Status::Fail => "✗",
        }
    }

    /// ANSI colour for terminals: green, yellow, red.
    fn colour(self) -> &'static str {
        match self {
            Status::Pass => "\x1b[32m",
            Status::Warn => "\x1b[33m",
            Status::Fail => "\x1b[31m",
        }
    }
}

/// One checked thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckLine {
    pub status: Status,
    /// What was checked, short: `connection`, `pg_stat_statements`, …
    pub check: &'static str,
    /// What was found.
    pub message: String,
    /// Exactly what to do about it (never for a pass).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl CheckLine {
    pub fn pass(check: &'static str, message: impl Into<String>) -> CheckLine {
        CheckLine {
            status: Status::Pass,
            check,
            message: message.into(),
            fix: None,
        }
    }

    pub fn warn(check: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        CheckLine {
            status: Status::Warn,
            check,
            message: message.into(),
            fix: Some(fix.into()),
        }
    }

    pub fn fail(check: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        CheckLine {
            status: Status::Fail,
            check,
            message: message.into(),
            fix: Some(fix.into()),
        }
    }

    /// `✓ check: message`, then `  fix: …` on its own line.
    pub fn write_text(&self, out: &mut dyn Write, colour: bool) -> std::io::Result<()> {
        let symbol = self.status.symbol();
        if colour {
            write!(out, "{}{symbol}\x1b[0m", self.status.colour())?;
        } else {
            write!(out, "{symbol}")?;
        }
        writeln!(out, " {}: {}", self.check, self.message)?;
        if let Some(fix) = &self.fix {
            writeln!(out, "    fix: {fix}")?;
        }
        Ok(())
    }
}

/// Called with each line as soon as its check finished, so a slow check
/// does not hide the ones before it.
pub type LineSink<'a> = Box<dyn FnMut(&CheckLine) + 'a>;

/// Every line, in the order the checks ran.
pub struct Report<'a> {
    lines: Vec<CheckLine>,
    sink: Option<LineSink<'a>>,
}

#[derive(Serialize)]
struct JsonReport<'r> {
    ok: bool,
    checks: &'r [CheckLine],
}

impl<'a> Report<'a> {
    pub fn new(sink: Option<LineSink<'a>>) -> Report<'a> {
        Report {
            lines: Vec::new(),
            sink,
        }
    }

    pub fn push(&mut self, line: CheckLine) {
        if let Some(sink) = self.sink.as_mut() {
            sink(&line);
        }
        self.lines.push(line);
    }

    pub fn lines(&self) -> &[CheckLine] {
        &self.lines
    }

    /// Whether everything needed passed (warnings allowed).
    pub fn ok(&self) -> bool {
        self.lines.iter().all(|line| line.status != Status::Fail)
    }

    /// `N checks: x passed, y warning(s), z failed`.
    pub fn summary(&self) -> String {
        let count = |status| self.lines.iter().filter(|l| l.status == status).count();
        format!(
            "{} check(s): {} passed, {} warning(s), {} failed",
            self.lines.len(),
            count(Status::Pass),
            count(Status::Warn),
            count(Status::Fail)
        )
    }

    pub fn write_json(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let report = JsonReport {
            ok: self.ok(),
            checks: &self.lines,
        };
        serde_json::to_writer_pretty(&mut *out, &report).map_err(std::io::Error::other)?;
        writeln!(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lines_carry_the_fix() {
        let line = CheckLine::fail("pg_stat_statements", "not installed", "CREATE EXTENSION x;");
        let mut out = Vec::new();
        line.write_text(&mut out, false).expect("write");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "✗ pg_stat_statements: not installed\n    fix: CREATE EXTENSION x;\n"
        );
    }

    #[test]
    fn warnings_do_not_fail_the_run() {
        let mut report = Report::new(None);
        report.push(CheckLine::pass("a", "fine"));
        report.push(CheckLine::warn("b", "meh", "do y"));
        assert!(report.ok());
        report.push(CheckLine::fail("c", "broken", "do z"));
        assert!(!report.ok());
        assert_eq!(
            report.summary(),
            "3 check(s): 1 passed, 1 warning(s), 1 failed"
        );
    }

    #[test]
    fn json_has_status_and_fix() {
        let mut report = Report::new(None);
        report.push(CheckLine::warn(
            "privileges",
            "hidden",
            "GRANT pg_read_all_stats TO x;",
        ));
        let mut out = Vec::new();
        report.write_json(&mut out).expect("write");
        let value: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(value["ok"], true);
        assert_eq!(value["checks"][0]["status"], "warn");
        assert_eq!(value["checks"][0]["fix"], "GRANT pg_read_all_stats TO x;");
    }
}
