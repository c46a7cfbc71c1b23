//! A value for a parameter we know nothing about but its type, so the
//! statement can at least run. `set` (counting from 0) varies the value
//! between parameter sets where the type allows.

/// A text value of type `type_name` (as `format_type` prints it), or `None`
/// for SQL NULL when no sensible constant exists.
pub fn typed_default(type_name: &str, set: usize) -> Option<String> {
    let name = type_name.trim().to_ascii_lowercase();
    if name.ends_with("[]") {
        return Some("{}".into());
    }
    let base = name.split('(').next().unwrap_or(&name).trim();
    let number = (set + 1).to_string();
    let value = match base {
        "smallint" | "integer" | "bigint" | "numeric" | "real" | "double precision" | "oid"
        | "money" => number,
        "text" | "character varying" | "character" | "name" | "citext" | "bpchar" => number,
        "boolean" => set.is_multiple_of(2).to_string(),
        "date" => format!("2000-01-{:02}", set % 28 + 1),
        "timestamp without time zone" | "timestamp with time zone" => {
            format!("2000-01-{:02} 00:00:00", set % 28 + 1)
        }
        "time without time zone" | "time with time zone" => "12:00:00".into(),
        "interval" => format!("{number} day"),
        "uuid" => format!("00000000-0000-0000-0000-{:012}", set + 1),
        "json" | "jsonb" => "{}".into(),
        "bytea" => "\\x".into(),
        "inet" | "cidr" => "127.0.0.1".into(),
        _ => return None,
    };
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_types_get_values_that_vary_by_set() {
        assert_eq!(typed_default("integer", 0).as_deref(), Some("1"));
        assert_eq!(typed_default("bigint", 2).as_deref(), Some("3"));
        assert_eq!(
            typed_default("character varying(20)", 0).as_deref(),
            Some("1")
        );
        assert_eq!(typed_default("boolean", 1).as_deref(), Some("false"));
        assert_eq!(
            typed_default("timestamp with time zone", 1).as_deref(),
            Some("2000-01-02 00:00:00")
        );
        assert_eq!(typed_default("integer[]", 0).as_deref(), Some("{}"));
    }

    #[test]
    fn unknown_types_are_null() {
        assert_eq!(typed_default("public.mood", 0), None);
        assert_eq!(typed_default("", 0), None);
    }
}
