//! The sharded data commands (`coterie counter|map|set|queue`) against three `coterie serve`
//! processes: what each prints, and the exit status of a refusal, a usage error and a take
//! that found nothing. Every wait is bounded; every process started is stopped.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers; clippy exempts only #[test] functions")]

mod support;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use support::Members;

const BOUND: Duration = Duration::from_secs(60);

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `coterie --endpoints ENDPOINTS ARGS...`.
fn coterie(endpoints: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coterie"))
        .args(["--endpoints", endpoints])
        .args(args)
        .output()
        .expect("the coterie binary runs")
}

/// Runs a command that must succeed, answering its stdout.
fn ok(endpoints: &str, args: &[&str]) -> String {
    let output = coterie(endpoints, args);
    assert!(output.status.success(), "{args:?} failed: {}", text(&output.stderr));
    text(&output.stdout)
}

#[test]
fn the_sharded_data_commands_answer_through_any_member() {
    let members = Members::start(3);
    let all = members.endpoint_list();

    // Bounded wait for the first write: the members commit a partition table meanwhile.
    let started = Instant::now();
    let first = loop {
        let output = coterie(&all, &["counter", "--shards", "50", "page-views", "increment", "100"]);
        if output.status.success() {
            break text(&output.stdout);
        }
        assert!(started.elapsed() < BOUND, "no sharded write succeeded: {}", text(&output.stderr));
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(first, "100\n");
    // Through each member alone: whichever it is, it routes to the owner.
    let [one, two, three] = [0, 1, 2].map(|i| members.endpoints[i].clone());
    assert_eq!(ok(&two, &["counter", "--shards", "50", "page-views", "decrement", "10"]), "90\n");
    assert_eq!(ok(&three, &["counter", "--shards", "50", "page-views", "get"]), "90\n");
    assert_eq!(ok(&one, &["counter", "--shards", "50", "page-views", "get"]), "90\n");

    assert_eq!(ok(&one, &["map", "users", "put", "alice", "alice@example.com"]), "(null)\n");
    assert_eq!(ok(&two, &["map", "users", "put", "alice", "alice@example.org"]), "alice@example.com\n");
    assert_eq!(ok(&three, &["map", "users", "get", "alice"]), "alice@example.org\n");
    assert_eq!(ok(&one, &["map", "users", "compare-and-set", "alice", "--null", "x"]), "false\n");
    assert_eq!(ok(&two, &["map", "users", "delete", "alice"]), "true\n");
    assert_eq!(ok(&three, &["map", "users", "contains", "alice"]), "false\n");

    assert_eq!(ok(&one, &["set", "tags", "add", "rust"]), "true\n");
    assert_eq!(ok(&two, &["set", "tags", "add", "rust"]), "false\n");
    assert_eq!(ok(&three, &["set", "tags", "contains", "rust"]), "true\n");

    assert_eq!(ok(&one, &["queue", "jobs", "enqueue", "task-1"]), "ok\n");
    assert_eq!(ok(&two, &["queue", "jobs", "enqueue", "task-2"]), "ok\n");
    assert_eq!(ok(&three, &["queue", "jobs", "size"]), "2\n");
    assert_eq!(ok(&one, &["queue", "jobs", "peek"]), "task-1\n");
    assert_eq!(ok(&two, &["queue", "jobs", "dequeue"]), "task-1\n");
    assert_eq!(ok(&three, &["queue", "jobs", "drain", "5"]), "task-2\n");
    assert_eq!(ok(&one, &["queue", "jobs", "dequeue"]), "(null)\n", "an empty queue dequeues nothing");

    // A take that finds nothing within its wait: exit 4, like a latch that did not open.
    let take = coterie(&two, &["queue", "jobs", "take", "1"]);
    assert_eq!(take.status.code(), Some(4), "{}", text(&take.stderr));
    assert_eq!(text(&take.stdout), "(null)\n");
    assert!(text(&take.stderr).contains("no item arrived in queue \"jobs\" within 1s"), "{}", text(&take.stderr));

    // What the engine refuses is exit 1 with its reason; a usage error is exit 2, before connecting.
    let max = i64::MAX.to_string();
    let refused = coterie(&three, &["counter", "--shards", "50", "page-views", "increment", &max]);
    assert_eq!(refused.status.code(), Some(1), "an overflow is refused: {}", text(&refused.stderr));
    let usage = coterie(&one, &["map", "users", "size"]);
    assert_eq!(usage.status.code(), Some(2), "{}", text(&usage.stderr));
    assert!(text(&usage.stderr).contains("does not serve whole-structure operations yet"), "{}", text(&usage.stderr));
    let at = coterie(&one, &["counter", "views@g", "get"]);
    assert_eq!(at.status.code(), Some(1), "{}", text(&at.stderr));
    assert!(text(&at.stderr).contains("cannot contain '@'"), "{}", text(&at.stderr));
}
