//! The sharded data commands (`coterie counter|map|set|queue|lock|sharded-semaphore|barrier`)
//! against three `coterie serve`
//! processes: what each prints, and the exit status of a refusal, a usage error and a take
//! that found nothing. Every wait is bounded; every process started is stopped.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers; clippy exempts only #[test] functions")]

use crate::support;

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
    let usage = coterie(&one, &["map", "users", "keys", "--limit", "0"]);
    assert_eq!(usage.status.code(), Some(2), "{}", text(&usage.stderr));
    assert!(text(&usage.stderr).contains("--limit must be from 1"), "{}", text(&usage.stderr));
    let at = coterie(&one, &["counter", "views@g", "get"]);
    assert_eq!(at.status.code(), Some(1), "{}", text(&at.stderr));
    assert!(text(&at.stderr).contains("cannot contain '@'"), "{}", text(&at.stderr));
}

/// Runs a command that must end with exit status `code`, answering its stdout and stderr.
fn status(endpoints: &str, args: &[&str], code: i32) -> (String, String) {
    let output = coterie(endpoints, args);
    assert_eq!(output.status.code(), Some(code), "{args:?}: {}", text(&output.stderr));
    (text(&output.stdout), text(&output.stderr))
}

/// The first write through `endpoints`, retried (bounded) while the members commit a
/// partition table.
fn first_write(endpoints: &str, args: &[&str]) -> String {
    let started = Instant::now();
    loop {
        let output = coterie(endpoints, args);
        if output.status.success() {
            return text(&output.stdout);
        }
        assert!(started.elapsed() < BOUND, "no sharded write succeeded: {}", text(&output.stderr));
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn whole_maps_and_sets_and_the_lock_semaphore_and_barrier_commands_answer_through_any_member() {
    let members = Members::start(3);
    let [one, two, three] = [0, 1, 2].map(|i| members.endpoints[i].clone());
    assert_eq!(first_write(&members.endpoint_list(), &["map", "m", "put", "k0", "v0"]), "(null)\n");

    // Map and Set whole operations gather every partition; a listing pages with a cursor.
    for i in 1..5 {
        ok(&one, &["map", "m", "put", &format!("k{i}"), &format!("v{i}")]);
        ok(&two, &["set", "s", "add", &format!("item-{i}")]);
    }
    assert_eq!(ok(&three, &["map", "m", "size"]), "5\n");
    let mut keys: Vec<String> = ok(&one, &["map", "m", "keys"]).lines().map(str::to_owned).collect();
    keys.sort();
    assert_eq!(keys, ["k0", "k1", "k2", "k3", "k4"]);
    let entries = ok(&two, &["map", "m", "entries"]);
    assert!(entries.lines().any(|line| line == "k3 = v3"), "{entries}");
    // Two at a time: a `next:` cursor, which --after resumes from, until every key came once.
    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..10 {
        let mut args = vec!["map", "m", "keys", "--limit", "2"];
        if let Some(cursor) = &after {
            args.extend(["--after", cursor.as_str()]);
        }
        let page = ok(&three, &args);
        after = None;
        for line in page.lines() {
            match line.strip_prefix("next: ") {
                Some(cursor) => after = Some(cursor.to_owned()),
                None => paged.push(line.to_owned()),
            }
        }
        if after.is_none() {
            break;
        }
    }
    paged.sort();
    assert_eq!(paged, keys, "the pages hold every key exactly once");
    assert_eq!(ok(&one, &["set", "s", "size"]), "4\n");
    assert_eq!(ok(&two, &["set", "s", "members"]).lines().count(), 4);
    assert_eq!(ok(&three, &["set", "s", "clear"]), "4\n");
    assert_eq!(ok(&one, &["map", "m", "clear"]), "5\n");
    assert_eq!(ok(&two, &["map", "m", "size"]), "0\n");

    // Lock: acquire prints the fence and the owner; another owner is refused; release takes --owner.
    let acquired = ok(&one, &["lock", "deploy", "acquire", "--lease", "60000"]);
    let mut lines = acquired.lines();
    let fence: u64 = lines.next().unwrap().parse().unwrap();
    let owner = lines.next().unwrap().strip_prefix("owner ").unwrap().to_owned();
    assert_eq!(ok(&two, &["lock", "deploy", "is-locked"]), "true\n");
    assert_eq!(ok(&three, &["lock", "deploy", "holder"]), format!("{fence}\nowner {owner}\n"));
    let (out, err) = status(&two, &["lock", "deploy", "try-acquire", "--timeout", "100"], 4);
    assert_eq!(out, "(null)\n");
    assert!(err.contains("held by another owner"), "{err}");
    assert_eq!(ok(&three, &["lock", "deploy", "release", "--owner", "1234"]), "false\n", "not the holder");
    assert_eq!(ok(&one, &["lock", "deploy", "release", "--owner", &owner]), "true\n");
    assert_eq!(ok(&two, &["lock", "deploy", "holder"]), "(null)\n");
    let (_, err) = status(&one, &["lock", "deploy", "release"], 2);
    assert!(err.contains("--owner HEX is required"), "{err}");

    // Sharded semaphore of 2 permits: two owners take them, a third is refused.
    let sem = |endpoint: &str, args: &[&str]| {
        let mut all = vec!["sharded-semaphore", "--permits", "2", "pool"];
        all.extend(args);
        coterie(endpoint, &all)
    };
    let created = sem(&one, &["create"]);
    assert_eq!(text(&created.stdout), "true\n", "{}", text(&created.stderr));
    let first = sem(&two, &["acquire", "--lease", "60000"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let holder = text(&first.stdout).lines().nth(1).unwrap().strip_prefix("owner ").unwrap().to_owned();
    assert_eq!(text(&sem(&three, &["try-acquire", "--lease", "60000"]).stdout).lines().next(), Some("true"));
    let full = sem(&one, &["try-acquire", "--lease", "60000"]);
    assert_eq!((full.status.code(), text(&full.stdout)), (Some(4), "false\n".to_owned()), "{}", text(&full.stderr));
    assert_eq!(text(&sem(&two, &["held", "--owner", &holder]).stdout), "1\n");
    assert_eq!(text(&sem(&three, &["release", "--owner", &holder]).stdout), "true\n");
    assert_eq!(text(&sem(&one, &["available"]).stdout), "1\n");
    let conflict = coterie(&two, &["sharded-semaphore", "--permits", "3", "pool", "available"]);
    assert_eq!(conflict.status.code(), Some(1), "another permit count is refused: {}", text(&conflict.stderr));
    let (_, err) = status(&two, &["sharded-semaphore", "pool", "available"], 2);
    assert!(err.contains("--permits N is required"), "{err}");

    // Barrier: a lone arrival of two times out (exit 4, withdrawn); two processes are released together.
    let (_, err) = status(&one, &["barrier", "phase", "arrive", "2", "--timeout", "200"], 4);
    assert!(err.contains("withdrawn"), "{err}");
    assert_eq!(ok(&two, &["barrier", "phase", "waiting"]), "0\n", "the timed-out arrival no longer counts");
    let waiter = Command::new(env!("CARGO_BIN_EXE_coterie"))
        .args(["--endpoints", &three, "barrier", "phase", "arrive", "2", "--timeout", "30000"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while ok(&one, &["barrier", "phase", "waiting"]) != "1\n" {
        assert!(started.elapsed() < BOUND, "the first arrival never parked");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (_, err) = status(&one, &["barrier", "phase", "arrive", "3"], 1);
    assert!(err.contains("expects 2 parties but this arrival said 3"), "{err}");
    assert_eq!(ok(&two, &["barrier", "phase", "arrive", "2"]), "0\n");
    let released = waiter.wait_with_output().unwrap();
    assert_eq!(text(&released.stdout), "0\n", "released in round 0 with the second arrival");
    assert_eq!(ok(&three, &["barrier", "phase", "round"]), "1\n");
}
