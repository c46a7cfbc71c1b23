//! Where requests go: `ai.baseUrl` (`https://api.openai.com/v1`,
//! `http://localhost:11434/v1`) plus `/chat/completions`, and how that
//! address is shown — without any credentials written into it.

use reqwest::Url;

use super::error::AiError;

/// `{base}/chat/completions`; a base that already names the endpoint is kept.
pub fn endpoint_url(base_url: &str) -> Result<Url, AiError> {
    let base = base_url.trim().trim_end_matches('/');
    let full = if base.ends_with("/chat/completions") {
        base.to_owned()
    } else {
        format!("{base}/chat/completions")
    };
    let url = Url::parse(&full).map_err(|error| {
        AiError::Settings(format!("ai.baseUrl `{base}` is not a URL ({error})"))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(AiError::Settings(format!(
            "ai.baseUrl must start with http:// or https://, not {}://",
            url.scheme()
        )));
    }
    Ok(url)
}

/// The URL without credentials or query, for messages and logs.
pub fn shown_endpoint(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_urls_for_openai_and_local_servers() {
        let url = |base: &str| endpoint_url(base).unwrap().to_string();
        assert_eq!(
            url("https://api.openai.com/v1"),
            "https://api.openai.com/v1/chat/completions"
        );
        assert_eq!(
            url("http://localhost:11434/v1/"),
            "http://localhost:11434/v1/chat/completions"
        );
        assert_eq!(
            url("http://localhost:8080/v1/chat/completions"),
            "http://localhost:8080/v1/chat/completions"
        );
        assert!(matches!(
            endpoint_url("localhost:11434"),
            Err(AiError::Settings(_))
        ));
        assert!(matches!(
            endpoint_url("ftp://x/v1"),
            Err(AiError::Settings(_))
        ));
        assert!(matches!(
            endpoint_url("not a url"),
            Err(AiError::Settings(_))
        ));
    }

    #[test]
    fn shown_endpoint_has_no_credentials() {
        let url = endpoint_url("https://user:pw@example.com/v1?key=abc").unwrap();
        let shown = shown_endpoint(&url);
        assert!(!shown.contains("pw") && !shown.contains("abc"), "{shown}");
    }
}
