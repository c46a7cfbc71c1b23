//! The request: what the model is asked and how its answer is constrained.
//!
//! The answer must be one JSON object of exactly the shape
//! `{"explanation": "…", "indexes": ["CREATE INDEX …"], "rewrite": "SELECT …" | null}`.
//! Endpoints that support structured output get a strict JSON schema;
//! older ones JSON mode; the rest only the instructions (the answer parser
//! is tolerant either way, and the gate trusts none of it).

use std::fmt::Write;

use serde_json::{Value, json};

use super::context::{AiContext, TableContext};
use crate::analysis::format;

/// How the answer's form is requested; each endpoint falls back along
/// this order when it rejects the stricter one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseFormat {
    /// `{"type": "json_schema", …}` with a strict schema (OpenAI, recent
    /// llama.cpp, Ollama, vLLM).
    JsonSchema,
    /// `{"type": "json_object"}`: JSON mode without a schema.
    JsonObject,
    /// No `response_format` at all.
    Instructions,
}

impl ResponseFormat {
    /// The next, less demanding form, if any.
    pub fn fallback(self) -> Option<ResponseFormat> {
        match self {
            ResponseFormat::JsonSchema => Some(ResponseFormat::JsonObject),
            ResponseFormat::JsonObject => Some(ResponseFormat::Instructions),
            ResponseFormat::Instructions => None,
        }
    }
}

pub const SYSTEM_PROMPT: &str = "\
You are a PostgreSQL performance expert. You receive one SQL statement, the \
tables it reads (columns, types, indexes, sizes), its generic plan and its \
live numbers from pg_stat_statements. Find why it is slow and how to fix it.

Answer with one JSON object and nothing else, of exactly this shape:
{\"explanation\": \"...\", \"indexes\": [\"CREATE INDEX ...\"], \"rewrite\": \"SELECT ...\" or null}

Rules:
- explanation: at most three short plain-language sentences: what makes the \
statement slow and what your fix changes.
- indexes: zero or more entries. Each entry is exactly one CREATE INDEX \
statement on a table the statement reads, without an index name, \
CONCURRENTLY, IF NOT EXISTS, WITH or TABLESPACE. Propose an index only when \
no existing index already serves the statement.
- rewrite: null, or exactly one SELECT (or WITH ... SELECT) that returns the \
same rows as the statement for every parameter value, reads only the tables \
the statement reads, and uses exactly the statement's parameters ($1, $2, \
...): all of them, no new ones, never literal values in their place.
- Never include any other statement: no INSERT, UPDATE, DELETE, other DDL, \
SET, COPY or function calls with side effects. No Markdown.";

/// The strict schema of the answer.
fn answer_schema() -> Value {
    json!({
        "name": "optischema_suggestion",
        "strict": true,
        "schema": {
            "type": "object",
            "properties": {
                "explanation": {"type": "string"},
                "indexes": {"type": "array", "items": {"type": "string"}},
                "rewrite": {"type": ["string", "null"]}
            },
            "required": ["explanation", "indexes", "rewrite"],
            "additionalProperties": false
        }
    })
}

/// The chat-completions request body.
pub fn request_body(model: &str, context: &AiContext, format: ResponseFormat) -> Value {
    let mut body = json!({
        "model": model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": user_message(context)},
        ],
    });
    let response_format = match format {
        ResponseFormat::JsonSchema => Some(json!({
            "type": "json_schema",
            "json_schema": answer_schema(),
        })),
        ResponseFormat::JsonObject => Some(json!({"type": "json_object"})),
        ResponseFormat::Instructions => None,
    };
    if let (Some(object), Some(response_format)) = (body.as_object_mut(), response_format) {
        object.insert("response_format".into(), response_format);
    }
    body
}

/// The user message: the context as sections a model reads easily.
pub fn user_message(context: &AiContext) -> String {
    let mut message = String::new();
    let parameters = if context.literals_sent {
        ""
    } else {
        " (literal values are replaced by parameters)"
    };
    let _ = writeln!(
        message,
        "Statement{parameters}:\n```sql\n{}\n```",
        context.statement
    );
    if !context.tables.is_empty() {
        message.push_str("\nTables:\n");
        for table in &context.tables {
            describe_table(&mut message, table);
        }
    }
    if let Some(plan) = &context.plan {
        let _ = writeln!(message, "\nGeneric plan:\n```\n{}\n```", plan.trim_end());
    }
    if let Some(stats) = &context.stats {
        let _ = write!(
            message,
            "\nLive numbers (pg_stat_statements): {} calls, mean {}, total {}, {} rows per call",
            format::count(stats.calls as f64),
            format::duration_ms(stats.mean_ms),
            format::duration_ms(stats.total_ms),
            format::count(stats.rows_per_call),
        );
        if let Some(share) = stats.share_percent {
            let _ = write!(message, ", {share:.0}% of the database's execution time");
        }
        message.push('\n');
    }
    message
}

fn describe_table(message: &mut String, table: &TableContext) {
    let _ = writeln!(
        message,
        "- {}: about {} rows, {}",
        table.name,
        format::count(table.estimated_rows),
        format::bytes(table.total_bytes as f64)
    );
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|column| {
            let not_null = if column.not_null { " not null" } else { "" };
            format!("{} {}{not_null}", column.name, column.data_type)
        })
        .collect();
    let _ = writeln!(message, "  columns: {}", columns.join(", "));
    if table.indexes.is_empty() {
        message.push_str("  indexes: none\n");
    } else {
        message.push_str("  indexes:\n");
        for index in &table.indexes {
            let _ = writeln!(message, "    {index}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::context::{ColumnContext, StatsContext};

    fn context() -> AiContext {
        AiContext {
            statement: "SELECT * FROM orders WHERE customer_id = $1".into(),
            literals: vec![(1, "42".into())],
            literals_sent: false,
            tables: vec![TableContext {
                name: "public.orders".into(),
                columns: vec![ColumnContext {
                    name: "customer_id".into(),
                    data_type: "integer".into(),
                    not_null: true,
                }],
                indexes: vec![],
                estimated_rows: 1_000_000.0,
                total_bytes: 80 << 20,
            }],
            plan: Some("Seq Scan on orders".into()),
            stats: Some(StatsContext {
                calls: 1200,
                mean_ms: 85.0,
                total_ms: 102_000.0,
                rows_per_call: 3.0,
                share_percent: Some(42.0),
            }),
        }
    }

    #[test]
    fn body_asks_for_a_strict_schema_at_temperature_zero() {
        let body = request_body("gpt-test", &context(), ResponseFormat::JsonSchema);
        assert_eq!(body["model"], "gpt-test");
        assert_eq!(body["temperature"], 0);
        assert_eq!(body["response_format"]["type"], "json_schema");
        let schema = &body["response_format"]["json_schema"];
        assert_eq!(schema["strict"], true);
        assert_eq!(schema["schema"]["additionalProperties"], false);
        assert_eq!(body["messages"][0]["role"], "system");
    }

    #[test]
    fn fallbacks_loosen_then_drop_the_response_format() {
        let json_object = request_body("m", &context(), ResponseFormat::JsonObject);
        assert_eq!(
            json_object["response_format"],
            json!({"type": "json_object"})
        );
        let plain = request_body("m", &context(), ResponseFormat::Instructions);
        assert!(plain.get("response_format").is_none());
        assert_eq!(
            ResponseFormat::JsonSchema.fallback(),
            Some(ResponseFormat::JsonObject)
        );
        assert_eq!(ResponseFormat::Instructions.fallback(), None);
    }

    #[test]
    fn user_message_carries_every_part_of_the_context_but_no_literals() {
        let message = user_message(&context());
        for expected in [
            "WHERE customer_id = $1",
            "public.orders: about 1.0M rows, 80.0 MB",
            "customer_id integer not null",
            "indexes: none",
            "Seq Scan on orders",
            "1.2k calls",
            "42% of the database's execution time",
        ] {
            assert!(
                message.contains(expected),
                "{expected} missing in\n{message}"
            );
        }
        assert!(!message.contains("= 42"), "{message}");
    }
}
