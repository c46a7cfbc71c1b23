//! AI settings: whether suggestions are on, and whether the API key's
//! environment variable is set. The key itself is never printed.

use super::report::{CheckLine, Report};
use crate::config::AiSettings;
use crate::db::Environment;

const CHECK: &str = "AI";

pub fn check(ai: &AiSettings, env: &dyn Environment, report: &mut Report<'_>) {
    let line = match (&ai.base_url, &ai.model) {
        (None, None) => CheckLine::pass(
            CHECK,
            "off (optional): set ai.baseUrl and ai.model for LLM suggestions",
        ),
        (Some(_), None) => CheckLine::warn(
            CHECK,
            "ai.baseUrl is set but ai.model is not, so AI suggestions are off",
            "set ai.model (e.g. model = \"gpt-4o-mini\" under [ai])",
        ),
        (None, Some(_)) => CheckLine::warn(
            CHECK,
            "ai.model is set but ai.baseUrl is not, so AI suggestions are off",
            "set ai.baseUrl (e.g. baseUrl = \"https://api.openai.com/v1\" under [ai])",
        ),
        (Some(base_url), Some(model)) => {
            let key_set = env
                .var(&ai.api_key_env)
                .is_some_and(|key| !key.trim().is_empty());
            if key_set {
                CheckLine::pass(
                    CHECK,
                    format!(
                        "model {model} at {base_url}; the API key is in ${} (set)",
                        ai.api_key_env
                    ),
                )
            } else {
                CheckLine::warn(
                    CHECK,
                    format!(
                        "model {model} at {base_url}, but ${} is not set: requests go without \
                         a key (fine for local servers such as Ollama, refused by hosted ones)",
                        ai.api_key_env
                    ),
                    format!(
                        "export {}=… in the environment the editor starts from (or set \
                         ai.apiKeyEnv to the variable that holds the key)",
                        ai.api_key_env
                    ),
                )
            }
        }
    };
    report.push(line);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::MapEnvironment;
    use crate::doctor::report::Status;

    fn ai(base: Option<&str>, model: Option<&str>) -> AiSettings {
        AiSettings {
            base_url: base.map(str::to_owned),
            model: model.map(str::to_owned),
            api_key_env: "TEST_AI_KEY".into(),
            ..AiSettings::default()
        }
    }

    #[test]
    fn the_key_is_never_printed() {
        let env = MapEnvironment::with_vars([("TEST_AI_KEY", "sk-very-secret")]);
        let mut report = Report::new(None);
        check(&ai(Some("http://llm"), Some("m")), &env, &mut report);
        let line = &report.lines()[0];
        assert_eq!(line.status, Status::Pass);
        assert!(!line.message.contains("sk-very-secret"));
        assert!(line.message.contains("$TEST_AI_KEY (set)"));
    }

    #[test]
    fn a_missing_key_is_a_warning_with_the_variable() {
        let env = MapEnvironment::default();
        let mut report = Report::new(None);
        check(&ai(Some("http://llm"), Some("m")), &env, &mut report);
        let line = &report.lines()[0];
        assert_eq!(line.status, Status::Warn);
        assert!(
            line.fix
                .as_deref()
                .unwrap_or("")
                .contains("export TEST_AI_KEY")
        );
    }
}
