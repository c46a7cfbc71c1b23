//! `examples/workload.sql`: which named statements an application runs, how
//! often relative to each other, and where their parameter values come from.
//!
//! ```sql
//! -- run: orders_for_customer weight=30
//! SELECT customer_id FROM orders ORDER BY random() LIMIT 500;
//!
//! -- run: pending_totals weight=2
//! ```
//!
//! A `-- run: NAME weight=N` line starts an entry; the SQL up to the next
//! entry (other comments aside) is its parameter query, run once before the
//! workload: each row is one parameter set (`$1`, `$2`, … in column order).
//! An entry without a query is for a statement without parameters.

/// One entry of the workload file.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadEntry {
    /// The `-- name:` of a statement in `queries/*.sql`.
    pub name: String,
    pub weight: u32,
    /// Returns parameter sets; `None` for statements without parameters.
    pub parameter_query: Option<String>,
    /// 1-based line of the `-- run:` comment, for error messages.
    pub line: usize,
}

const DIRECTIVE: &str = "-- run:";

pub fn parse(text: &str) -> Result<Vec<WorkloadEntry>, String> {
    let mut entries: Vec<WorkloadEntry> = Vec::new();
    let mut query = String::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix(DIRECTIVE) {
            finish(&mut entries, &mut query);
            entries.push(directive(rest, index + 1)?);
        } else if trimmed.starts_with("--") || trimmed.is_empty() {
            continue;
        } else if entries.is_empty() {
            return Err(format!(
                "line {}: SQL before the first `{DIRECTIVE} NAME weight=N` line",
                index + 1
            ));
        } else {
            query.push_str(line);
            query.push('\n');
        }
    }
    finish(&mut entries, &mut query);
    if entries.is_empty() {
        return Err(format!("no `{DIRECTIVE} NAME weight=N` entries"));
    }
    Ok(entries)
}

fn finish(entries: &mut [WorkloadEntry], query: &mut String) {
    let text = query.trim().trim_end_matches(';').trim();
    if let Some(last) = entries.last_mut()
        && !text.is_empty()
    {
        last.parameter_query = Some(text.to_owned());
    }
    query.clear();
}

fn directive(rest: &str, line: usize) -> Result<WorkloadEntry, String> {
    let mut words = rest.split_whitespace();
    let name = words
        .next()
        .ok_or_else(|| format!("line {line}: `{DIRECTIVE}` needs a statement name"))?;
    let mut weight = 1;
    for word in words {
        let value = word.strip_prefix("weight=").ok_or_else(|| {
            format!("line {line}: unexpected `{word}` (write `{DIRECTIVE} {name} weight=N`)")
        })?;
        weight = value
            .parse::<u32>()
            .ok()
            .filter(|weight| *weight > 0)
            .ok_or_else(|| format!("line {line}: weight must be a whole number above 0"))?;
    }
    Ok(WorkloadEntry {
        name: name.to_owned(),
        weight,
        parameter_query: None,
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_with_and_without_parameter_queries() {
        let text = "-- header comment\n\n-- run: a weight=30\n-- why\nSELECT x\nFROM t;\n\n-- run: b\n-- run: c weight=2\nSELECT 1, 'two';\n";
        let entries = parse(text).expect("parses");
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].name, "a");
        assert_eq!(entries[0].weight, 30);
        assert_eq!(
            entries[0].parameter_query.as_deref(),
            Some("SELECT x\nFROM t")
        );
        assert_eq!(entries[0].line, 3);
        assert_eq!(entries[1].parameter_query, None);
        assert_eq!(entries[1].weight, 1);
        assert_eq!(
            entries[2].parameter_query.as_deref(),
            Some("SELECT 1, 'two'")
        );
    }

    #[test]
    fn mistakes_name_the_line() {
        assert!(parse("SELECT 1;").unwrap_err().contains("line 1"));
        assert!(parse("-- run: a weight=0").unwrap_err().contains("line 1"));
        assert!(parse("\n-- run: a often").unwrap_err().contains("line 2"));
        assert!(parse("-- nothing").is_err());
    }
}
