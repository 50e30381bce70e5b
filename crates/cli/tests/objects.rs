//! `coterie object` against three `coterie serve` processes: values from `--value`, a file
//! and stdin; conditions as flags; a failed condition exits 1 with the reason; `get` writes
//! the raw bytes.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers; clippy exempts only #[test] functions")]

use crate::support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use support::Members;

fn coterie(endpoints: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coterie"))
        .args([&["--endpoints", endpoints, "object"], args].concat())
        .output()
        .expect("the coterie binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ok(output: &Output) -> String {
    assert!(output.status.success(), "failed: {}\n{}", text(&output.stderr), text(&output.stdout));
    text(&output.stdout)
}

fn etag_of(line: &str) -> String {
    line.split_whitespace().find_map(|word| word.strip_prefix("etag=")).unwrap().to_owned()
}

#[test]
fn object_commands_put_get_and_refuse_by_their_conditions() {
    let members = Members::start(3);
    let endpoints = members.endpoint_list();
    let e = endpoints.as_str();

    let put = ok(&coterie(e, &["put", "docs", "a.txt", "--value", "hello", "--create-only"]));
    assert!(put.starts_with("a.txt  etag="), "{put}");
    let etag = etag_of(&put);
    let again = coterie(e, &["put", "docs", "a.txt", "--value", "again", "--create-only"]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again.stderr));
    assert!(text(&again.stderr).contains("already"), "{}", text(&again.stderr));
    assert_eq!(ok(&coterie(e, &["get", "docs", "a.txt"])), "hello");
    assert_eq!(ok(&coterie(e, &["get", "docs", "a.txt", "--range", "1-3"])), "el");
    let cached = coterie(e, &["get", "docs", "a.txt", "--if-none-match", &etag]);
    assert_eq!(cached.status.code(), Some(1), "{}", text(&cached.stderr));
    assert!(text(&cached.stderr).contains("not modified"), "{}", text(&cached.stderr));

    // Compare-and-swap from a file, then from stdin.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("v2.txt");
    std::fs::write(&file, b"version two").unwrap();
    let swapped = ok(&coterie(e, &["put", "docs", "a.txt", file.to_str().unwrap(), "--if-match", &etag]));
    let stale = coterie(e, &["put", "docs", "a.txt", "--value", "x", "--if-match", &etag]);
    assert_eq!(stale.status.code(), Some(1));
    let mut child = Command::new(env!("CARGO_BIN_EXE_coterie"))
        .args(["--endpoints", e, "object", "put", "docs", "b.bin", "-", "--attr", "owner=ci", "--ttl", "10m"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&[0, 1, 2, 255]).unwrap();
    let from_stdin = ok(&child.wait_with_output().unwrap());
    assert!(from_stdin.contains("size=4") && from_stdin.contains("owner=ci") && from_stdin.contains("expires_at_ms="));
    let out = dir.path().join("out.bin");
    ok(&coterie(e, &["get", "docs", "b.bin", "--out", out.to_str().unwrap()]));
    assert_eq!(std::fs::read(&out).unwrap(), [0, 1, 2, 255]);

    // Copy if not exists, move, list, delete by ETag.
    ok(&coterie(e, &["cp", "docs", "a.txt", "backup/a.txt", "--if-not-exists"]));
    assert_eq!(coterie(e, &["cp", "docs", "a.txt", "backup/a.txt", "--if-not-exists"]).status.code(), Some(1));
    ok(&coterie(e, &["mv", "docs", "b.bin", "moved.bin"]));
    let listed = ok(&coterie(e, &["ls", "docs", "--delimiter", "/"]));
    let keys: Vec<&str> = listed.lines().map(|line| line.split_whitespace().next().unwrap()).collect();
    assert_eq!(keys, ["backup/", "a.txt", "moved.bin"], "{listed}");
    let wrong = coterie(e, &["rm", "docs", "a.txt", "--if-match", &etag]);
    assert_eq!(wrong.status.code(), Some(1));
    assert_eq!(ok(&coterie(e, &["rm", "docs", "a.txt", "--if-match", &etag_of(&swapped)])).trim(), "deleted a.txt");
    let usage = coterie(e, &["get", "docs", "x", "--range", "nonsense"]);
    assert_eq!(usage.status.code(), Some(2), "{}", text(&usage.stderr));
}
