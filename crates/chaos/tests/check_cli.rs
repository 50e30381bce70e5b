//! The `coterie-chaos check` binary on hand-made history files: exit 0 and a report for a
//! linearizable history, exit 1 for one that is not, a clear error for a malformed one. No
//! cluster and no faults: the fault runs are `scripts/chaos.sh`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers")]

use std::process::{Command, Output};

fn check(history: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.jsonl");
    std::fs::write(&path, history).unwrap();
    Command::new(env!("CARGO_BIN_EXE_coterie-chaos")).arg("check").arg(&path).output().unwrap()
}

const WRITE_1: &str =
    r#"{"process":0,"key":"r","input":{"f":"write","value":1},"invoke":0,"complete":10,"outcome":{"ok":"written"}}"#;
const INCR: &str =
    r#"{"process":1,"key":"c","input":{"f":"incr"},"invoke":0,"complete":10,"outcome":{"ok":{"value":1}}}"#;
const INCR_UNKNOWN: &str =
    r#"{"process":2,"key":"c","input":{"f":"incr"},"invoke":0,"complete":3,"outcome":{"unknown":"timeout"}}"#;

#[test]
fn a_linearizable_history_passes_with_its_counts() {
    let read_1 =
        r#"{"process":1,"key":"r","input":{"f":"read"},"invoke":11,"complete":12,"outcome":{"ok":{"value":1}}}"#;
    let count_2 =
        r#"{"process":1,"key":"c","input":{"f":"count"},"invoke":20,"complete":21,"outcome":{"ok":{"value":2}}}"#;
    let out = check(&[WRITE_1, read_1, INCR, INCR_UNKNOWN, count_2].join("\n"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("TOTAL ops=5 ok=4 fail=0 unknown=1 verdict=linearizable"), "{stdout}");
}

#[test]
fn a_lost_write_is_a_violation() {
    // The write of 1 completed before the read began, and the read saw 0.
    let read_0 =
        r#"{"process":1,"key":"r","input":{"f":"read"},"invoke":11,"complete":12,"outcome":{"ok":{"value":0}}}"#;
    let out = check(&[WRITE_1, read_0, INCR].join("\n"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("NOT_LINEARIZABLE"), "{stdout}");
}

#[test]
fn a_malformed_history_is_an_error_naming_the_line() {
    let out = check(&[WRITE_1, "{\"process\":"].join("\n"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2"), "{}", String::from_utf8_lossy(&out.stderr));
}
