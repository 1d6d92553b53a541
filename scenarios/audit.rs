//! The verifiable audit export, with the real binary on SQLite and PostgreSQL: an administrator
//! exports the log (whole, or a slice by position or time), anyone checks the file offline; one
//! byte edited, one line dropped or the file cut short is found and named; a range outside the
//! log writes nothing.

use crate::support::{run, run_ok};
use convene_projections::scratch::test_urls;
use std::path::Path;

fn check(file: &Path) -> (bool, String) {
    check_with(file, &[])
}

fn check_with(file: &Path, more: &[&str]) -> (bool, String) {
    // `check` reads no database: any URL will do, and none is touched.
    let file = file.to_string_lossy();
    let mut args = vec!["audit", "check", &file];
    args.extend_from_slice(more);
    let output = run("sqlite:///nonexistent/never-opened.db", &args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn an_audit_export_verifies_and_any_edit_to_it_is_found() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for scratch in runtime.block_on(test_urls("scenario audit export")) {
        let url = &scratch.url;
        for name in ["alice", "bob", "carol"] {
            run_ok(url, &["profile", "create", name]);
        }
        run_ok(url, &["profile", "rename", "alice", "Alice Liddell"]);
        let folder = tempfile::tempdir().expect("a folder");
        let whole = folder.path().join("whole.jsonl");
        let said = run_ok(
            url,
            &["audit", "export", "--output", &whole.to_string_lossy()],
        );
        assert!(said.contains("positions 1 to "), "{said}");
        let (ok, text) = check(&whole);
        assert!(ok, "{text}");
        assert!(
            text.contains("intact") && text.contains("up to its head"),
            "{text}"
        );
        // Against the instance's key, as `audit key` gives it to an auditor; another fails.
        let key = run_ok(url, &["audit", "key"]);
        let fingerprint = key.split_whitespace().next().expect("a fingerprint");
        assert!(text.contains(fingerprint), "{text}");
        let (ok, text) = check_with(&whole, &["--key-sha256", fingerprint]);
        assert!(ok && text.contains("the expected key"), "{text}");
        let (ok, text) = check_with(&whole, &["--key-sha256", &"0".repeat(64)]);
        assert!(!ok && text.contains("signed by another key"), "{text}");

        // A slice from the middle chains from the hash before it.
        let slice = folder.path().join("slice.jsonl");
        let said = run_ok(
            url,
            &[
                "audit",
                "export",
                "--from",
                "2",
                "--to",
                "3",
                "-o",
                &slice.to_string_lossy(),
            ],
        );
        assert!(said.contains("2 changes, positions 2 to 3"), "{said}");
        let (ok, text) = check(&slice);
        assert!(ok, "{text}");
        assert!(!text.contains("up to its head"), "{text}");

        let original = std::fs::read_to_string(&whole).expect("the export");
        let lines: Vec<&str> = original.lines().collect();
        let tampered = |name: &str, content: String| {
            let path = folder.path().join(name);
            std::fs::write(&path, content).expect("write");
            check(&path)
        };
        // One byte of a payload edited (the rename's new name).
        let edited = original.replacen("Alice Liddell", "Alice Liddelm", 1);
        assert_ne!(edited, original);
        let (ok, text) = tampered("edited.jsonl", edited);
        assert!(!ok, "{text}");
        assert!(text.contains("does not match its hash"), "{text}");
        // A change dropped.
        let mut dropped = lines.clone();
        dropped.remove(2);
        let (ok, text) = tampered("dropped.jsonl", dropped.join("\n") + "\n");
        assert!(!ok, "{text}");
        assert!(text.contains("missing or out of order"), "{text}");
        // Cut short.
        let (ok, text) = tampered("cut.jsonl", lines[..lines.len() - 1].join("\n") + "\n");
        assert!(!ok, "{text}");
        assert!(text.contains("truncated"), "{text}");
        // The header's instance changed: only the signature can tell.
        let renamed = original.replacen("\"instance\":\"", "\"instance\":\"x", 1);
        let (ok, text) = tampered("renamed.jsonl", renamed);
        assert!(!ok, "{text}");
        assert!(text.contains("signature does not match"), "{text}");

        // A range outside the log, or onto an existing file, writes nothing.
        let outside = folder.path().join("outside.jsonl");
        let refused = run(
            url,
            &[
                "audit",
                "export",
                "--to",
                "9999",
                "-o",
                &outside.to_string_lossy(),
            ],
        );
        assert!(!refused.status.success());
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(said.contains("outside the log"), "{said}");
        assert!(!outside.exists());
        let existing = run(url, &["audit", "export", "-o", &whole.to_string_lossy()]);
        assert!(!existing.status.success());
        assert!(
            String::from_utf8_lossy(&existing.stderr).contains("give a new file"),
            "{:?}",
            existing
        );
        let reversed = run(
            url,
            &[
                "audit",
                "export",
                "--from",
                "3",
                "--to",
                "2",
                "-o",
                &outside.to_string_lossy(),
            ],
        );
        assert!(
            String::from_utf8_lossy(&reversed.stderr).contains("comes after --to"),
            "{reversed:?}"
        );
        assert!(!outside.exists());
    }
}
