//! The HTTP body of an OpenAI-compatible chat completion: where the
//! assistant's content is, and what an error body says.

use serde_json::Value;

/// The assistant's reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub content: String,
    /// `finish_reason: "length"`: the model ran out of tokens mid-answer.
    pub truncated: bool,
}

/// Reads `choices[0].message.content` (a string, or a list of text parts
/// as some servers send).
pub fn parse_completion(body: &[u8]) -> Result<Completion, String> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|error| format!("the response is not JSON ({error})"))?;
    if let Some(message) = error_message(&value) {
        return Err(format!("the endpoint reported an error: {message}"));
    }
    let choice = value
        .get("choices")
        .and_then(|choices| choices.get(0))
        .ok_or("the response has no `choices`")?;
    let message = choice
        .get("message")
        .ok_or("the response's choice has no `message`")?;
    let content = match message.get("content") {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|part| part.get("text").and_then(Value::as_str))
            .collect(),
        _ => {
            return Err(match message.get("refusal").and_then(Value::as_str) {
                Some(refusal) => format!("the model declined: {refusal}"),
                None => "the response's message has no text content".to_owned(),
            });
        }
    };
    Ok(Completion {
        content,
        truncated: choice.get("finish_reason").and_then(Value::as_str) == Some("length"),
    })
}

/// The server's own words in an error body: `{"error": {"message": …}}`
/// (OpenAI), `{"error": "…"}` (Ollama, llama.cpp) or `{"message": …}`.
pub fn error_message(value: &Value) -> Option<String> {
    let error = value.get("error").filter(|error| !error.is_null());
    let text = match error {
        Some(Value::String(text)) => Some(text.as_str()),
        Some(error) => error.get("message").and_then(Value::as_str),
        None => None,
    };
    let text = match (text, error) {
        (Some(text), _) => text,
        (None, Some(_)) => "unspecified error",
        (None, None) => return None,
    };
    Some(text.to_owned())
}

/// What to tell the user about an error body: the server's message when it
/// has one, else the start of the body as text.
pub fn describe_error_body(body: &[u8]) -> String {
    if let Ok(value) = serde_json::from_slice::<Value>(body)
        && let Some(message) = error_message(&value).or_else(|| {
            value
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
    {
        return message;
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(1024)]);
    if text.trim().is_empty() {
        "no details given".to_owned()
    } else {
        text.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_string_and_part_list_contents() {
        let body = br#"{"choices":[{"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}"#;
        assert_eq!(
            parse_completion(body),
            Ok(Completion {
                content: "hi".into(),
                truncated: false
            })
        );
        let parts = br#"{"choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},"finish_reason":"length"}]}"#;
        let completion = parse_completion(parts).unwrap();
        assert_eq!(completion.content, "ab");
        assert!(completion.truncated);
    }

    #[test]
    fn errors_and_odd_bodies_are_described() {
        assert!(parse_completion(b"\xff\xfe not json").is_err());
        assert!(parse_completion(b"{}").is_err());
        assert!(parse_completion(br#"{"choices":[]}"#).is_err());
        assert!(parse_completion(br#"{"choices":[{"message":{"content":null}}]}"#).is_err());
        let refusal = br#"{"choices":[{"message":{"content":null,"refusal":"no"}}]}"#;
        assert!(
            parse_completion(refusal)
                .unwrap_err()
                .contains("declined: no")
        );
        let error = br#"{"error":{"message":"model not found","type":"invalid_request_error"}}"#;
        assert!(
            parse_completion(error)
                .unwrap_err()
                .contains("model not found")
        );
    }

    #[test]
    fn error_bodies_in_every_common_form() {
        assert_eq!(
            describe_error_body(br#"{"error":{"message":"Rate limit reached"}}"#),
            "Rate limit reached"
        );
        assert_eq!(
            describe_error_body(br#"{"error":"model 'x' not found"}"#),
            "model 'x' not found"
        );
        assert_eq!(describe_error_body(br#"{"message":"busy"}"#), "busy");
        assert_eq!(describe_error_body(b"Bad Gateway"), "Bad Gateway");
        assert_eq!(describe_error_body(b""), "no details given");
        assert_eq!(describe_error_body(b"\xff\xfe"), "\u{fffd}\u{fffd}");
    }
}
