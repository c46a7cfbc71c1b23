use std::path::PathBuf;
use std::time::Duration;

use proptest::prelude::*;

use super::*;
use crate::db::env::MapEnvironment;

/// An environment with only `USER` set and no socket directory, so defaults
/// are the same on every machine.
fn test_env(vars: &[(&str, &str)]) -> MapEnvironment {
    let mut env = MapEnvironment::with_vars([("USER", "osuser")]);
    for (name, value) in vars {
        env.vars.insert((*name).to_owned(), (*value).to_owned());
    }
    env
}

fn parse(input: &str) -> ConnSpec {
    ConnSpec::parse_in(input, &test_env(&[])).unwrap()
}

fn parse_err(input: &str) -> ParseError {
    ConnSpec::parse_in(input, &test_env(&[])).unwrap_err()
}

fn tcp(name: &str) -> Host {
    Host::Tcp(name.to_owned())
}

#[test]
fn full_uri() {
    let spec = parse(
        "postgresql://alice:s3cret@db.example:6543/app?sslmode=verify-full\
         &application_name=ide&connect_timeout=3&options=-c%20search_path%3Dapp",
    );
    assert_eq!(spec.host, tcp("db.example"));
    assert_eq!(spec.port, 6543);
    assert_eq!(spec.user, "alice");
    assert_eq!(spec.password(), Some("s3cret"));
    assert_eq!(spec.dbname, "app");
    assert_eq!(spec.sslmode, SslMode::VerifyFull);
    assert_eq!(spec.application_name.as_deref(), Some("ide"));
    assert_eq!(spec.connect_timeout, Some(Duration::from_secs(3)));
    assert_eq!(spec.options.as_deref(), Some("-c search_path=app"));
}

#[test]
fn postgres_scheme_and_minimal_uri() {
    let spec = parse("postgres://db");
    assert_eq!(spec.host, tcp("db"));
    assert_eq!(spec.port, 5432);
    assert_eq!(spec.user, "osuser");
    assert_eq!(spec.dbname, "osuser");
    assert_eq!(spec.password(), None);
    assert_eq!(spec.sslmode, SslMode::Prefer);
    assert_eq!(spec.connect_timeout, Some(DEFAULT_CONNECT_TIMEOUT));
}

#[test]
fn scheme_is_case_insensitive() {
    assert_eq!(parse("PostgreSQL://db/x").dbname, "x");
}

#[test]
fn percent_decoding_in_every_component() {
    let spec = parse("postgresql://al%40ce:p%3Aw%2Fd%25@db/my%20db?application_name=a%26b");
    assert_eq!(spec.user, "al@ce");
    assert_eq!(spec.password(), Some("p:w/d%"));
    assert_eq!(spec.dbname, "my db");
    assert_eq!(spec.application_name.as_deref(), Some("a&b"));
}

#[test]
fn unencoded_at_and_slash_in_password_still_parse() {
    let spec = parse("postgresql://bob:pa@ss/word@db:5433/app");
    assert_eq!(spec.password(), Some("pa@ss/word"));
    assert_eq!(spec.host, tcp("db"));
    assert_eq!(spec.port, 5433);
    assert_eq!(spec.dbname, "app");
}

#[test]
fn unix_socket_in_authority_and_in_query() {
    let spec = parse("postgresql://%2Fvar%2Frun%2Fpostgresql/app");
    assert_eq!(spec.host, Host::Unix(PathBuf::from("/var/run/postgresql")));
    assert_eq!(spec.dbname, "app");

    let spec = parse("postgresql:///app?host=/tmp/sockets&port=5544");
    assert_eq!(spec.host, Host::Unix(PathBuf::from("/tmp/sockets")));
    assert_eq!(spec.port, 5544);
}

#[test]
fn query_host_overrides_authority() {
    assert_eq!(parse("postgresql://a/db?host=b").host, tcp("b"));
}

#[test]
fn ipv6_hosts() {
    let spec = parse("postgresql://[::1]:5433/db");
    assert_eq!(spec.host, tcp("::1"));
    assert_eq!(spec.port, 5433);
    assert_eq!(parse("postgresql://[fe80::1]/db").host, tcp("fe80::1"));
    assert_eq!(
        parse_err("postgresql://[::1/db"),
        ParseError::InvalidIpv6Host
    );
    assert_eq!(
        parse_err("postgresql://[::1]x/db"),
        ParseError::InvalidIpv6Host
    );
}

#[test]
fn multiple_hosts_use_the_first() {
    let spec = parse("postgresql://h1:5433,h2:5434/db");
    assert_eq!(spec.host, tcp("h1"));
    assert_eq!(spec.port, 5433);
    let spec = parse("host=h1,h2 port=6000,6001");
    assert_eq!(spec.host, tcp("h1"));
    assert_eq!(spec.port, 6000);
}

#[test]
fn jdbc_ssl_true_means_require() {
    assert_eq!(
        parse("postgresql://db/x?ssl=true").sslmode,
        SslMode::Require
    );
    assert!(matches!(
        parse_err("postgresql://db/x?ssl=false"),
        ParseError::InvalidSslMode { .. }
    ));
}

#[test]
fn key_value_form() {
    let spec = parse(
        r"host=db port = 5433 dbname=app user=alice password='quoted \' value' sslmode=require",
    );
    assert_eq!(spec.host, tcp("db"));
    assert_eq!(spec.port, 5433);
    assert_eq!(spec.dbname, "app");
    assert_eq!(spec.user, "alice");
    assert_eq!(spec.password(), Some("quoted ' value"));
    assert_eq!(spec.sslmode, SslMode::Require);
}

#[test]
fn key_value_escapes_and_empty_values() {
    let spec = parse(r"password=a\ b\\c dbname='' user=''");
    assert_eq!(spec.password(), Some(r"a b\c"));
    // Empty means "not given": defaults apply.
    assert_eq!(spec.user, "osuser");
    assert_eq!(spec.dbname, "osuser");
}

#[test]
fn later_settings_win() {
    assert_eq!(parse("dbname=a dbname=b").dbname, "b");
}

#[test]
fn empty_string_means_all_defaults() {
    let spec = parse("   ");
    assert_eq!(spec.host, tcp("localhost"));
    assert_eq!(spec.port, DEFAULT_PORT);
    assert_eq!(spec.user, "osuser");
}

#[test]
fn default_host_is_the_socket_directory_when_it_exists() {
    let mut env = test_env(&[]);
    env.existing_dirs.push(PathBuf::from(DEFAULT_SOCKET_DIR));
    let spec = ConnSpec::parse_in("", &env).unwrap();
    assert_eq!(spec.host, Host::Unix(PathBuf::from(DEFAULT_SOCKET_DIR)));
}

#[test]
fn environment_fills_gaps() {
    let env = test_env(&[
        ("PGHOST", "envhost"),
        ("PGPORT", "7000"),
        ("PGDATABASE", "envdb"),
        ("PGUSER", "envuser"),
        ("PGPASSWORD", "envpw"),
        ("PGSSLMODE", "verify-ca"),
        ("PGCONNECT_TIMEOUT", "4"),
        ("PGAPPNAME", "envapp"),
        ("PGSSLROOTCERT", "/certs/ca.pem"),
        ("PGPASSFILE", "/secrets/pgpass"),
        ("PGOPTIONS", "-c work_mem=64MB"),
    ]);
    let spec = ConnSpec::parse_in("", &env).unwrap();
    assert_eq!(spec.host, tcp("envhost"));
    assert_eq!(spec.port, 7000);
    assert_eq!(spec.dbname, "envdb");
    assert_eq!(spec.user, "envuser");
    assert_eq!(spec.password(), Some("envpw"));
    assert_eq!(spec.sslmode, SslMode::VerifyCa);
    assert_eq!(spec.connect_timeout, Some(Duration::from_secs(4)));
    assert_eq!(spec.application_name.as_deref(), Some("envapp"));
    assert_eq!(
        spec.sslrootcert,
        Some(RootCert::File(PathBuf::from("/certs/ca.pem")))
    );
    assert_eq!(spec.passfile, Some(PathBuf::from("/secrets/pgpass")));
    assert_eq!(spec.options.as_deref(), Some("-c work_mem=64MB"));
}

#[test]
fn connection_string_beats_environment() {
    let env = test_env(&[
        ("PGHOST", "envhost"),
        ("PGUSER", "envuser"),
        ("PGPASSWORD", "envpw"),
        ("PGSSLMODE", "disable"),
    ]);
    let spec =
        ConnSpec::parse_in("postgresql://alice:urlpw@urlhost/db?sslmode=require", &env).unwrap();
    assert_eq!(spec.host, tcp("urlhost"));
    assert_eq!(spec.user, "alice");
    assert_eq!(spec.password(), Some("urlpw"));
    assert_eq!(spec.sslmode, SslMode::Require);
}

#[test]
fn dbname_defaults_to_the_resolved_user() {
    let spec = ConnSpec::parse_in("", &test_env(&[("PGUSER", "carol")])).unwrap();
    assert_eq!(spec.dbname, "carol");
    assert_eq!(parse("user=dave").dbname, "dave");
}

#[test]
fn missing_user_is_an_error() {
    let err = ConnSpec::parse_in("host=db", &MapEnvironment::default()).unwrap_err();
    assert_eq!(err, ParseError::MissingUser);
    assert!(err.to_string().contains("PGUSER"));
}

#[test]
fn home_directory_defaults() {
    let mut env = test_env(&[]);
    env.home = Some(PathBuf::from("/home/u"));
    let spec = ConnSpec::parse_in("", &env).unwrap();
    assert_eq!(spec.passfile, Some(PathBuf::from("/home/u/.pgpass")));
    // No ~/.postgresql/root.crt: nothing to verify against by default.
    assert_eq!(spec.sslrootcert, None);

    env.existing_files
        .push(PathBuf::from("/home/u/.postgresql/root.crt"));
    let spec = ConnSpec::parse_in("", &env).unwrap();
    assert_eq!(
        spec.sslrootcert,
        Some(RootCert::File(PathBuf::from(
            "/home/u/.postgresql/root.crt"
        )))
    );
}

#[test]
fn system_roots_force_verify_full() {
    assert_eq!(parse("sslrootcert=system").sslmode, SslMode::VerifyFull);
    assert_eq!(
        parse_err("sslrootcert=system sslmode=require"),
        ParseError::WeakSslModeWithSystemRoots {
            sslmode: SslMode::Require
        }
    );
}

#[test]
fn connect_timeout_follows_libpq() {
    assert_eq!(parse("connect_timeout=0").connect_timeout, None);
    assert_eq!(parse("connect_timeout=-5").connect_timeout, None);
    assert_eq!(
        parse("connect_timeout=1").connect_timeout,
        Some(Duration::from_secs(2))
    );
    assert!(matches!(
        parse_err("connect_timeout=soon"),
        ParseError::InvalidConnectTimeout { .. }
    ));
}

#[test]
fn from_environment_without_configuration_is_none() {
    let env = test_env(&[("PGSSLMODE", "require"), ("PGAPPNAME", "x")]);
    assert_eq!(ConnSpec::from_environment_in(&env), Ok(None));
    assert_eq!(
        ConnSpec::from_environment_in(&test_env(&[("DATABASE_URL", " ")])),
        Ok(None)
    );
}

#[test]
fn from_environment_uses_database_url_then_pg_variables() {
    let env = test_env(&[
        ("DATABASE_URL", "postgresql://url@urlhost/urldb"),
        ("PGPASSWORD", "envpw"),
        ("PGHOST", "envhost"),
    ]);
    let spec = ConnSpec::from_environment_in(&env).unwrap().unwrap();
    assert_eq!(spec.host, tcp("urlhost"));
    assert_eq!(spec.user, "url");
    assert_eq!(spec.password(), Some("envpw"));

    let env = test_env(&[("PGHOST", "envhost"), ("PGDATABASE", "envdb")]);
    let spec = ConnSpec::from_environment_in(&env).unwrap().unwrap();
    assert_eq!(spec.host, tcp("envhost"));
    assert_eq!(spec.dbname, "envdb");
}

#[test]
fn bad_database_url_is_an_error_not_none() {
    let env = test_env(&[("DATABASE_URL", "mysql://x")]);
    assert!(ConnSpec::from_environment_in(&env).is_err());
}

#[test]
fn errors_say_what_is_wrong() {
    assert_eq!(
        parse_err("mysql://db/x").to_string(),
        "unsupported connection URI scheme `mysql`: use postgresql:// or postgres://"
    );
    assert!(
        parse_err("postgresql://db:54x2/x")
            .to_string()
            .contains("invalid port")
    );
    assert!(
        parse_err("postgresql://db:99999/x")
            .to_string()
            .contains("`99999`")
    );
    assert!(parse_err("sslmode=maybe").to_string().contains("`maybe`"));
    assert!(parse_err("sslmod=require").to_string().contains("`sslmod`"));
    assert!(
        ConnSpec::parse_in("", &test_env(&[("PGPORT", "x")]))
            .unwrap_err()
            .to_string()
            .contains("PGPORT")
    );
    assert!(matches!(
        parse_err("postgresql://db/x?sslmode"),
        ParseError::MissingValue { .. }
    ));
    assert!(matches!(
        parse_err("postgresql://db/x%zz"),
        ParseError::InvalidPercentEncoding {
            component: "database name"
        }
    ));
    assert!(matches!(
        parse_err("postgresql://db/x%00"),
        ParseError::InvalidPercentEncoding { .. }
    ));
    assert!(matches!(
        parse_err("postgresql://db/%ff"),
        ParseError::InvalidUtf8 { .. }
    ));
}

/// Passwords written carelessly end up in odd places; no error may echo them.
#[test]
fn errors_never_echo_the_password() {
    let cases = [
        ("password=hunter2 zz", "hunter2"),
        ("password='hunter2", "hunter2"),
        ("password=hun ter2", "ter2"),
        ("password=hunter2 Hunter2=x", "Hunter2"),
        ("password=a%ZZ port=x", "a%ZZ"),
        ("postgresql://u:hun?ter2@db/x", "hun"),
        ("postgresql://u:Hunter2%zz@db/x", "Hunter2"),
        ("postgresql://u:hunter2@db/x?sslmode=verify", "hunter2"),
        ("postgresql://u:pw@db/x?Hunter2", "Hunter2"),
        ("password=x\0y", "x"),
    ];
    for (input, secret) in cases {
        let err = parse_err(input);
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(secret), "{input:?} produced {shown}");
    }
}

#[test]
fn redacted_uri_hides_the_password() {
    let spec = parse("postgresql://alice:hunter2@db:5432/app");
    assert_eq!(spec.redacted(), "postgresql://alice:***@db:5432/app");
    assert_eq!(spec.to_string(), spec.redacted());

    let spec = parse("host=/var/run/postgresql user=bob dbname=my\\ db sslmode=verify-full");
    assert_eq!(
        spec.redacted(),
        "postgresql://bob@:5432/my%20db?host=/var/run/postgresql&sslmode=verify-full"
    );
    assert_eq!(
        parse("host=::1 user=u").redacted(),
        "postgresql://u@[::1]:5432/u"
    );
}

#[test]
fn redacted_uri_parses_back_to_the_same_target() {
    let env = test_env(&[]);
    for input in [
        "postgresql://al%40ice@db.example:6000/my%2Fdb?sslmode=require",
        "host='/tmp/socket dir' user=u dbname=d",
        "host=fe80::1 port=7 user=u",
        "host=fe80::1%eth0 user=u",
        "host=db user='a b:c@d' dbname='x/y?z&w=v#' sslmode=verify-ca",
    ] {
        let spec = ConnSpec::parse_in(input, &env).unwrap();
        let again = ConnSpec::parse_in(&spec.redacted(), &env).unwrap();
        assert_eq!(again, spec, "{input}");
    }
}

#[test]
fn debug_never_shows_the_password() {
    let spec = parse("postgresql://alice:hunter2@db/app");
    let debug = format!("{spec:?} {spec:#?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("password: Some(\"***\")"), "{debug}");

    let env = test_env(&[("PGPASSWORD", "from-env-secret")]);
    let spec = ConnSpec::parse_in("host=db", &env).unwrap();
    assert!(!format!("{spec:?}{spec}").contains("from-env-secret"));
}

proptest! {
    #[test]
    fn redaction_round_trips_and_hides_the_password(
        user in "[^\0]{1,12}",
        dbname in "[^\0]{1,12}",
        host in "[a-z][a-z0-9.-]{0,10}",
        port in 1u16..,
        password in "[^\0]{8,16}",
    ) {
        let quote = |s: &str| format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"));
        let input = format!(
            "host={host} port={port} user={} dbname={} password={}",
            quote(&user), quote(&dbname), quote(&password)
        );
        let mut spec = ConnSpec::parse_in(&input, &test_env(&[])).unwrap();
        let shown = format!("{spec} {spec:?} {spec:#?}");
        prop_assert!(!shown.contains(&password), "{}", shown);
        let mut again = ConnSpec::parse_in(&spec.redacted(), &test_env(&[])).unwrap();
        again.set_password(None);
        spec.set_password(None);
        prop_assert_eq!(again, spec);
    }

    #[test]
    fn parsing_never_panics(input in any::<String>()) {
        let _ = ConnSpec::parse_in(&input, &test_env(&[]));
    }

    #[test]
    fn uri_like_input_never_panics(
        rest in "[a-z0-9:@/?&=%\\[\\],.'\\\\ -]{0,40}"
    ) {
        let _ = ConnSpec::parse_in(&format!("postgresql://{rest}"), &test_env(&[]));
        let _ = ConnSpec::parse_in(&format!("host={rest}"), &test_env(&[]));
    }

    #[test]
    fn passwords_round_trip_through_key_value_quoting(password in "[^\0]{1,30}") {
        let quoted = password.replace('\\', "\\\\").replace('\'', "\\'");
        let spec = ConnSpec::parse_in(&format!("password='{quoted}'"), &test_env(&[])).unwrap();
        prop_assert_eq!(spec.password(), Some(password.as_str()));
    }

    #[test]
    fn no_error_contains_the_password(password in "[A-Za-z0-9@:/?%' ]{6,20}") {
        for input in [
            format!("postgresql://u:{password}@db/x"),
            format!("password={password} host=db"),
            format!("password='{password}"),
        ] {
            if let Err(err) = ConnSpec::parse_in(&input, &test_env(&[])) {
                let shown = format!("{err} {err:?}");
                // Only meaningful for a password with no piece a keyword could be.
                let pieces_could_be_keywords = password
                    .split(|c: char| !c.is_ascii_lowercase())
                    .any(|piece| !piece.is_empty());
                if !pieces_could_be_keywords {
                    prop_assert!(!shown.contains(password.trim()), "{} -> {}", input, shown);
                }
            }
        }
    }
}
