//! `coterie serve --join`, `coterie admin` and `coterie status` against real processes: a
//! fourth member joins three running ones, is listed up and answering (and `coterie wait-for`
//! sees 3, then 4 members Up), and is removed.
//! Every wait is bounded; every process started is stopped (by PID, when dropped).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers; clippy exempts only #[test] functions")]

use crate::support;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use support::{CLUSTER_SECRET, Members};

const BOUND: Duration = Duration::from_secs(60);

fn coterie(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coterie")).args(args).output().expect("the coterie binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `coterie --endpoints ENDPOINTS args...` until `done` holds for its output, within
/// [`BOUND`]; answers the last output.
fn until(endpoints: &str, args: &[&str], done: impl Fn(&Output) -> bool) -> Output {
    let started = Instant::now();
    loop {
        let output = coterie(&[&["--endpoints", endpoints], args].concat());
        if done(&output) {
            return output;
        }
        assert!(
            started.elapsed() < BOUND,
            "`coterie {}` never gave the expected output; last: {}{}",
            args.join(" "),
            text(&output.stdout),
            text(&output.stderr)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The line of the member list about member `id` (indented; the per-endpoint headers are not).
fn member_line(report: &str, id: u64) -> Option<&str> {
    report.lines().find(|line| line.starts_with(&format!("  member {id} ")))
}

#[test]
fn a_member_joins_with_serve_join_is_listed_and_is_removed_with_admin() {
    let mut members = Members::start(3);
    let three = members.endpoint_list();
    let admin = ["admin", "--cluster-secret", CLUSTER_SECRET];
    // The static cluster seeds its table: three CP members, up.
    until(&three, &[&admin[..], &["members"]].concat(), |output| {
        let report = text(&output.stdout);
        output.status.success() && (1..=3).all(|id| member_line(&report, id).is_some_and(|l| l.contains(" up")))
    });
    let first = coterie(&["--endpoints", &three, "atomic-long", "seq", "add", "41"]);
    assert!(first.status.success(), "{}", text(&first.stderr));

    // `wait-for` counts the members the committed table has Up: 3 now, not 4.
    let three_up = coterie(&["--endpoints", &three, "wait-for", "3", "--timeout", "60s"]);
    assert!(three_up.status.success(), "{}", text(&three_up.stderr));
    assert_eq!(
        text(&three_up.stdout).lines().filter(|line| line.contains(" (cp)")).count(),
        3,
        "{}",
        text(&three_up.stdout)
    );
    let not_four = coterie(&["--endpoints", &three, "wait-for", "4", "--timeout", "300ms"]);
    assert_eq!(not_four.status.code(), Some(1), "{}", text(&not_four.stdout));
    assert!(text(&not_four.stderr).contains("3 of the 4 members"), "{}", text(&not_four.stderr));

    members.join(4, 2);
    let four_up = coterie(&["--endpoints", &three, "wait-for", "4", "--timeout", "60s"]);
    assert!(four_up.status.success(), "{}", text(&four_up.stderr));
    assert!(
        text(&four_up.stdout).contains(&format!("member 4 up at {}", members.endpoints[3])),
        "{}",
        text(&four_up.stdout)
    );
    let listed = until(&three, &[&admin[..], &["members"]].concat(), |output| {
        member_line(&text(&output.stdout), 4).is_some_and(|line| line.contains(" cp ") && line.contains(" up"))
    });
    assert!(text(&listed.stdout).contains(&members.endpoints[3]), "{}", text(&listed.stdout));

    // Status lists every member with its role and whether it answers.
    let status = until(&three, &["status"], |output| {
        let report = text(&output.stdout);
        (1..=4).all(|id| member_line(&report, id).is_some_and(|line| line.ends_with(" answers")))
    });
    let report = text(&status.stdout);
    assert!(report.contains("members (the committed table"), "{report}");

    // Member 4 serves the data written before it joined (a stale read from its replica).
    until(&members.endpoints[3].clone(), &["atomic-long", "--stale", "seq", "get"], |output| {
        text(&output.stdout) == "41\n"
    });

    // Removing it: the table marks it removed; status says it is removed.
    let removed = coterie(&["--endpoints", &three, "admin", "--cluster-secret", CLUSTER_SECRET, "remove-member", "4"]);
    assert!(removed.status.success(), "{}{}", text(&removed.stdout), text(&removed.stderr));
    assert!(
        member_line(&text(&removed.stdout), 4).is_some_and(|l| l.contains(" removed")),
        "{}",
        text(&removed.stdout)
    );

    // The removed member's process learns it and stops by itself, cleanly.
    let exited = members.wait_for_exit(4, BOUND);
    assert!(exited.is_some_and(|status| status.success()), "member 4 did not exit cleanly: {exited:?}");

    // Without the secret, admin calls are refused (exit 3, the reason on stderr).
    let refused = coterie(&["--endpoints", &three, "admin", "members"]);
    assert_eq!(refused.status.code(), Some(3), "{}", text(&refused.stdout));
    assert!(text(&refused.stderr).contains("secret"), "{}", text(&refused.stderr));
}
