//! The runner, workload names and the report, with in-memory drivers: no cluster needed.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use coterie_bench::{
    BenchError, ClientDriver, Driver, RunConfig, RunRecord, System, Workload, parse_duration, render_report,
    run_closed_loop,
};
use futures_util::future::BoxFuture;

/// Ops that never answer.
struct Stuck;

impl ClientDriver for Stuck {
    fn op(&mut self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(futures_util::future::pending())
    }
}

/// Counts connections and ops; every op succeeds at once.
#[derive(Default)]
struct Counting {
    connects: AtomicU64,
    ops: Arc<AtomicU64>,
    stuck: bool,
}

struct CountingClient(Arc<AtomicU64>);

impl ClientDriver for CountingClient {
    fn op(&mut self) -> BoxFuture<'_, Result<(), String>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {
            tokio::task::yield_now().await;
            Ok(())
        })
    }
}

impl Driver for Counting {
    fn connect(&self, _client: usize) -> BoxFuture<'_, Result<Box<dyn ClientDriver>, BenchError>> {
        self.connects.fetch_add(1, Ordering::SeqCst);
        let client: Box<dyn ClientDriver> =
            if self.stuck { Box::new(Stuck) } else { Box::new(CountingClient(Arc::clone(&self.ops))) };
        Box::pin(async move { Ok(client) })
    }
}

fn config(clients: usize, max_ops: u64, op_timeout: Duration) -> RunConfig {
    RunConfig {
        clients,
        warmup: Duration::ZERO,
        duration: Duration::from_secs(120),
        max_ops: Some(max_ops),
        op_timeout,
        progress: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_op_is_an_error_and_never_a_success() {
    let driver = Arc::new(Counting { stuck: true, ..Counting::default() });
    let stats = run_closed_loop(driver.clone(), &config(1, 3, Duration::from_millis(20)), |_| {}).await.unwrap();
    assert_eq!(stats.ops, 0);
    assert_eq!(stats.errors, 3);
    assert!(stats.latency_us.is_empty());
    assert!(stats.first_error.unwrap().contains("timed out"));
    // The client was reconnected after each timeout.
    assert_eq!(driver.connects.load(Ordering::SeqCst), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_op_budget_ends_the_run_at_exactly_that_many_ops() {
    let driver = Arc::new(Counting::default());
    let mut phases = Vec::new();
    let stats =
        run_closed_loop(driver.clone(), &config(4, 100, Duration::from_secs(30)), |p| phases.push(p)).await.unwrap();
    assert_eq!((stats.ops, stats.errors), (100, 0));
    assert_eq!(driver.ops.load(Ordering::SeqCst), 100);
    assert_eq!(stats.latency_us.len(), 100);
    assert_eq!(phases, [coterie_bench::Phase::MeasureStart, coterie_bench::Phase::MeasureEnd]);
    let record = RunRecord::new(Workload::CpIncr, System::Coterie, 4, &stats, None);
    assert_eq!(record.ops, 100);
    assert!(record.p50_us <= record.p99_us && record.p99_us <= record.max_us);
}

#[tokio::test]
async fn zero_clients_is_refused() {
    let driver = Arc::new(Counting::default());
    let err = run_closed_loop(driver, &config(0, 1, Duration::from_secs(1)), |_| {}).await.unwrap_err();
    assert!(err.to_string().contains("--clients"), "{err}");
}

#[test]
fn workload_names_round_trip_and_unknown_names_list_the_choices() {
    for workload in Workload::ALL {
        assert_eq!(workload.name().parse::<Workload>(), Ok(workload));
    }
    assert_eq!("cp-lock-each".parse::<Workload>(), Ok(Workload::CpLockEach));
    assert_eq!("obj-create".parse::<Workload>(), Ok(Workload::ObjCreate));
    assert_eq!("obj-cas".parse::<Workload>(), Ok(Workload::ObjCas));
    assert!(Workload::ObjCas.is_object() && !Workload::CpCas.is_object());
    let err = "cp-incrr".parse::<Workload>().unwrap_err().to_string();
    assert!(err.contains("cp-incrr") && err.contains("cp-semaphore"), "{err}");
}

#[test]
fn durations_parse_with_units() {
    assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
    assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
    assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
    assert!(parse_duration("ten").is_err());
    assert!(parse_duration("5h").is_err());
    assert!(parse_duration("-1s").is_err());
}

const SAMPLE: &str = r#"
{"workload":"cp-incr","system":"coterie","clients":16,"duration_s":10.0,"ops":300000,"ops_per_s":30000.0,"p50_us":500,"p99_us":900,"p999_us":1500,"max_us":4000,"errors":0,"first_error":null,"server_cpu_s":12.5}
{"workload":"cp-incr","system":"etcd","clients":16,"duration_s":10.0,"ops":100000,"ops_per_s":10000.0,"p50_us":1500,"p99_us":3000,"p999_us":5000,"max_us":9000,"errors":2,"first_error":"client 3: deadline","server_cpu_s":null}
{"workload":"cp-incr","system":"coterie","clients":16,"duration_s":10.0,"ops":320000,"ops_per_s":32000.0,"p50_us":480,"p99_us":850,"p999_us":1500,"max_us":4000,"errors":0,"first_error":null,"server_cpu_s":12.0}
{"workload":"cp-incr","system":"coterie","clients":1,"duration_s":10.0,"ops":20000,"ops_per_s":2000.0,"p50_us":500,"p99_us":700,"p999_us":900,"max_us":1000,"errors":0,"first_error":null,"server_cpu_s":null}
{"workload":"cp-lock","system":"redis","clients":64,"duration_s":10.0,"ops":5000,"ops_per_s":500.0,"p50_us":100,"p99_us":200,"p999_us":300,"max_us":400,"errors":0,"first_error":null,"server_cpu_s":null}
"#;

#[test]
fn the_report_renders_one_table_per_workload_with_ratios() {
    let records = coterie_bench::report::parse_records(SAMPLE).unwrap();
    assert_eq!(records.len(), 5);
    let text = render_report(&records, "- CPU: test\n", "Commands: `coterie bench ...`\n");
    assert!(text.contains("- CPU: test"));
    assert!(text.contains("Commands: `coterie bench ...`"));
    assert!(text.contains("## cp-incr"));
    assert!(text.contains("## cp-lock"));
    assert!(
        text.contains("| clients | coterie ops/s | coterie p50 | coterie p99 | etcd ops/s | etcd p50 | etcd p99 | Coterie ÷ etcd | runs |"),
        "{text}"
    );
    // Two coterie runs averaged (31000 ops/s) against one etcd run: 3.10×.
    assert!(text.contains("| 16 | 31000 | 490 | 875 | 10000 | 1500 | 3000 | 3.10× | 1/2 |"), "{text}");
    // A cell a system did not run shows '-'.
    assert!(text.contains("| 1 | 2000 | 500 | 700 | - | - | - | - | 1 |"), "{text}");
    assert!(text.contains("etcd, 16 clients: 2 errors (first: client 3: deadline)"), "{text}");
    // cp-incr comes before cp-lock, whatever the file's order.
    assert!(text.find("## cp-incr") < text.find("## cp-lock"));
}

#[test]
fn a_bad_line_is_reported_with_its_number() {
    let err = coterie_bench::report::parse_records("\n{\"workload\":1}\n").unwrap_err();
    assert_eq!(err.0, 2);
}
