//! Hover text, as Markdown: the statement under the cursor with its live
//! numbers, or the table under the cursor with its catalog facts.

use std::fmt::Write;
use std::ops::Range;
use std::time::SystemTime;

use super::diagnostics::{AdviceView, AppliedIndex};
use super::format::{bytes, count, duration_ms, grouped, sparkline, trend};
use super::lens::calls_per_minute;
use crate::document::{Document, Statement};
use crate::sql::facts::QueryFacts;
use crate::sql::fingerprint::Fingerprint;
use crate::sql::lexer::{Lexer, TokenKind};
use crate::stats::collector::unix_seconds;
use crate::stats::model::TableInfo;
use crate::stats::snapshot::{ConnectionStatus, Snapshot, StatementStats, mean_ms};

/// What a hover shows and which text it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct HoverInfo {
    pub range: Range<usize>,
    pub markdown: String,
}

/// Buckets in the latency sparkline.
const SPARKLINE_BUCKETS: usize = 24;

/// The hover for byte `offset`, if it is inside a statement.
pub fn hover(document: &Document, offset: usize, snapshot: &Snapshot) -> Option<HoverInfo> {
    hover_with_advice(document, offset, snapshot, &AdviceView::default())
}

/// Like [`hover`], with the advisor's results (the impact of applied indexes).
pub fn hover_with_advice(
    document: &Document,
    offset: usize,
    snapshot: &Snapshot,
    advice: &AdviceView,
) -> Option<HoverInfo> {
    let statement = document.statement_at(offset)?;
    let facts = statement
        .analysis
        .facts_of(document.statement_text(statement));
    if let Some(info) = table_hover(document, statement, facts.as_ref(), offset, snapshot) {
        return Some(info);
    }
    let analysis = &statement.analysis;
    let mut markdown = String::new();
    let _ = writeln!(markdown, "**{}** statement", analysis.kind.label());
    match &facts {
        Some(facts) if !facts.tables.is_empty() => {
            let names: Vec<String> = facts
                .tables
                .iter()
                .map(|table| match &table.alias {
                    Some(alias) => format!("`{}` (as `{alias}`)", table.qualified_name()),
                    None => format!("`{}`", table.qualified_name()),
                })
                .collect();
            let _ = writeln!(markdown, "\nTables: {}", names.join(", "));
        }
        _ if analysis.syntax_error.is_some() => {
            let _ = writeln!(markdown, "\nPostgreSQL cannot parse this statement.");
        }
        _ => {}
    }
    stats_section(&mut markdown, analysis.fingerprint, snapshot);
    if let Some(applied) = advice.impacts.get(&analysis.fingerprint) {
        impact_section(&mut markdown, analysis.fingerprint, applied, snapshot);
    }
    let _ = writeln!(
        markdown,
        "\n<sub>fingerprint `{}`</sub>",
        analysis.fingerprint
    );
    Some(HoverInfo {
        range: statement.span.range.clone(),
        markdown,
    })
}

fn age(snapshot: &Snapshot) -> String {
    let Some(refreshed) = snapshot.refreshed_at else {
        return "never".into();
    };
    let seconds = SystemTime::now()
        .duration_since(refreshed)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64());
    format!("{} ago", duration_ms(seconds * 1000.0))
}

fn stats_section(markdown: &mut String, fingerprint: Fingerprint, snapshot: &Snapshot) {
    match &snapshot.status {
        ConnectionStatus::NotConfigured => {
            let _ = writeln!(
                markdown,
                "\n_No database configured: set `optischema.database.url` (or `DATABASE_URL` / `PGHOST`…) for live numbers._"
            );
            return;
        }
        ConnectionStatus::Connecting => {
            let _ = writeln!(markdown, "\n_Connecting to the database…_");
            return;
        }
        ConnectionStatus::Unavailable { reason } => {
            let _ = writeln!(markdown, "\n_Statistics unavailable: {reason}_");
            return;
        }
        ConnectionStatus::Live | ConnectionStatus::Stale { .. } => {}
    }
    let Some((matched, stats)) = snapshot.stats_for(fingerprint) else {
        let since = snapshot
            .watching_since
            .and_then(|since| SystemTime::now().duration_since(since).ok())
            .map_or("now".to_string(), |elapsed| {
                format!("{} ago", duration_ms(elapsed.as_secs_f64() * 1000.0))
            });
        let _ = writeln!(
            markdown,
            "\nNot seen in `pg_stat_statements` (watching since {since})."
        );
        return;
    };
    let _ = writeln!(markdown, "\n{}", stats_table(stats, snapshot));
    if let Some(line) = trend_line(matched, stats, snapshot) {
        let _ = writeln!(markdown, "{line}\n");
    }
    let stale = match &snapshot.status {
        ConnectionStatus::Stale { reason } => format!(" — **stale**: {reason}"),
        _ => String::new(),
    };
    let ids: Vec<String> = stats.queryids.iter().map(|id| id.to_string()).collect();
    let _ = writeln!(
        markdown,
        "<sub>refreshed {}{stale} · queryid {}</sub>",
        age(snapshot),
        ids.join(", ")
    );
}

fn stats_table(stats: &StatementStats, snapshot: &Snapshot) -> String {
    let total = &stats.cumulative;
    let mut rows = vec![("calls".to_string(), {
        let mut calls = grouped(total.calls);
        if let Some(rate) = calls_per_minute(stats, snapshot) {
            let _ = write!(calls, " · {}/min recently", count(rate));
        }
        calls
    })];
    if let Some(mean) = total.mean_ms() {
        rows.push((
            "time".into(),
            format!(
                "mean {} · min {} · max {} · σ {}",
                duration_ms(mean),
                duration_ms(total.min_ms),
                duration_ms(total.max_ms),
                duration_ms(total.stddev_ms)
            ),
        ));
    }
    if let Some(recent) = mean_ms(&stats.recent) {
        rows.push(("recent mean".into(), duration_ms(recent)));
    }
    if let Some(share) = snapshot.share_percent(stats) {
        rows.push(("share of DB time".into(), format!("{share:.1}%")));
    }
    if total.calls > 0 {
        rows.push((
            "rows per call".into(),
            count(total.rows as f64 / total.calls as f64),
        ));
    }
    let blocks = total.shared_blks_hit + total.shared_blks_read;
    if blocks > 0 {
        rows.push((
            "cache hit".into(),
            format!(
                "{:.1}% of {} blocks",
                100.0 * total.shared_blks_hit as f64 / blocks as f64,
                grouped(blocks)
            ),
        ));
    }
    rows.push((
        "temp blocks written".into(),
        grouped(total.temp_blks_written),
    ));
    let mut table = String::from("| | |\n|---|---|\n");
    for (name, value) in rows {
        let _ = writeln!(table, "| {name} | {value} |");
    }
    table
}

/// Mean latency in the baseline window before an applied index appeared,
/// and since.
fn impact_section(
    markdown: &mut String,
    fingerprint: Fingerprint,
    applied: &AppliedIndex,
    snapshot: &Snapshot,
) {
    let Some(history) = snapshot.history.as_ref() else {
        return;
    };
    let history = history
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let appeared = unix_seconds(applied.appeared_at);
    let now = snapshot.refreshed_at.map_or(appeared, unix_seconds) + 1;
    let before = history.window(
        fingerprint,
        appeared - snapshot.windows.baseline_seconds as i64,
        appeared,
    );
    let since = history.window(fingerprint, appeared, now);
    let ago = SystemTime::now()
        .duration_since(applied.appeared_at)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64());
    let describe = |sample| match mean_ms(sample) {
        Some(mean) => format!(
            "{} over {} call(s)",
            duration_ms(mean),
            grouped(sample.calls)
        ),
        None => "no calls".to_string(),
    };
    let _ = writeln!(
        markdown,
        "\n**Impact of `{}`** (appeared {} ago): mean {} since, {} before\n",
        applied.index_name,
        duration_ms(ago * 1000.0),
        describe(&since),
        describe(&before)
    );
}

/// `Latency ▁▂▃▅▇ over 2.0 h ▲18%` from the history.
fn trend_line(
    fingerprint: Fingerprint,
    stats: &StatementStats,
    snapshot: &Snapshot,
) -> Option<String> {
    let history = snapshot.history.as_ref()?;
    let history = history
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let now = unix_seconds(snapshot.refreshed_at?) + 1;
    let first = history.first_seen(fingerprint)?;
    let span = (now - first).clamp(snapshot.windows.short_seconds as i64, 14 * 24 * 3600);
    let series = history.series(fingerprint, now - span, now, SPARKLINE_BUCKETS);
    let means: Vec<Option<f64>> = series
        .iter()
        .map(|bucket| bucket.as_ref().and_then(mean_ms))
        .collect();
    let line = sparkline(&means);
    if line.trim().is_empty() {
        return None;
    }
    let change = snapshot
        .trend_percent(stats)
        .map(|percent| format!(" {}", trend(percent)))
        .unwrap_or_default();
    Some(format!(
        "Mean latency over the last {}: `{line}`{change}",
        duration_ms(span as f64 * 1000.0)
    ))
}

/// The hover for a table name (or alias) under the cursor, from the catalog.
fn table_hover(
    document: &Document,
    statement: &Statement,
    facts: Option<&QueryFacts>,
    offset: usize,
    snapshot: &Snapshot,
) -> Option<HoverInfo> {
    let text = document.statement_text(statement);
    let base = statement.span.range.start;
    let relative = offset.checked_sub(base)?;
    let token =
        Lexer::new(text).find(|t| t.start <= relative && relative < t.end.max(t.start + 1))?;
    if !matches!(token.kind, TokenKind::Word | TokenKind::QuotedIdent) {
        return None;
    }
    let word = token.text(text).trim_matches('"');
    let named = facts?.tables.iter().find(|table| {
        table.name.eq_ignore_ascii_case(word)
            || table
                .alias
                .as_deref()
                .is_some_and(|alias| alias.eq_ignore_ascii_case(word))
    })?;
    let table = snapshot.catalog.table(&named.qualified_name())?;
    Some(HoverInfo {
        range: base + token.start..base + token.end,
        markdown: table_markdown(table, snapshot),
    })
}

fn table_markdown(table: &TableInfo, snapshot: &Snapshot) -> String {
    let mut markdown = format!("**table** `{}.{}`\n\n", table.schema, table.name);
    let _ = writeln!(
        markdown,
        "{} · ~{} rows · {} sequential / {} index scans · {} writes",
        bytes(table.total_bytes as f64),
        count(table.estimated_rows),
        grouped(table.seq_scans.max(0) as u64),
        grouped(table.index_scans.max(0) as u64),
        grouped(table.writes.max(0) as u64)
    );
    let indexes: Vec<_> = snapshot.catalog.indexes_of(table).collect();
    if indexes.is_empty() {
        let _ = writeln!(markdown, "\nNo indexes.");
    } else {
        let _ = writeln!(markdown, "\nIndexes:");
        for index in indexes {
            let invalid = if index.is_valid { "" } else { " **(invalid)**" };
            let _ = writeln!(
                markdown,
                "- `{}` ({}) · {} · {} scans{invalid}",
                index.name,
                index.columns.join(", "),
                bytes(index.bytes as f64),
                grouped(index.scans.max(0) as u64)
            );
        }
    }
    markdown
}

#[cfg(test)]
mod tests;
