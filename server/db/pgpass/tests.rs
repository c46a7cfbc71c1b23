use std::io::Write;
use std::path::PathBuf;

use proptest::prelude::*;

use super::*;
use crate::db::env::MapEnvironment;

fn key(host: &str, port: u16, dbname: &str, user: &str) -> PgpassKey {
    PgpassKey {
        host: host.to_owned(),
        port,
        dbname: dbname.to_owned(),
        user: user.to_owned(),
    }
}

#[test]
fn exact_match() {
    let file = "db:5432:app:alice:pw1\n";
    assert_eq!(
        find_password(file, &key("db", 5432, "app", "alice")),
        Some("pw1".to_owned())
    );
    assert_eq!(find_password(file, &key("db", 5433, "app", "alice")), None);
    assert_eq!(find_password(file, &key("db", 5432, "app", "bob")), None);
    assert_eq!(
        find_password(file, &key("other", 5432, "app", "alice")),
        None
    );
    assert_eq!(
        find_password(file, &key("db", 5432, "other", "alice")),
        None
    );
}

#[test]
fn wildcards_and_first_match_wins() {
    let file = "# comment:*:*:*:nope\n\
                db:*:app:*:specific\n\
                *:*:*:alice:general\n\
                *:*:*:*:anything\n";
    let password = |k| find_password(file, &k);
    assert_eq!(
        password(key("db", 1, "app", "x")),
        Some("specific".to_owned())
    );
    assert_eq!(
        password(key("h", 1, "d", "alice")),
        Some("general".to_owned())
    );
    assert_eq!(
        password(key("h", 1, "d", "bob")),
        Some("anything".to_owned())
    );
}

#[test]
fn escapes() {
    // Host `a:b`, user `c\d`, password `p:w\d`.
    let file = r"a\:b:5432:*:c\\d:p\:w\\d";
    assert_eq!(
        find_password(file, &key("a:b", 5432, "x", r"c\d")),
        Some(r"p:w\d".to_owned())
    );
    // An escaped star is a literal star, not a wildcard.
    let file = r"\*:*:*:*:pw";
    assert_eq!(find_password(file, &key("db", 5432, "x", "u")), None);
    assert_eq!(
        find_password(file, &key("*", 5432, "x", "u")),
        Some("pw".to_owned())
    );
    // `**` is not a wildcard either.
    assert_eq!(find_password("**:*:*:*:pw", &key("db", 1, "x", "u")), None);
}

#[test]
fn malformed_lines_are_skipped_and_crlf_is_tolerated() {
    let file = "only:three:fields\n\n*:*:*:*:pw\r\n";
    assert_eq!(
        find_password(file, &key("h", 1, "d", "u")),
        Some("pw".to_owned())
    );
    // An unescaped colon ends the password; the rest is ignored, as in libpq.
    assert_eq!(
        find_password("*:*:*:*:pw:extra", &key("h", 1, "d", "u")),
        Some("pw".to_owned())
    );
    // An empty password field is an empty password.
    assert_eq!(
        find_password("*:*:*:*:", &key("h", 1, "d", "u")),
        Some(String::new())
    );
}

#[test]
fn default_socket_directory_matches_localhost() {
    let spec = |host: &str| {
        ConnSpec::parse_in(
            &format!("host={host} user=u dbname=d"),
            &MapEnvironment::default(),
        )
        .unwrap()
    };
    assert_eq!(
        PgpassKey::for_spec(&spec("/var/run/postgresql")).host,
        "localhost"
    );
    assert_eq!(PgpassKey::for_spec(&spec("/tmp")).host, "localhost");
    // Other socket directories are matched by their path, like libpq.
    assert_eq!(
        PgpassKey::for_spec(&spec("/srv/pg/sock")).host,
        "/srv/pg/sock"
    );
    assert_eq!(PgpassKey::for_spec(&spec("db")).host, "db");
}

fn spec_with_passfile(path: PathBuf) -> ConnSpec {
    let env = MapEnvironment::with_vars([("PGPASSFILE", path.to_str().unwrap())]);
    ConnSpec::parse_in("host=db port=5432 dbname=app user=alice", &env).unwrap()
}

fn write_passfile(contents: &str, mode: u32) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(contents.as_bytes()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = mode;
    file
}

#[test]
fn reads_a_private_file() {
    let file = write_passfile("db:5432:app:alice:from-file\n", 0o600);
    let spec = spec_with_passfile(file.path().to_owned());
    assert_eq!(password_for(&spec), Some("from-file".to_owned()));
}

#[cfg(unix)]
#[test]
fn ignores_a_file_others_can_read() {
    for mode in [0o640, 0o604, 0o660, 0o610] {
        let file = write_passfile("*:*:*:*:leaked\n", mode);
        let spec = spec_with_passfile(file.path().to_owned());
        assert_eq!(password_for(&spec), None, "mode {mode:o}");
    }
}

#[test]
fn missing_file_or_directory_gives_nothing() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        password_for(&spec_with_passfile(dir.path().join("absent"))),
        None
    );
    assert_eq!(
        password_for(&spec_with_passfile(dir.path().to_owned())),
        None
    );
}

proptest! {
    #[test]
    fn never_panics(contents in any::<String>(), host in ".{0,10}") {
        let _ = find_password(&contents, &key(&host, 5432, "d", "u"));
    }

    #[test]
    fn escaped_fields_round_trip(
        host in "[^\n\r]{1,12}",
        password in "[^\n\r]{0,12}",
    ) {
        // A line starting with `#` is a comment, in libpq too.
        prop_assume!(!host.starts_with('#'));
        let escape = |s: &str| s.replace('\\', "\\\\").replace(':', "\\:");
        let line = format!("{}:5432:*:u:{}", escape(&host), escape(&password));
        let wanted = key(&host, 5432, "d", "u");
        prop_assert_eq!(find_password(&line, &wanted), Some(password));
    }
}
