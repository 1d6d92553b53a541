//! Bad input on the command line: one line saying what to do, a non-zero exit, nothing written.

use crate::support::{run, run_ok, temp_path};

fn fails_with(database_url: &str, args: &[&str], expected: &str) -> String {
    let output = run(database_url, args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "convene {args:?} should fail");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains(expected),
        "expected `{expected}` in: {stderr}"
    );
    stderr
}

#[test]
fn an_unknown_database_scheme_is_refused() {
    fails_with(
        "mysql://me:secret@localhost/convene",
        &["migrate"],
        "use sqlite://PATH or postgres://",
    );
    let stderr = fails_with(
        "mysql://me:secret@localhost/convene",
        &["verify"],
        "is not a database URL",
    );
    assert!(
        !stderr.contains("secret"),
        "passwords are never printed: {stderr}"
    );
}

#[test]
fn an_unreachable_database_is_named_with_what_to_check() {
    // Port 1 on loopback: nothing listens there.
    fails_with(
        "postgres://convene@127.0.0.1:1/convene",
        &["verify"],
        "check DATABASE_URL and that the database server is running",
    );
}

#[test]
fn as_of_outside_the_log_or_into_an_existing_file_writes_nothing() {
    let (folder, db) = temp_path("convene.db");
    let url = format!("sqlite://{}", db.display());
    run_ok(&url, &["profile", "create", "alice"]);
    let into = folder.path().join("then.db");
    let into_text = into.to_string_lossy().to_string();

    fails_with(
        &url,
        &[
            "replay",
            "--as-of",
            "2001-01-01T00:00:00Z",
            "--into",
            &into_text,
        ],
        "is before the first event",
    );
    fails_with(
        &url,
        &[
            "replay",
            "--as-of",
            "2999-01-01T00:00:00Z",
            "--into",
            &into_text,
        ],
        "is after the last event",
    );
    fails_with(
        &url,
        &["replay", "--as-of", "7", "--into", &into_text],
        "choose one from 1 to 2",
    );
    // A malformed value is caught while parsing the command line (clap adds a hint line).
    let output = run(
        &url,
        &["replay", "--as-of", "tuesday", "--into", &into_text],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`tuesday` is neither a log position"),
        "{stderr}"
    );
    assert!(!into.exists(), "nothing was written");

    std::fs::write(&into, b"precious").expect("write");
    fails_with(
        &url,
        &["replay", "--as-of", "1", "--into", &into_text],
        "already exists",
    );
    assert_eq!(
        std::fs::read(&into).expect("read"),
        b"precious",
        "an existing file is never touched"
    );
}

#[test]
fn a_taken_username_is_refused_and_the_log_is_unchanged() {
    let (_folder, db) = temp_path("convene.db");
    let url = format!("sqlite://{}", db.display());
    run_ok(&url, &["profile", "create", "alice"]);
    fails_with(
        &url,
        &["profile", "create", "alice"],
        "@alice is already taken",
    );
    fails_with(&url, &["profile", "create", "Not Valid"], "a-z, 0-9 and _");
    // The username's claim and the profile: nothing more.
    let verified = run_ok(&url, &["verify"]);
    assert!(verified.contains("verified 2 events"), "{verified}");
}

#[test]
fn verify_fails_naming_the_tampered_position() {
    let (_folder, db) = temp_path("convene.db");
    let url = format!("sqlite://{}", db.display());
    run_ok(&url, &["profile", "create", "alice"]);
    run_ok(&url, &["profile", "create", "bob"]);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let db = convene_projections::Database::open(&url).await.expect("open");
        sqlx::query(r#"UPDATE event_log SET payload = '{"Created":{"username":"bob","display_name":"Mallory"}}' WHERE position = 2"#)
            .execute(db.pool())
            .await
            .expect("tamper");
        db.close().await;
    });
    fails_with(&url, &["verify"], "the log is broken at position 2");
}

#[test]
fn limits_that_make_no_sense_are_refused_at_start() {
    let (_folder, db) = temp_path("convene.db");
    let url = format!("sqlite://{}", db.display());
    fails_with(&url, &["serve", "--body-limit", "0"], "--body-limit");
    fails_with(
        &url,
        &["serve", "--trusted-proxies", "not-a-network"],
        "--trusted-proxies",
    );
}
