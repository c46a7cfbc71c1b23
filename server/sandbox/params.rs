//! Parameter values, so a statement written with `$1` can run.
//!
//! 1. Types: the statement is `PREPARE`d (planned, not run) and its
//!    parameter types are read from `pg_prepared_statements`; then it is
//!    `DEALLOCATE`d at once (and again after the rollback if anything failed
//!    in between: prepared statements are not transactional).
//! 2. Values, per parameter, from what it is compared with (see
//!    [`targets`]): a column's `pg_stats.most_common_vals`, else distinct
//!    values from a `TABLESAMPLE SYSTEM (1)` of the table, else from its
//!    first rows; `LIMIT $n` gets 10 and `OFFSET $n` 0; anything else a
//!    typed default ([`defaults`]).
//! 3. Sets: set `i` takes each parameter's `i`-th value (cycling), so
//!    several different sets are tried and one lucky value proves nothing.
//!
//! Sampling queries run in savepoints: one that fails (a view cannot be
//! TABLESAMPLEd, a column is not readable) only means fewer samples.

mod defaults;
mod targets;

use tokio::sync::watch;

use crate::sandbox::admission::Admitted;
use crate::sandbox::error::{SandboxError, Step, Subject};
use crate::sandbox::literal::{bind, bind_text, quote_ident, quote_literal, typed_literal};
use crate::sandbox::queries;
use crate::sandbox::session::{Session, first_column};
use crate::sql::facts::TableRef;
use defaults::typed_default;
use targets::{Target, targets};

/// One value per parameter (`None` is NULL), as text.
pub type ParameterSet = Vec<Option<String>>;

/// `PREPARE`s `statement` (with `declared` types, if any) to learn the types
/// of its parameters, and deallocates it.
pub async fn parameter_types(
    session: &Session,
    statement: &Admitted,
    declared: &[String],
    subject: Subject,
    cancel: &watch::Receiver<bool>,
) -> Result<Vec<String>, SandboxError> {
    if statement.params.count == 0 {
        return Ok(Vec::new());
    }
    let step = Step::ParameterTypes(subject);
    let declaration = if declared.is_empty() {
        String::new()
    } else {
        format!("({})", declared.join(", "))
    };
    let prepare = format!(
        "PREPARE {}{declaration} AS {}",
        queries::PREPARED_STATEMENT,
        statement.text
    );
    session.set_prepared(true);
    session.run(step, &prepare, cancel).await?;
    let types = session
        .column(step, queries::PARAMETER_TYPES, cancel)
        .await?;
    session.run(step, queries::DEALLOCATE, cancel).await?;
    session.set_prepared(false);
    Ok(types.into_iter().flatten().collect())
}

/// Up to `wanted` distinct parameter sets for `statement` (one empty set
/// when it has no parameters).
pub async fn sample_sets(
    session: &Session,
    statement: &Admitted,
    types: &[String],
    wanted: usize,
    cancel: &watch::Receiver<bool>,
) -> Result<Vec<ParameterSet>, SandboxError> {
    let wanted = wanted.max(1);
    let count = statement.params.count;
    let targets = match &statement.ast {
        Some(ast) => targets(ast, count),
        None => vec![Target::Unknown; count],
    };
    let mut sampled: Vec<(&Target, Vec<String>)> = Vec::new();
    let mut per_parameter: Vec<Vec<Option<String>>> = Vec::with_capacity(count);
    for (index, target) in targets.iter().enumerate() {
        let values: Vec<String> = match target {
            Target::Limit => vec!["10".into()],
            Target::Offset => vec!["0".into()],
            Target::Unknown => Vec::new(),
            Target::Column { tables, column } => {
                match sampled.iter().find(|(known, _)| *known == target) {
                    Some((_, values)) => values.clone(),
                    None => {
                        let values = sample_column(session, tables, column, wanted, cancel).await?;
                        sampled.push((target, values.clone()));
                        values
                    }
                }
            }
        };
        per_parameter.push(if values.is_empty() {
            let type_name = types.get(index).map_or("text", String::as_str);
            (0..wanted)
                .map(|set| typed_default(type_name, set))
                .collect()
        } else {
            values.into_iter().map(Some).collect()
        });
    }
    Ok(combine(&per_parameter, wanted))
}

/// Set `i` takes each parameter's `i`-th value, cycling; duplicates dropped.
fn combine(per_parameter: &[Vec<Option<String>>], wanted: usize) -> Vec<ParameterSet> {
    let mut sets: Vec<ParameterSet> = Vec::with_capacity(wanted);
    for index in 0..wanted {
        let set: ParameterSet = per_parameter
            .iter()
            .map(|values| match values.len() {
                0 => None,
                len => values[index % len].clone(),
            })
            .collect();
        if !sets.contains(&set) {
            sets.push(set);
        }
    }
    sets
}

/// Distinct values of `column`, from the first of `tables` that has any.
async fn sample_column(
    session: &Session,
    tables: &[TableRef],
    column: &str,
    wanted: usize,
    cancel: &watch::Receiver<bool>,
) -> Result<Vec<String>, SandboxError> {
    let mut values: Vec<String> = Vec::new();
    for table in tables {
        let table = quoted_table(table);
        let attempts = [
            bind_text(
                queries::MOST_COMMON_VALUES,
                &[&table, column, &wanted.to_string()],
            ),
            row_sample(&table, column, wanted, true),
            row_sample(&table, column, wanted, false),
        ];
        for sql in &attempts {
            let Some(messages) = session
                .run_tolerant(Step::SampleParameters, sql, cancel)
                .await?
            else {
                continue;
            };
            for value in first_column(&messages).into_iter().flatten() {
                if values.len() < wanted && !values.contains(&value) {
                    values.push(value);
                }
            }
            if values.len() >= wanted {
                return Ok(values);
            }
        }
        if !values.is_empty() {
            return Ok(values);
        }
    }
    Ok(values)
}

/// Distinct non-null values of a column as text, from a 1 % page sample or
/// from the first rows.
fn row_sample(table: &str, column: &str, wanted: usize, tablesample: bool) -> String {
    let column = quote_ident(column);
    let sample = if tablesample {
        " TABLESAMPLE SYSTEM (1)"
    } else {
        ""
    };
    format!(
        "SELECT DISTINCT v FROM (SELECT {column}::text AS v FROM {table}{sample} \
         WHERE {column} IS NOT NULL LIMIT 1000) AS sample LIMIT {wanted}"
    )
}

fn quoted_table(table: &TableRef) -> String {
    match &table.schema {
        Some(schema) => format!("{}.{}", quote_ident(schema), quote_ident(&table.name)),
        None => quote_ident(&table.name),
    }
}

/// `text` with `$n` replaced by set value `n` cast to type `n`.
pub fn bind_set(text: &str, types: &[String], set: &[Option<String>]) -> String {
    let literals: Vec<String> = set
        .iter()
        .enumerate()
        .map(|(index, value)| match types.get(index) {
            Some(type_name) => typed_literal(value.as_deref(), type_name),
            None => value
                .as_deref()
                .map_or_else(|| "NULL".to_owned(), quote_literal),
        })
        .collect();
    bind(text, &literals)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(items: &[&str]) -> Vec<Option<String>> {
        items.iter().map(|v| Some(v.to_string())).collect()
    }

    #[test]
    fn sets_cycle_through_each_parameters_values() {
        let sets = combine(&[values(&["a", "b", "c"]), values(&["10"])], 3);
        assert_eq!(
            sets,
            vec![
                values(&["a", "10"]),
                values(&["b", "10"]),
                values(&["c", "10"])
            ]
        );
    }

    #[test]
    fn duplicate_sets_are_dropped() {
        assert_eq!(combine(&[values(&["10"])], 3), vec![values(&["10"])]);
        assert_eq!(combine(&[], 3), vec![Vec::<Option<String>>::new()]);
    }

    #[test]
    fn sets_bind_as_typed_literals() {
        let text = "SELECT * FROM t WHERE a = $1 AND b = $2 LIMIT $3";
        let types = vec!["integer".to_owned(), "text".to_owned()];
        let set = vec![Some("5".to_owned()), None, Some("10".to_owned())];
        assert_eq!(
            bind_set(text, &types, &set),
            "SELECT * FROM t WHERE a = ('5'::integer) AND b = (NULL::text) LIMIT '10'"
        );
    }

    #[test]
    fn row_samples_quote_names() {
        assert_eq!(
            row_sample("\"shop\".\"Orders\"", "Customer", 3, true),
            "SELECT DISTINCT v FROM (SELECT \"Customer\"::text AS v FROM \"shop\".\"Orders\" \
             TABLESAMPLE SYSTEM (1) WHERE \"Customer\" IS NOT NULL LIMIT 1000) AS sample LIMIT 3"
        );
    }
}
