//! Runs the built `coterie` binary against a temporary data directory.

#![allow(clippy::expect_used, reason = "test helpers; clippy exempts only #[test] functions themselves")]

use std::path::Path;
use std::process::{Command, Output};

/// Runs `coterie <args...>` and returns what it did.
fn coterie(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coterie")).args(args).output().expect("the coterie binary runs")
}

/// Runs `coterie local --data-dir DIR <args...>`.
fn local(dir: &Path, args: &[&str]) -> Output {
    let dir = dir.to_str().expect("a UTF-8 temp path");
    coterie(&[&["local", "--data-dir", dir], args].concat())
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts success and returns stdout.
fn ok(output: Output) -> String {
    assert!(output.status.success(), "failed with {:?}: {}", output.status, stderr(&output));
    stdout(&output)
}

#[test]
fn increments_survive_across_processes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested/data");
    assert_eq!(ok(local(&data, &["atomic-long", "seq", "increment-and-get"])), "1\n");
    assert_eq!(ok(local(&data, &["atomic-long", "seq", "increment-and-get"])), "2\n");
    assert_eq!(ok(local(&data, &["atomic-long", "seq", "get"])), "2\n");
    assert!(data.join("coterie.redb").is_file());
}

#[test]
fn map_put_get_and_listing() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    assert_eq!(ok(local(dir, &["map", "users", "put", "ada", "lovelace"])), "(null)\n");
    assert_eq!(ok(local(dir, &["map", "users", "put", "alan", "turing"])), "(null)\n");
    assert_eq!(ok(local(dir, &["map", "users", "get", "ada"])), "lovelace\n");
    assert_eq!(ok(local(dir, &["map", "users", "get", "grace"])), "(null)\n");
    assert_eq!(ok(local(dir, &["map", "users", "entries", "--limit", "1"])), "ada = lovelace\nnext: ada\n");
    assert_eq!(ok(local(dir, &["map", "users", "keys", "--after", "ada"])), "alan\n");
    assert_eq!(ok(local(dir, &["map", "users", "size"])), "2\n");
}

#[test]
fn a_structure_error_exits_1_with_the_message_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ok(local(dir, &["atomic-long", "big", "set", "9223372036854775807"]));
    let output = local(dir, &["atomic-long", "big", "increment-and-get"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    assert_eq!(stderr(&output), "error: increment_and_get would overflow a 64-bit signed integer\n");
    // The value is unchanged, and a kind clash is a structure error too.
    assert_eq!(ok(local(dir, &["atomic-long", "big", "get"])), "9223372036854775807\n");
    let output = local(dir, &["map", "big", "put", "k", "v"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("\"big\" is of kind atomic-long, not map"), "{}", stderr(&output));
}

#[test]
fn usage_errors_exit_2_and_touch_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("never");
    for (args, expected) in [
        (&["atomic-long", "seq", "set", "x"][..], "N must be a 64-bit signed integer"),
        (&["fenced-lock", "l", "lock"][..], "its session would die with it"),
        (&["queue", "q", "take"][..], "`coterie serve`"),
        (&["map", "m", "frob"][..], "map has no operation \"frob\"; it supports: put KEY VALUE"),
        (&["widget", "w", "get"][..], "unknown structure kind \"widget\""),
    ] {
        let output = local(&data, args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(expected), "{args:?}: {}", stderr(&output));
    }
    assert!(!data.exists(), "a usage error must not create the data directory");
}

#[test]
fn inspect_lists_the_structures() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ok(local(dir, &["counter", "visits", "increment", "3"]));
    ok(local(dir, &["set", "tags", "add", "rust"]));
    ok(local(dir, &["atomic-long", "seq", "increment-and-get"]));
    ok(local(dir, &["map", "empty", "get", "k"])); // a read creates nothing and is not journaled
    let text = ok(coterie(&["inspect", "--data-dir", dir.to_str().unwrap()]));
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.contains(&"journal:       last purged index none, last index 3"), "{text}");
    assert!(lines.contains(&"snapshot:      none"), "{text}");
    assert!(lines.contains(&"applied index: 3"), "{text}");
    assert!(lines.contains(&"open sessions: 0"), "{text}");
    assert!(lines.contains(&"structures:    3"), "{text}");
    assert_eq!(lines[lines.len() - 3..], ["seq     atomic-long", "tags    set", "visits  counter"], "{text}");
}

#[test]
fn inspect_of_another_group_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().to_str().unwrap();
    ok(coterie(&["local", "--data-dir", dir, "--group", "a", "counter", "c", "increment"]));
    let text = ok(coterie(&["inspect", "--data-dir", dir, "--group", "b"]));
    assert!(text.contains("structures:    0\n(nothing was ever written to group \"b\" in this file)"), "{text}");
    let text = ok(coterie(&["inspect", "--data-dir", dir, "--group", "a"]));
    assert!(text.ends_with("c  counter\n"), "{text}");
}

#[test]
fn inspect_of_a_missing_dir_fails_clearly_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let output = coterie(&["inspect", "--data-dir", missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3));
    let message = stderr(&output);
    assert!(message.starts_with("error: no Coterie data at "), "{message}");
    assert!(message.contains("never creates it"), "{message}");
    assert!(!missing.exists());
}

/// One record as `coterie bench --json` writes it.
const BENCH_RECORD: &str = r#"{"workload":"sharded-get","system":"coterie","clients":16,"duration_s":5.0,"ops":99020,"ops_per_s":19804.0,"p50_us":740,"p99_us":1973,"p999_us":3000,"max_us":5000,"errors":0,"first_error":null,"server_cpu_s":4.0}"#;

#[test]
fn bench_report_writes_only_where_told_and_says_what_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("results.jsonl");
    std::fs::write(&json, format!("{BENCH_RECORD}\n")).unwrap();
    let json = json.to_str().unwrap();

    // No --out: a usage error, and no docs/benchmarks.md written in the working directory.
    let refused = Command::new(env!("CARGO_BIN_EXE_coterie"))
        .args(["bench", "report", "--json", json])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("--out"), "{}", stderr(&refused));
    assert!(!dir.path().join("docs").exists());

    let out = dir.path().join("report.md");
    let written = coterie(&["bench", "report", "--json", json, "--out", out.to_str().unwrap()]);
    assert!(written.status.success(), "{}", stderr(&written));
    assert_eq!(stderr(&written), format!("wrote {} (run records: 1, workload tables: 1)\n", out.display()));
    let report = std::fs::read_to_string(&out).unwrap();
    assert!(report.contains("## sharded-get") && report.contains("19804"), "{report}");
}
