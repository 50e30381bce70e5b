#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;

use super::*;
use crate::report::{parse_records, render_report};

/// A cluster in memory: writes succeed until the kill, then the next `outage` writes fail.
#[derive(Default)]
struct Fake {
    killed: AtomicBool,
    outage: AtomicU64,
    /// Fail forever after the kill.
    never_resume: bool,
    connects: AtomicU64,
    writes: AtomicU64,
}

struct FakeWriter(Arc<Fake>);

impl ClientDriver for FakeWriter {
    fn op(&mut self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            // A write's latency (virtual time in the tests that pause the clock).
            tokio::time::sleep(Duration::from_millis(1)).await;
            let fake = &self.0;
            if fake.killed.load(Ordering::SeqCst)
                && (fake.never_resume
                    || fake.outage.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok())
            {
                return Err("no leader".to_owned());
            }
            fake.writes.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
    }
}

struct FakeDriver(Arc<Fake>);

impl Driver for FakeDriver {
    fn connect(&self, _client: usize) -> BoxFuture<'_, Result<Box<dyn ClientDriver>, BenchError>> {
        self.0.connects.fetch_add(1, Ordering::SeqCst);
        let writer: Box<dyn ClientDriver> = Box::new(FakeWriter(Arc::clone(&self.0)));
        Box::pin(async move { Ok(writer) })
    }
}

fn leader_is(id: u64) -> impl Fn() -> BoxFuture<'static, Result<u64, String>> + Send + Sync {
    move || Box::pin(async move { Ok(id) })
}

fn plan(rotate_on_error: bool) -> FailoverPlan {
    FailoverPlan {
        member_pids: BTreeMap::from([(1, 101), (2, 202), (3, 303)]),
        warm_writes: 5,
        timeout: Duration::from_secs(2),
        op_timeout: Duration::from_secs(1),
        rotate_on_error,
    }
}

#[tokio::test(start_paused = true)]
async fn kills_the_leaders_process_and_times_until_a_later_write_succeeds() {
    let fake = Arc::new(Fake { outage: AtomicU64::new(3), ..Fake::default() });
    let killed = Arc::new(Mutex::new(Vec::new()));
    let kill = {
        let (fake, killed) = (Arc::clone(&fake), Arc::clone(&killed));
        move |pid: u32| {
            killed.lock().unwrap().push(pid);
            fake.killed.store(true, Ordering::SeqCst);
            Ok(())
        }
    };
    let outcome =
        measure_failover(Arc::new(FakeDriver(Arc::clone(&fake))), &leader_is(2), &kill, &plan(false)).await.unwrap();
    assert_eq!(*killed.lock().unwrap(), vec![202]);
    assert_eq!((outcome.leader, outcome.pid), (2, 202));
    assert_eq!(outcome.writes_before, 5);
    assert_eq!(outcome.errors, 3, "the three failed writes after the kill are counted");
    assert_eq!(outcome.first_error.as_deref(), Some("no leader"));
    // Three failed writes (the first may be the one in flight at the kill) and the successful
    // one, 1 ms each.
    assert!(outcome.resumed_after >= Duration::from_millis(3), "{:?}", outcome.resumed_after);
    assert!(outcome.resumed_after <= Duration::from_millis(5), "{:?}", outcome.resumed_after);
    assert_eq!(fake.connects.load(Ordering::SeqCst), 1, "a client that follows the leader is not replaced");

    let record = outcome.record(System::Coterie, FAILOVER);
    assert_eq!(record.workload, FAILOVER);
    assert_eq!(record.killed_member, Some(2));
    assert_eq!(record.errors, 3);
    assert!(record.failover_ms.unwrap() >= 3.0);
}

#[tokio::test(start_paused = true)]
async fn a_writer_bound_to_one_member_moves_on_after_each_failure() {
    let fake = Arc::new(Fake { outage: AtomicU64::new(2), ..Fake::default() });
    let kill = {
        let fake = Arc::clone(&fake);
        move |_pid: u32| {
            fake.killed.store(true, Ordering::SeqCst);
            Ok(())
        }
    };
    let outcome =
        measure_failover(Arc::new(FakeDriver(Arc::clone(&fake))), &leader_is(1), &kill, &plan(true)).await.unwrap();
    assert_eq!(outcome.errors, 2);
    assert_eq!(fake.connects.load(Ordering::SeqCst), 3, "one connection, then one more per failed write");
}

#[tokio::test(start_paused = true)]
async fn writes_that_never_resume_end_in_a_clear_error_at_the_timeout() {
    let fake = Arc::new(Fake { never_resume: true, ..Fake::default() });
    let kill = {
        let fake = Arc::clone(&fake);
        move |_pid: u32| {
            fake.killed.store(true, Ordering::SeqCst);
            Ok(())
        }
    };
    let err = measure_failover(Arc::new(FakeDriver(fake)), &leader_is(3), &kill, &plan(false)).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("did not resume") && text.contains("pid 303") && text.contains("no leader"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn a_leader_without_a_pid_is_refused_and_nothing_is_killed() {
    let fake = Arc::new(Fake::default());
    let kills = Arc::new(AtomicU64::new(0));
    let kill = {
        let kills = Arc::clone(&kills);
        move |_pid: u32| {
            kills.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    };
    let err = measure_failover(Arc::new(FakeDriver(fake)), &leader_is(7), &kill, &plan(false)).await.unwrap_err();
    assert!(err.to_string().contains("member 7 leads"), "{err}");
    assert_eq!(kills.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn a_failed_kill_or_leader_lookup_is_reported() {
    let fake = Arc::new(Fake::default());
    let kill = |pid: u32| Err(format!("no process {pid}"));
    let err = measure_failover(Arc::new(FakeDriver(Arc::clone(&fake))), &leader_is(1), &kill, &plan(false))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cannot kill member 1 (pid 101): no process 101"), "{err}");

    let no_leader = || -> BoxFuture<'static, Result<u64, String>> { Box::pin(async { Err("no quorum".to_owned()) }) };
    let ok = |_pid: u32| Ok(());
    let err = measure_failover(Arc::new(FakeDriver(fake)), &no_leader, &ok, &plan(false)).await.unwrap_err();
    assert!(err.to_string().contains("cannot tell which member leads: no quorum"), "{err}");
}

#[test]
fn member_pids_parse_and_bad_ones_say_why() {
    assert_eq!("1=123".parse::<MemberPid>(), Ok(MemberPid { id: 1, pid: 123 }));
    assert_eq!(" 3 = 9 ".parse::<MemberPid>(), Ok(MemberPid { id: 3, pid: 9 }));
    for bad in ["1", "x=2", "1=y", "=", "1=-4"] {
        assert!(bad.parse::<MemberPid>().unwrap_err().contains("ID=PID"), "{bad}");
    }
    assert!("1=0".parse::<MemberPid>().unwrap_err().contains("not a process"));
}

#[test]
fn failover_records_round_trip_and_get_their_own_table() {
    let mut histogram = Histogram::new_with_bounds(1, 3_600_000_000, 3).unwrap();
    histogram.record(800).unwrap();
    let outcome = |ms: u64, errors: u64| FailoverOutcome {
        leader: 1,
        pid: 10,
        resumed_after: Duration::from_millis(ms),
        writes_before: 200,
        latency_us: histogram.clone(),
        errors,
        first_error: None,
    };
    let mut lines: Vec<String> = [outcome(300, 2), outcome(500, 4)]
        .iter()
        .map(|o| serde_json::to_string(&o.record(System::Coterie, FAILOVER)).unwrap())
        .collect();
    lines.push(serde_json::to_string(&outcome(450, 1).record(System::Coterie, FAILOVER_PAUSE)).unwrap());
    // An older record without the failover fields still parses.
    let old = r#"{"workload":"cp-incr","system":"coterie","clients":1,"duration_s":1.0,"ops":10,"ops_per_s":10.0,"p50_us":1,"p99_us":2,"p999_us":3,"max_us":4,"errors":0,"first_error":null,"server_cpu_s":null}"#;
    let records = parse_records(&format!("{}\n{old}\n", lines.join("\n"))).unwrap();
    assert_eq!(records.len(), 4);
    assert_eq!(records[0].failover_ms, Some(300.0));
    assert_eq!(records[2].workload, FAILOVER_PAUSE);
    assert_eq!(records[3].failover_ms, None);

    let report = render_report(&records, "- machine\n", "");
    assert!(report.contains("## failover"), "{report}");
    assert!(report.contains("| coterie | killed | 2 | 400 | 300 | 500 | 300, 500 | 6 |"), "{report}");
    assert!(report.contains("| coterie | paused | 1 | 450 | 450 | 450 | 450 | 1 |"), "{report}");
    assert!(report.contains("## cp-incr"), "{report}");
    let failover_section = &report[report.find("## failover").unwrap()..];
    assert!(!failover_section.contains("| clients |"), "failover runs stay out of the throughput tables");
}

#[cfg(feature = "peers")]
#[test]
fn the_etcd_leader_is_found_in_etcdctl_output() {
    let endpoints: Vec<String> = ["127.0.0.1:2379", "127.0.0.1:22379", "127.0.0.1:32379"].map(String::from).into();
    let json = r#"[{"Endpoint":"127.0.0.1:2379","Status":{"header":{"member_id":11,"raft_term":2},"leader":22}},
        {"Endpoint":"127.0.0.1:22379","Status":{"header":{"member_id":22,"raft_term":2},"leader":22}},
        {"Endpoint":"127.0.0.1:32379","Status":{"header":{"member_id":33,"raft_term":2},"leader":22}}]"#;
    assert_eq!(crate::peers::etcd_leader_position(json, &endpoints), Ok(2));
    let none = r#"[{"Endpoint":"127.0.0.1:2379","Status":{"header":{"member_id":11},"leader":0}}]"#;
    assert!(crate::peers::etcd_leader_position(none, &endpoints).is_err());
    assert!(crate::peers::etcd_leader_position("not json", &endpoints).is_err());
}
