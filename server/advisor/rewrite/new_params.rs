//! Parameters a rewrite adds to a statement, in the statement's own style.
//!
//! Rewrites work on the `$n` form (`sql::params`); an added parameter is
//! numbered after the original's there, and written back as the statement
//! writes the others: `$3`, `:last_id`, `%(last_id)s`, `?` or `%s`.

use crate::sql::params::{ParamForm, ParamStyle, PlaceholderKey, find_params, restore_style};

pub(super) struct NewParams<'f> {
    form: &'f ParamForm,
    /// `(number in the $n form, name)` of each added parameter.
    added: Vec<(usize, String)>,
}

impl<'f> NewParams<'f> {
    pub fn new(form: &'f ParamForm) -> Self {
        NewParams {
            form,
            added: Vec::new(),
        }
    }

    fn style(&self) -> ParamStyle {
        self.form.style.unwrap_or(ParamStyle::Dollar)
    }

    /// A new parameter named after `hint` (for named styles), as `$n` for
    /// the working text. `reuse` is the number of a `$n` parameter the
    /// rewrite removed: with `$n` parameters, taking its number keeps them
    /// numbered without a gap (PostgreSQL cannot type an unused `$n`).
    pub fn add(&mut self, hint: &str, reuse: Option<usize>) -> String {
        let reusable = reuse.filter(|number| {
            self.style() == ParamStyle::Dollar && !self.added.iter().any(|(n, _)| n == number)
        });
        let number = reusable.unwrap_or_else(|| {
            let highest_added = self.added.iter().map(|(n, _)| *n).max().unwrap_or(0);
            self.form.count.max(highest_added) + 1
        });
        let name = self.unused_name(hint);
        self.added.push((number, name));
        format!("${number}")
    }

    /// `hint` made a plain lower-case name that no parameter has yet.
    fn unused_name(&self, hint: &str) -> String {
        let base: String = hint
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        let taken = |name: &str| {
            self.form.names.iter().flatten().any(|known| known == name)
                || self.added.iter().any(|(_, added)| added == name)
        };
        let mut name = base.clone();
        let mut suffix = 1;
        while taken(&name) {
            suffix += 1;
            name = format!("{base}_{suffix}");
        }
        name
    }

    /// How each added parameter is written in the result.
    pub fn added_as_written(&self) -> Vec<String> {
        self.added
            .iter()
            .map(|(number, name)| written(self.style(), *number, Some(name)))
            .collect()
    }

    /// How the original's parameter `$number` is written.
    pub fn original_as_written(&self, number: usize) -> String {
        let name = self
            .form
            .names
            .get(number.wrapping_sub(1))
            .cloned()
            .flatten();
        written(self.style(), number, name.as_deref())
    }

    /// The working text in the statement's style.
    pub fn restore(&self, working: &str) -> Option<String> {
        match self.style() {
            ParamStyle::Dollar => Some(working.to_owned()),
            ParamStyle::Colon | ParamStyle::PercentNamed => {
                let mut form = self.form.clone();
                for (number, name) in &self.added {
                    if form.names.len() < *number {
                        form.names.resize(*number, None);
                    }
                    form.names[number - 1] = Some(name.clone());
                    form.count = form.count.max(*number);
                }
                restore_style(working, &form).ok()
            }
            // Positional parameters are whatever order the text has now.
            ParamStyle::Question | ParamStyle::Percent => {
                let (renumbered, count) = numbered_in_order(working);
                let form = ParamForm {
                    count,
                    names: vec![None; count],
                    ..self.form.clone()
                };
                restore_style(&renumbered, &form).ok()
            }
        }
    }
}

fn written(style: ParamStyle, number: usize, name: Option<&str>) -> String {
    match (style, name) {
        (ParamStyle::Question, _) => "?".to_owned(),
        (ParamStyle::Percent, _) => "%s".to_owned(),
        (ParamStyle::Colon, Some(name)) => format!(":{name}"),
        (ParamStyle::PercentNamed, Some(name)) => format!("%({name})s"),
        _ => format!("${number}"),
    }
}

/// The text with its `$n` renumbered `$1`, `$2`, … in order of appearance.
fn numbered_in_order(text: &str) -> (String, usize) {
    let mut out = String::with_capacity(text.len());
    let mut cursor = 0;
    let mut count = 0;
    for placeholder in find_params(text) {
        if !matches!(placeholder.key, PlaceholderKey::Number(_)) {
            continue;
        }
        count += 1;
        out.push_str(
            text.get(cursor..placeholder.range.start)
                .unwrap_or_default(),
        );
        out.push_str(&format!("${count}"));
        cursor = placeholder.range.end;
    }
    out.push_str(text.get(cursor..).unwrap_or_default());
    (out, count)
}
