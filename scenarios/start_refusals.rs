//! What `convene` refuses before doing anything, on SQLite and PostgreSQL: a database that
//! never answers (named, within the timeout), a URL that names no database, reading a log
//! that is not there, bad input to `account create`, and mistakes on the command line. Each
//! time: a short message, a non-zero exit, and nothing written.

use crate::support::convene;
use convene_projections::scratch::test_urls;
use sqlx::Connection;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `convene args…` in `folder` with no standard input (or `input`).
fn run_in(folder: &Path, args: &[&str], input: Option<&str>) -> Output {
    let mut command = convene();
    command
        .current_dir(folder)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("run convene");
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        use std::io::Write;
        stdin.write_all(input.as_bytes()).expect("write the input");
    }
    child.wait_with_output().expect("convene's output")
}

/// Insists `output` is a failure saying `expected` on one line (besides `serve`'s log records,
/// which start with their time); returns that line.
fn one_line_failure(output: &Output, expected: &str) -> String {
    let stderr: String = String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| !line.starts_with(|c: char| c.is_ascii_digit()))
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(!output.status.success(), "should fail: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains(expected),
        "expected `{expected}` in: {stderr}"
    );
    stderr
}

/// Whether `url`'s database holds any table of Convene's.
fn has_schema(url: &str) -> bool {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    sqlx::any::install_default_drivers();
    runtime.block_on(async {
        let mut connection = sqlx::AnyConnection::connect(url).await.expect("connect");
        sqlx::query("SELECT 1 FROM _sqlx_migrations")
            .fetch_all(&mut connection)
            .await
            .is_ok()
    })
}

fn is_empty(folder: &Path) -> bool {
    std::fs::read_dir(folder).map_or(true, |mut entries| entries.next().is_none())
}

#[test]
fn a_database_that_never_answers_is_named_within_the_timeout() {
    let folder = tempfile::tempdir().expect("a folder");

    // PostgreSQL: a listener that accepts connections and never says a word.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("a listener");
    let port = silent.local_addr().expect("its address").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming() {
            held.push(stream);
        }
    });
    let postgres = format!("postgres://convene@127.0.0.1:{port}/convene");

    // SQLite: a file another program keeps locked.
    let locked = folder.path().join("locked.db");
    let sqlite = format!("sqlite://{}", locked.display());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let _lock = runtime.block_on(async {
        let mut connection = sqlx::SqliteConnection::connect(&format!("{sqlite}?mode=rwc"))
            .await
            .expect("create the file");
        sqlx::query("BEGIN EXCLUSIVE")
            .execute(&mut connection)
            .await
            .expect("lock");
        sqlx::query("CREATE TABLE taken (x)")
            .execute(&mut connection)
            .await
            .expect("write under the lock");
        connection
    });

    for url in [&postgres, &sqlite] {
        for command in [
            &["migrate"][..],
            &["verify"],
            &["serve", "--listen", "127.0.0.1:0"],
        ] {
            let mut args = vec!["--database-url", url.as_str(), "--database-timeout", "1"];
            args.extend_from_slice(command);
            let started = Instant::now();
            let output = run_in(folder.path(), &args, None);
            let took = started.elapsed();
            let line = one_line_failure(&output, url);
            assert!(
                line.contains("did not answer within 1 s"),
                "{url} {command:?}: {line}"
            );
            assert!(
                took < Duration::from_secs(5),
                "{url} {command:?} took {took:?}"
            );
        }
    }
}

#[test]
fn a_url_without_a_database_is_refused_and_nothing_is_created() {
    let folder = tempfile::tempdir().expect("a folder");
    for url in [
        "postgres://",
        "postgres://postgres@127.0.0.1:5432",
        "postgresql://postgres@127.0.0.1:5432/",
        "sqlite:",
        "sqlite://",
    ] {
        for command in ["migrate", "verify", "serve"] {
            let output = run_in(folder.path(), &["--database-url", url, command], None);
            let line = one_line_failure(&output, "names no database: add its name, such as");
            assert!(line.contains(&format!("`{url}`")), "{line}");
        }
    }
    assert!(is_empty(folder.path()), "nothing written");
}

#[test]
fn read_only_commands_on_a_missing_log_say_so_and_create_nothing() {
    let folder = tempfile::tempdir().expect("a folder");
    let into = folder.path().join("then.db");
    let into = into.to_string_lossy();
    let missing = format!("sqlite://{}/nowhere/convene.db", folder.path().display());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut urls = vec![missing];
    // PostgreSQL: a database that exists but holds no log.
    let scratch = runtime.block_on(test_urls("scenario read-only commands on a missing log"));
    urls.extend(
        scratch
            .iter()
            .filter(|s| s.label == "postgres")
            .map(|s| s.url.clone()),
    );
    for url in &urls {
        let verify = run_in(folder.path(), &["--database-url", url, "verify"], None);
        one_line_failure(&verify, &format!("there is no log at {url}"));
        let as_of = run_in(
            folder.path(),
            &[
                "--database-url",
                url,
                "replay",
                "--as-of",
                "1",
                "--into",
                &into,
            ],
            None,
        );
        one_line_failure(&as_of, "there is no log at");
        assert!(is_empty(folder.path()), "{url}: nothing written");
        if url.starts_with("postgres") {
            assert!(!has_schema(url), "{url}: no schema created");
        }
    }
}

#[test]
fn account_create_with_bad_input_writes_nothing() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for database in runtime.block_on(test_urls("scenario account create with bad input")) {
        let folder = tempfile::tempdir().expect("a folder");
        let url = if database.label == "sqlite" {
            "sqlite://./data/convene.db".to_string()
        } else {
            database.url.clone()
        };
        for (email, password, expected) in [
            ("not-an-address", "correct horse battery", "email: "),
            ("ana@example.org", "short", "password: "),
        ] {
            let output = run_in(
                folder.path(),
                &[
                    "--database-url",
                    &url,
                    "--data-dir",
                    "./data",
                    "account",
                    "create",
                    email,
                ],
                Some(&format!("{password}\n")),
            );
            one_line_failure(&output, expected);
        }
        assert!(
            is_empty(folder.path()),
            "{}: no database, no mail folder",
            database.label
        );
        if database.label == "postgres" {
            assert!(!has_schema(&database.url), "no schema created");
        }
        // An address already used is refused too, and sends nothing, so no mail folder either.
        let create = |email: &str| {
            run_in(
                folder.path(),
                &[
                    "--database-url",
                    &url,
                    "--data-dir",
                    "./data",
                    "account",
                    "create",
                    email,
                ],
                Some("correct horse battery\n"),
            )
        };
        assert!(
            create("zoe@example.org").status.success(),
            "{}",
            database.label
        );
        one_line_failure(
            &create("zoe@example.org"),
            "an account already uses this address",
        );
        assert!(
            !folder.path().join("data/mail").exists(),
            "{}: no mail folder",
            database.label
        );
    }
}

#[test]
fn a_mistake_on_the_command_line_is_one_line_and_where_the_help_is() {
    let folder = tempfile::tempdir().expect("a folder");
    let output = run_in(folder.path(), &["serve", "--lisen", "127.0.0.1:8080"], None);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let lines: Vec<&str> = stderr.trim_end().lines().collect();
    assert_eq!(
        lines,
        [
            "error: unexpected argument '--lisen' found (a similar argument exists: '--listen')",
            "see `convene serve --help`"
        ]
    );
    let output = run_in(folder.path(), &["account", "create"], None);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 2, "{stderr}");
    assert!(stderr.contains("<EMAIL>"), "{stderr}");
    assert!(is_empty(folder.path()), "nothing written");
}

#[test]
fn verify_on_an_older_schema_asks_for_migrate_and_changes_nothing() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    sqlx::any::install_default_drivers();
    for database in runtime.block_on(test_urls("scenario verify on an older schema")) {
        let folder = tempfile::tempdir().expect("a folder");
        let migrated = run_in(
            folder.path(),
            &["--database-url", &database.url, "migrate"],
            None,
        );
        assert!(migrated.status.success(), "{}", database.label);
        // As if this build had a migration the database has not had yet.
        let forget_last = "DELETE FROM _sqlx_migrations WHERE version = \
                           (SELECT MAX(version) FROM _sqlx_migrations)";
        let count = "SELECT COUNT(*) FROM _sqlx_migrations";
        let before: i64 = runtime.block_on(async {
            let mut connection = sqlx::AnyConnection::connect(&database.url)
                .await
                .expect("connect");
            sqlx::query(forget_last)
                .execute(&mut connection)
                .await
                .expect("forget the last migration");
            sqlx::query_scalar(count)
                .fetch_one(&mut connection)
                .await
                .expect("count")
        });
        let verify = run_in(
            folder.path(),
            &["--database-url", &database.url, "verify"],
            None,
        );
        one_line_failure(&verify, "run `convene migrate` first");
        let after: i64 = runtime.block_on(async {
            let mut connection = sqlx::AnyConnection::connect(&database.url)
                .await
                .expect("connect");
            sqlx::query_scalar(count)
                .fetch_one(&mut connection)
                .await
                .expect("count")
        });
        assert_eq!(before, after, "{}: verify migrated nothing", database.label);
    }
}
