//! Reading the assistant's content into a raw suggestion, tolerantly: the
//! JSON may come bare, in a ```json fence, or with prose around it.
//!
//! Tolerant about where the JSON is, strict about what it says: wrong types
//! are an error, unknown keys are ignored, a missing `indexes` is empty.
//! Nothing here is trusted yet — the gate decides what may be used.

use serde_json::Value;

/// The model's answer as it said it: not yet checked in any way.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawSuggestion {
    pub explanation: String,
    pub indexes: Vec<String>,
    pub rewrite: Option<String>,
}

/// Longer contents are not searched (the answer is short by instruction).
pub const MAX_CONTENT_BYTES: usize = 128 * 1024;
/// The explanation is shown to the user; longer ones are cut.
pub const MAX_EXPLANATION_CHARS: usize = 2000;
/// How many `{` positions the prose search tries before giving up.
const MAX_OBJECT_ATTEMPTS: usize = 100;

const KEYS: [&str; 3] = ["explanation", "indexes", "rewrite"];

/// Finds and reads the answer object in `content`.
pub fn parse_answer(content: &str) -> Result<RawSuggestion, String> {
    if content.len() > MAX_CONTENT_BYTES {
        return Err(format!(
            "the answer is {} bytes long; at most {MAX_CONTENT_BYTES} are read",
            content.len()
        ));
    }
    let mut shape_error = None;
    let candidates = std::iter::once(content.trim())
        .chain(fenced_blocks(content))
        .chain(balanced_objects(content));
    for candidate in candidates {
        let Ok(value) = serde_json::from_str::<Value>(candidate) else {
            continue;
        };
        match suggestion_from(&value) {
            Some(Ok(suggestion)) => return Ok(suggestion),
            Some(Err(error)) => {
                shape_error.get_or_insert(error);
            }
            None => {}
        }
    }
    Err(shape_error.unwrap_or_else(|| {
        "it holds no JSON object with `explanation`, `indexes` or `rewrite`".to_owned()
    }))
}

/// `None` when `value` is not an answer object at all; an error when it is
/// one with a wrongly typed field.
fn suggestion_from(value: &Value) -> Option<Result<RawSuggestion, String>> {
    let object = value.as_object()?;
    if !KEYS.iter().any(|key| object.contains_key(*key)) {
        return None;
    }
    let field = |key: &str| object.get(key).filter(|value| !value.is_null());
    Some((|| {
        let explanation = match field("explanation") {
            None => String::new(),
            Some(Value::String(text)) => clean_explanation(text),
            Some(_) => return Err("`explanation` is not a string".to_owned()),
        };
        let indexes = match field("indexes") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(text) => Ok(text.trim().to_owned()),
                    _ => Err("an entry of `indexes` is not a string".to_owned()),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => return Err("`indexes` is not a list".to_owned()),
        };
        let rewrite = match field("rewrite") {
            None => None,
            Some(Value::String(text)) => Some(text.trim().to_owned()).filter(|t| !t.is_empty()),
            Some(_) => return Err("`rewrite` is neither a string nor null".to_owned()),
        };
        Ok(RawSuggestion {
            explanation,
            indexes: indexes
                .into_iter()
                .filter(|text| !text.is_empty())
                .collect(),
            rewrite,
        })
    })())
}

/// Control characters out (the text is shown in the editor), cut to length.
fn clean_explanation(text: &str) -> String {
    let cleaned: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .take(MAX_EXPLANATION_CHARS)
        .collect();
    cleaned
}

/// The bodies of Markdown code fences (```` ```json … ``` ````).
fn fenced_blocks(content: &str) -> impl Iterator<Item = &str> {
    content.split("```").skip(1).step_by(2).map(|block| {
        // The info string (`json`) runs to the end of the first line.
        match block.split_once('\n') {
            Some((info, body)) if !info.trim_start().starts_with('{') => body,
            _ => block,
        }
        .trim()
    })
}

/// Each balanced `{…}` in `content`, in order of its opening brace, for the
/// first [`MAX_OBJECT_ATTEMPTS`] braces (each try scans to its end, so an
/// unbounded number would make hostile input quadratic). Braces inside
/// JSON strings do not count.
fn balanced_objects(content: &str) -> impl Iterator<Item = &str> {
    content
        .match_indices('{')
        .take(MAX_OBJECT_ATTEMPTS)
        .filter_map(move |(start, _)| {
            matching_brace(content, start).map(|end| &content[start..=end])
        })
}

/// The byte offset of the `}` that closes the `{` at `start`.
fn matching_brace(content: &str, start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (offset, byte) in content.as_bytes()[start..].iter().enumerate() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' => depth += 1,
            b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(start + offset);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"explanation": "No index on customer_id.", "indexes": ["CREATE INDEX ON orders (customer_id)"], "rewrite": null}"#;

    fn expected() -> RawSuggestion {
        RawSuggestion {
            explanation: "No index on customer_id.".into(),
            indexes: vec!["CREATE INDEX ON orders (customer_id)".into()],
            rewrite: None,
        }
    }

    #[test]
    fn bare_json() {
        assert_eq!(parse_answer(GOOD), Ok(expected()));
    }

    #[test]
    fn fenced_json() {
        let content = format!("```json\n{GOOD}\n```");
        assert_eq!(parse_answer(&content), Ok(expected()));
        let no_info = format!("```\n{GOOD}\n```");
        assert_eq!(parse_answer(&no_info), Ok(expected()));
    }

    #[test]
    fn json_surrounded_by_prose_with_braces_of_its_own() {
        let content = format!("Sure! Here is my {{analysis}}: {GOOD}\nLet me know if a }} helps.");
        assert_eq!(parse_answer(&content), Ok(expected()));
    }

    #[test]
    fn braces_inside_strings_do_not_confuse_the_search() {
        let content = r#"Answer: {"explanation": "use {braces} and \" quotes", "rewrite": "SELECT '}'"} done"#;
        let suggestion = parse_answer(content).unwrap();
        assert_eq!(suggestion.explanation, "use {braces} and \" quotes");
        assert_eq!(suggestion.rewrite.as_deref(), Some("SELECT '}'"));
        assert!(suggestion.indexes.is_empty());
    }

    #[test]
    fn extra_keys_are_ignored_missing_indexes_are_empty() {
        let content = r#"{"explanation": "x", "rewrite": "SELECT 1", "confidence": 0.9}"#;
        let suggestion = parse_answer(content).unwrap();
        assert!(suggestion.indexes.is_empty());
        assert_eq!(suggestion.rewrite.as_deref(), Some("SELECT 1"));
    }

    #[test]
    fn wrong_types_are_errors() {
        for content in [
            r#"{"explanation": 3, "indexes": []}"#,
            r#"{"explanation": "x", "indexes": "CREATE INDEX ON t (a)"}"#,
            r#"{"explanation": "x", "indexes": [1]}"#,
            r#"{"explanation": "x", "rewrite": {"sql": "SELECT 1"}}"#,
        ] {
            assert!(parse_answer(content).is_err(), "{content}");
        }
    }

    #[test]
    fn malformed_or_absent_json_is_an_error() {
        for content in [
            "",
            "I think you should add an index.",
            r#"{"explanation": "x", "indexes": ["#,
            "{{{{{{{{",
            "}}}}{",
            r#"{"other": 1}"#,
            "[1, 2, 3]",
        ] {
            assert!(parse_answer(content).is_err(), "{content}");
        }
    }

    #[test]
    fn hostile_sizes_and_nesting_do_not_crash() {
        assert!(parse_answer(&"{".repeat(MAX_CONTENT_BYTES + 1)).is_err());
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse_answer(&deep[..MAX_CONTENT_BYTES]).is_err());
        let nested = format!(
            r#"{}{{"explanation": "x"}}{}"#,
            r#"{"a":"#.repeat(5000),
            "}".repeat(5000)
        );
        // serde_json refuses the nesting, and the search gives up before
        // reaching the inner object.
        assert!(parse_answer(&nested).is_err());
        let braces = "{".repeat(MAX_CONTENT_BYTES / 2);
        assert!(parse_answer(&braces).is_err());
    }

    #[test]
    fn explanation_is_cleaned_and_cut() {
        let long = format!(
            r#"{{"explanation": "a\u0007b{}"}}"#,
            "x".repeat(MAX_EXPLANATION_CHARS * 2)
        );
        let suggestion = parse_answer(&long).unwrap();
        assert!(suggestion.explanation.starts_with("a b"));
        assert_eq!(
            suggestion.explanation.chars().count(),
            MAX_EXPLANATION_CHARS
        );
    }
}
