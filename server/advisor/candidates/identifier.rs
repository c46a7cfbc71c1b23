//! Identifiers as PostgreSQL reads them back: bare when that folds to the
//! same name, double-quoted otherwise.

/// Keywords that cannot be a bare table or column name (PostgreSQL 17's
/// `reserved` and `type_func_name` categories in `kwlist.h`); unreserved and
/// `col_name` keywords (`time`, `value`, `name`, …) are fine bare.
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

/// `name` as it must be written in SQL to mean exactly `name`: lower-case
/// ASCII names that are not reserved stay bare; anything else (upper case,
/// spaces, non-ASCII, reserved words) is quoted with `"` doubled inside.
pub(crate) fn quote_ident(name: &str) -> String {
    if is_bare(name) {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `schema.name` or `name`, each part quoted as needed.
pub(crate) fn quote_qualified(schema: Option<&str>, name: &str) -> String {
    match schema {
        Some(schema) => format!("{}.{}", quote_ident(schema), quote_ident(name)),
        None => quote_ident(name),
    }
}

fn is_bare(name: &str) -> bool {
    let mut bytes = name.bytes();
    let starts_well = bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_');
    starts_well
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'$')
        && !RESERVED.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_lower_case_names_stay_bare() {
        for name in ["users", "created_at", "_x1", "a$b", "name", "time", "value"] {
            assert_eq!(quote_ident(name), name);
        }
    }

    #[test]
    fn reserved_mixed_case_and_odd_names_are_quoted() {
        assert_eq!(quote_ident("order"), "\"order\"");
        assert_eq!(quote_ident("user"), "\"user\"");
        assert_eq!(quote_ident("UserId"), "\"UserId\"");
        assert_eq!(quote_ident("1st"), "\"1st\"");
        assert_eq!(quote_ident("two words"), "\"two words\"");
        assert_eq!(quote_ident("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote_ident("café"), "\"café\"");
        assert_eq!(quote_ident(""), "\"\"");
    }

    #[test]
    fn qualified_names_quote_each_part() {
        assert_eq!(quote_qualified(Some("shop"), "Orders"), "shop.\"Orders\"");
        assert_eq!(quote_qualified(None, "orders"), "orders");
    }
}
