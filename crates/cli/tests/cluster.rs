//! The `coterie` binary against real clusters: the demo (its own in-process cluster), and
//! three separate `coterie serve` processes driven by one-shot data commands and `status`.
//! Every wait is bounded; every process started is stopped.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers; clippy exempts only #[test] functions")]

use crate::support;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use support::{Members, free_ports};

const BOUND: Duration = Duration::from_secs(60);

fn coterie(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coterie")).args(args).output().expect("the coterie binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn demo_walks_through_every_structure_and_use_case() {
    let output = coterie(&["demo"]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "demo failed: {}\n{stdout}", text(&output.stderr));
    for expected in [
        "increment_and_get() -> 11",
        "1,000 ids drawn: no duplicate, no gap",
        "admitted 5 of 20",
        "fences strictly increase across successive leaders",
        "all 4 waiters released after the last count-down",
        "increment(100); decrement(10); get() -> 90",
        "add(\"python\") -> true (added); add(\"python\") -> false (already present); size() -> 1",
        "dequeue() -> None (empty)",
        "another owner's try_acquire() -> None (held)",
        "6 more try_acquire() -> 4 admitted",
        "3 tasks arrive(expected=3) -> released together, rounds [0, 0, 0]",
        "Demo complete",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in:\n{stdout}");
    }
}

#[test]
fn three_serve_processes_form_a_cluster_and_answer_data_commands() {
    let members = Members::start(3);
    let endpoints = members.endpoint_list();

    // Bounded wait for the first successful write (the group elects a leader meanwhile).
    let started = Instant::now();
    let first = loop {
        let output = coterie(&["--endpoints", &endpoints, "atomic-long", "seq", "increment"]);
        if output.status.success() {
            break text(&output.stdout);
        }
        assert!(started.elapsed() < BOUND, "no write succeeded: {}", text(&output.stderr));
    };
    assert_eq!(first, "1\n");
    let second = coterie(&["--endpoints", &endpoints, "atomic-long", "seq", "add", "41"]);
    assert_eq!(text(&second.stdout), "42\n", "{}", text(&second.stderr));
    let stale = coterie(&["--endpoints", &endpoints, "atomic-long", "--stale", "seq", "get"]);
    // Whichever member answers, it answers from its own applied state: a value the counter
    // has held (a follower may not have applied the last write yet).
    let seen = text(&stale.stdout);
    assert!(["42\n", "1\n", "0\n"].contains(&seen.as_str()), "stale read answered {seen:?}: {}", text(&stale.stderr));

    // Every member runs its replica of default once it learned who initializes it (a claim
    // in the metadata group, moments after the first write): bounded wait for all three.
    let started = Instant::now();
    let (status, report) = loop {
        let status = coterie(&["--endpoints", &endpoints, "status"]);
        let report = text(&status.stdout);
        let per_member = report.lines().filter(|l| l.contains("group default") && !l.contains("quorum")).count();
        if per_member == 3 || started.elapsed() > BOUND {
            break (status, report);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.status.success(), "{report}{}", text(&status.stderr));
    assert_eq!(report.matches("group default").count(), 4, "three members' views and the verdict:\n{report}");
    for group in ["default", "metadata"] {
        let verdict = report.lines().find(|l| l.contains(&format!("group {group}")) && l.contains("quorum"));
        let verdict = verdict.unwrap_or_else(|| panic!("no verdict for {group}:\n{report}"));
        assert!(verdict.contains("quorum ok: leader ") && verdict.contains("3 of 3 voters answer"), "{report}");
    }
    let default_leaders = report.lines().filter(|l| l.contains("group default") && l.contains(" leader    ")).count();
    assert_eq!(default_leaders, 1, "exactly one member says it leads default:\n{report}");
    // Every member is listed once more below, with its role and whether it answers.
    assert_eq!(report.lines().filter(|l| l.starts_with("  member ") && l.ends_with(" answers")).count(), 3, "{report}");

    // The structure refuses (exit 1, the reason on stderr); usage errors exit 2.
    let set = coterie(&["--endpoints", &endpoints, "atomic-long", "seq", "set", &i64::MAX.to_string()]);
    assert!(set.status.success(), "{}", text(&set.stderr));
    let overflow = coterie(&["--endpoints", &endpoints, "atomic-long", "seq", "increment"]);
    assert_eq!(overflow.status.code(), Some(1));
    assert!(text(&overflow.stderr).contains("overflow"), "{}", text(&overflow.stderr));
    let usage = coterie(&["--endpoints", &endpoints, "fenced-lock", "r", "lock"]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(text(&usage.stderr).contains("cannot hold a lock"), "{}", text(&usage.stderr));

    // A latch counted down by one-shot commands.
    let latch = |args: &[&str]| {
        let output = coterie(&[&["--endpoints", &endpoints, "latch", "startup"], args].concat());
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout)
    };
    assert_eq!(latch(&["try-set-count", "2"]), "true\n");
    assert_eq!(latch(&["count-down"]), "1\n");
    assert_eq!(latch(&["count-down"]), "0\n");
    assert_eq!(latch(&["await", "1"]), "opened\n");
    // A latch that does not open in time: said on stdout, and exit 4 (not met).
    let set = coterie(&["--endpoints", &endpoints, "latch", "closed", "try-set-count", "1"]);
    assert!(set.status.success(), "{}", text(&set.stderr));
    let waited = coterie(&["--endpoints", &endpoints, "latch", "closed", "await", "1"]);
    assert_eq!(text(&waited.stdout), "still counting after 1s\n");
    assert_eq!(waited.status.code(), Some(4), "{}", text(&waited.stderr));
    assert!(text(&waited.stderr).contains("latch \"closed\" did not open within 1s"), "{}", text(&waited.stderr));

    // Any operation by the API's names, from the generated vocabulary.
    let call = |args: &[&str]| coterie(&[&["--endpoints", &endpoints, "call"], args].concat());
    let exchanged = call(&["atomic-long", "compare-and-exchange", "cx", "expected=0", "update=5"]);
    assert!(exchanged.status.success(), "{}", text(&exchanged.stderr));
    assert_eq!(
        text(&exchanged.stdout),
        "AtomicLongCompareAndExchange(AtomicLongCompareAndExchangeResponse { witness: 0 })\n0\n"
    );
    let read = call(&["atomic-long", "get", "cx"]);
    assert_eq!(text(&read.stdout), "AtomicLongGet(AtomicLongGetResponse { value: 5 })\n5\n", "{}", text(&read.stderr));
    // A bad field is a usage error found before connecting; a lock needs a lasting session.
    let bad = call(&["atomic-long", "compare-and-exchange", "cx", "expected=zero", "update=5"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
    assert!(text(&bad.stderr).contains("expected=\"zero\" is not a i64 number"), "{}", text(&bad.stderr));
    let lock = call(&["fenced-lock", "lock", "l", "owner=1"]);
    assert_eq!(lock.status.code(), Some(1), "{}", text(&lock.stderr));
    assert!(text(&lock.stderr).contains("typed handle"), "{}", text(&lock.stderr));

    // Two of three members killed: the one left answers, but no group has a quorum, and
    // `status` says so and exits 4.
    let mut members = members;
    for id in [2, 3] {
        support::signal("KILL", members.pid(id));
        assert!(members.wait_for_exit(id, BOUND).is_some(), "member {id} did not exit");
    }
    let status = coterie(&["--endpoints", &endpoints, "status", "--timeout-ms", "500"]);
    let report = text(&status.stdout);
    assert_eq!(status.status.code(), Some(4), "{report}{}", text(&status.stderr));
    for group in ["default", "metadata"] {
        let verdict = report.lines().find(|l| l.contains(&format!("group {group}")) && l.contains("QUORUM LOST"));
        assert!(verdict.is_some_and(|v| v.contains("1 of 3 voters answer (silent: 2,3)")), "{group}:\n{report}");
    }
    assert!(text(&status.stderr).contains("no quorum in group(s) default, metadata"), "{}", text(&status.stderr));
}

#[test]
fn serve_refuses_a_bad_configuration_with_exit_2() {
    let output = coterie(&["serve", "--id", "4", "--members", "1=127.0.0.1:1,2=127.0.0.1:2"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("member id 4 is not in --members (1, 2)"), "{}", text(&output.stderr));
}

#[test]
fn data_commands_against_no_cluster_fail_in_bounded_time() {
    let ports = free_ports(1);
    let endpoint = format!("127.0.0.1:{}", ports[0]);
    let started = Instant::now();
    let output = coterie(&["--endpoints", &endpoint, "atomic-long", "seq", "get"]);
    assert_eq!(output.status.code(), Some(3));
    assert!(text(&output.stderr).contains("no leader answered"), "{}", text(&output.stderr));
    assert!(started.elapsed() < BOUND);
}
