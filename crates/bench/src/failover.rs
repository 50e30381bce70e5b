//! `coterie bench failover`: how long writes stop when the leader dies or stops answering.
//!
//! `--fault kill` (the default) kills the leader's process; `--fault pause` stops it with
//! SIGSTOP instead (a process that hangs: its connections stay open and nothing answers,
//! the harder case for a client, which cannot tell it from a slow leader) and resumes it
//! with SIGCONT once the measurement is over.
//!
//! Issue 3 asks for "the time from leader kill to the first successful write", measured the
//! same way for Coterie and its peers. One writer increments a counter in a closed loop (the
//! `cp-incr` op of the system's driver, so the write is the same as in the matrix); once it
//! has done a few writes, we ask the system who leads, `SIGKILL` that member's process, wait
//! until the process is gone, and wait for the first write that *starts* after that to
//! succeed. The time reported runs from the kill signal to that write's answer, so it includes
//! failure detection, the election, the client finding the new leader, and one write's
//! latency. A write started before the process was gone does not count, even if it succeeds
//! afterwards: the old leader may have committed it while it was dying (a process takes a few
//! milliseconds to die on a loaded machine, and we saw a "1 ms failover" before this rule).
//!
//! The harness stays independent of Coterie's wire: the caller passes how to find the leader
//! ([`LeaderProbe`]) and how to kill a process, so the measurement itself is tested with
//! in-memory fakes.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hdrhistogram::Histogram;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::coterie::{Connect, CoterieDriver};
use crate::driver::{ClientDriver, Driver};
use crate::duration::parse_duration;
use crate::error::BenchError;
use crate::output::RunRecord;
pub use crate::probe::{LeaderProbe, PeerFailover};
use crate::workload::{System, Workload};

/// The workload name failover records carry.
pub const FAILOVER: &str = "failover";
/// The workload name of failover records whose leader was paused, not killed.
pub const FAILOVER_PAUSE: &str = "failover-pause";

/// How the leader fails in a failover measurement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Fault {
    /// SIGKILL: the process is gone, its connections are refused.
    #[default]
    Kill,
    /// SIGSTOP, then SIGCONT after the measurement: the process hangs, its connections
    /// stay open and nothing answers.
    Pause,
}

impl Fault {
    /// The workload name records of this fault carry.
    pub fn workload(self) -> &'static str {
        match self {
            Fault::Kill => FAILOVER,
            Fault::Pause => FAILOVER_PAUSE,
        }
    }
}

/// `coterie bench failover`: kill the leader under a writer and time until writes resume.
#[derive(Clone, Debug, clap::Args)]
pub struct FailoverArgs {
    /// The system under test (coterie or etcd).
    #[arg(long, value_enum, default_value_t = System::Coterie)]
    pub system: System,
    /// The system's endpoints, comma-separated host:port.
    #[arg(long, value_delimiter = ',', required = true)]
    pub endpoints: Vec<String>,
    /// Every member's process as ID=PID, comma-separated. For Coterie the ID is the member id
    /// (`coterie serve --id`); for etcd it is the 1-based position of the member's endpoint
    /// in --endpoints.
    #[arg(long, value_delimiter = ',', required = true)]
    pub member_pids: Vec<MemberPid>,
    /// How the leader fails: kill (SIGKILL), or pause (SIGSTOP; every member is sent SIGCONT
    /// when the measurement ends).
    #[arg(long, value_enum, default_value_t = Fault::Kill)]
    pub fault: Fault,
    /// Successful writes before the kill (proof the cluster is healthy).
    #[arg(long, default_value_t = 200)]
    pub warm_writes: u64,
    /// How long to wait for the warm-up writes, and then for writes to resume after the kill.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// How long one write may take before it counts as an error and the writer reconnects.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub op_timeout: Duration,
    /// Appends the measurement's record, one JSON object per line, to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// One `ID=PID` of `--member-pids`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberPid {
    /// The member (see [`FailoverArgs::member_pids`]).
    pub id: u64,
    /// Its process id.
    pub pid: u32,
}

impl FromStr for MemberPid {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{text:?} is not ID=PID (for example 1=12345)");
        let (id, pid) = text.trim().split_once('=').ok_or_else(bad)?;
        let id = id.trim().parse().map_err(|_| bad())?;
        let pid: u32 = pid.trim().parse().map_err(|_| bad())?;
        if pid == 0 {
            return Err(format!("{text:?}: process id 0 is not a process"));
        }
        Ok(MemberPid { id, pid })
    }
}

/// Kills a process by id and returns once it is gone.
pub type Kill = dyn Fn(u32) -> Result<(), String> + Send + Sync;

/// The longest [`sigkill`] waits for a killed process to disappear.
const DEATH_WAIT: Duration = Duration::from_secs(5);

/// `kill -9 PID`, through the `kill` command, then waits (at most 5 s) until the process is
/// gone: no `/proc/PID`, or a zombie waiting for its parent to reap it.
pub fn sigkill(pid: u32) -> Result<(), String> {
    let status = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .map_err(|err| format!("cannot run `kill -9 {pid}`: {err}"))?;
    if !status.success() {
        return Err(format!("`kill -9 {pid}` failed ({status}): is the process alive?"));
    }
    let deadline = std::time::Instant::now() + DEATH_WAIT;
    while std::time::Instant::now() < deadline {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => return Ok(()),
            Ok(stat) if crate::cpu::process_state(&stat) == Some('Z') => return Ok(()),
            // Polling a process's death: there is no portable wait on a non-child process.
            Ok(_) => std::thread::sleep(Duration::from_micros(200)),
        }
    }
    Err(format!("process {pid} was still alive {DEATH_WAIT:?} after `kill -9`"))
}

/// `kill -STOP PID`, then waits (at most 5 s) until the process is stopped (state `T`).
pub fn sigstop(pid: u32) -> Result<(), String> {
    signal("STOP", pid)?;
    let deadline = std::time::Instant::now() + DEATH_WAIT;
    while std::time::Instant::now() < deadline {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => return Err(format!("process {pid} is gone: it was to be paused, not killed")),
            Ok(stat) if matches!(crate::cpu::process_state(&stat), Some('T' | 't')) => return Ok(()),
            // Polling a process's state: there is no portable wait on a non-child process.
            Ok(_) => std::thread::sleep(Duration::from_micros(200)),
        }
    }
    Err(format!("process {pid} was still running {DEATH_WAIT:?} after `kill -STOP`"))
}

/// `kill -CONT PID`: resumes a paused process.
pub fn sigcont(pid: u32) -> Result<(), String> {
    signal("CONT", pid)
}

fn signal(name: &str, pid: u32) -> Result<(), String> {
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .map_err(|err| format!("cannot run `kill -{name} {pid}`: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`kill -{name} {pid}` failed ({status}): is the process alive?"))
    }
}

/// How one measurement runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailoverPlan {
    /// Every member's process id by member id.
    pub member_pids: BTreeMap<u64, u32>,
    /// Successful writes before the kill.
    pub warm_writes: u64,
    /// The bound of the warm-up, and separately of the wait for writes to resume.
    pub timeout: Duration,
    /// How long one write may take.
    pub op_timeout: Duration,
    /// Whether the writer moves to the next endpoint after a failed write (a driver whose
    /// client holds one member's connection); `false` when the client follows the leader itself.
    pub rotate_on_error: bool,
}

/// What one measurement found.
#[derive(Clone, Debug)]
pub struct FailoverOutcome {
    /// The member killed.
    pub leader: u64,
    /// Its process id.
    pub pid: u32,
    /// From the kill to the answer of the first write started after it.
    pub resumed_after: Duration,
    /// Successful writes before the kill.
    pub writes_before: u64,
    /// Latencies of the writes before the kill, µs.
    pub latency_us: Histogram<u64>,
    /// Writes that failed between the kill and the resumption.
    pub errors: u64,
    /// The first of them.
    pub first_error: Option<String>,
}

/// What the writer saw, in order.
enum Event {
    Wrote { started: Instant, answered: Instant },
    Failed { at: Instant, text: String },
}

/// Measures one failover: writes through `writer`, kills the leader `probe` names with
/// `kill` (which returns once the process is gone), and times from the kill until a write
/// started after the process was gone succeeds.
pub async fn measure_failover(
    writer: Arc<dyn Driver>,
    probe: &dyn LeaderProbe,
    kill: &Kill,
    plan: &FailoverPlan,
) -> Result<FailoverOutcome, BenchError> {
    if plan.op_timeout.is_zero() || plan.timeout.is_zero() {
        return Err(BenchError::InvalidArgument("--timeout and --op-timeout must be more than zero".to_owned()));
    }
    writer.prepare().await?;
    let first = writer.connect(0).await?;
    let (events, mut seen) = mpsc::unbounded_channel();
    let task = tokio::spawn(write_loop(first, writer, events, plan.op_timeout, plan.rotate_on_error));
    let _stop = AbortOnDrop(task);

    let mut latency_us =
        Histogram::new_with_bounds(1, 3_600_000_000, 3).map_err(|err| BenchError::Task(err.to_string()))?;
    let mut writes_before = 0;
    let mut last_error = None;
    let warm_deadline = Instant::now() + plan.timeout;
    while writes_before < plan.warm_writes.max(1) {
        match tokio::time::timeout_at(warm_deadline, seen.recv()).await {
            Ok(Some(Event::Wrote { started, answered })) => {
                let micros = u64::try_from((answered - started).as_micros()).unwrap_or(u64::MAX).max(1);
                latency_us.saturating_record(micros);
                writes_before += 1;
            }
            Ok(Some(Event::Failed { text, .. })) => last_error = Some(text),
            Ok(None) => return Err(BenchError::Task("the failover writer stopped".to_owned())),
            Err(_) => {
                return Err(BenchError::Failover(format!(
                    "only {writes_before} of {} writes succeeded within {:?} before the kill (last error: {}); \
                     is the cluster up and healthy?",
                    plan.warm_writes.max(1),
                    plan.timeout,
                    last_error.as_deref().unwrap_or("none")
                )));
            }
        }
    }

    let leader = tokio::time::timeout(plan.timeout, probe.leader())
        .await
        .map_err(|_| BenchError::Failover(format!("finding the leader took longer than {:?}", plan.timeout)))?
        .map_err(|reason| BenchError::Failover(format!("cannot tell which member leads: {reason}")))?;
    let pid = *plan.member_pids.get(&leader).ok_or_else(|| {
        BenchError::Failover(format!(
            "member {leader} leads, but --member-pids has no process for it (it has members {:?})",
            plan.member_pids.keys().collect::<Vec<_>>()
        ))
    })?;
    let killed_at = Instant::now();
    kill(pid).map_err(|reason| BenchError::Failover(format!("cannot kill member {leader} (pid {pid}): {reason}")))?;
    let gone_at = Instant::now();

    let (mut errors, mut first_error) = (0, None);
    let resume_deadline = killed_at + plan.timeout;
    loop {
        match tokio::time::timeout_at(resume_deadline, seen.recv()).await {
            Ok(Some(Event::Wrote { started, answered })) if started >= gone_at => {
                return Ok(FailoverOutcome {
                    leader,
                    pid,
                    resumed_after: answered - killed_at,
                    writes_before,
                    latency_us,
                    errors,
                    first_error,
                });
            }
            Ok(Some(Event::Wrote { .. })) => {}
            Ok(Some(Event::Failed { at, text })) => {
                if at >= killed_at {
                    errors += 1;
                    first_error.get_or_insert(text);
                }
            }
            Ok(None) => return Err(BenchError::Task("the failover writer stopped".to_owned())),
            Err(_) => {
                return Err(BenchError::Failover(format!(
                    "writes did not resume within {:?} of killing member {leader} (pid {pid}); {errors} writes \
                     failed meanwhile (first: {})",
                    plan.timeout,
                    first_error.as_deref().unwrap_or("none")
                )));
            }
        }
    }
}

/// Aborts the writer when the measurement ends, however it ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Writes in a closed loop until aborted or until nobody listens, reporting every outcome.
async fn write_loop(
    mut client: Box<dyn ClientDriver>,
    driver: Arc<dyn Driver>,
    events: mpsc::UnboundedSender<Event>,
    op_timeout: Duration,
    rotate_on_error: bool,
) {
    let mut index = 0;
    loop {
        let started = Instant::now();
        let outcome = tokio::time::timeout(op_timeout, client.op()).await;
        let answered = Instant::now();
        let (event, failed) = match outcome {
            Ok(Ok(())) => (Event::Wrote { started, answered }, false),
            Ok(Err(text)) => (Event::Failed { at: answered, text }, true),
            Err(_) => {
                let text = format!("write timed out after {} ms", op_timeout.as_millis());
                (Event::Failed { at: answered, text }, true)
            }
        };
        if events.send(event).is_err() {
            return;
        }
        if failed && rotate_on_error {
            index += 1;
            let fresh = tokio::time::timeout(op_timeout, driver.connect(index)).await;
            match fresh {
                Ok(Ok(fresh)) => client = fresh,
                Ok(Err(err)) => {
                    let _ = events.send(Event::Failed { at: Instant::now(), text: err.to_string() });
                }
                Err(_) => {
                    let text = "reconnecting timed out".to_owned();
                    let _ = events.send(Event::Failed { at: Instant::now(), text });
                }
            }
        }
    }
}

impl FailoverOutcome {
    /// The JSON record of this measurement on `system`, under the workload name `workload`
    /// ([`FAILOVER`] or [`FAILOVER_PAUSE`]).
    pub fn record(&self, system: System, workload: &str) -> RunRecord {
        let h = &self.latency_us;
        let at = |q: f64| if h.is_empty() { 0 } else { h.value_at_quantile(q) };
        RunRecord {
            workload: workload.to_owned(),
            system,
            clients: 1,
            duration_s: self.resumed_after.as_secs_f64(),
            ops: self.writes_before,
            ops_per_s: 0.0,
            p50_us: at(0.5),
            p99_us: at(0.99),
            p999_us: at(0.999),
            max_us: if h.is_empty() { 0 } else { h.max() },
            errors: self.errors,
            first_error: self.first_error.clone(),
            server_cpu_s: None,
            failover_ms: Some(self.resumed_after.as_secs_f64() * 1000.0),
            killed_member: Some(self.leader),
        }
    }
}

/// Runs `coterie bench failover` as `args` says: Coterie through `coterie` (connector) and
/// `coterie_leader` (probe), etcd through its driver and `etcdctl`. Prints the result, appends
/// the record to `--json` if given, and returns it.
pub async fn run_failover<C: Connect>(
    args: FailoverArgs,
    coterie: C,
    coterie_leader: &dyn LeaderProbe,
) -> Result<RunRecord, BenchError> {
    let endpoints: Vec<String> = args.endpoints.iter().map(|e| e.trim().to_owned()).filter(|e| !e.is_empty()).collect();
    if endpoints.is_empty() {
        return Err(BenchError::InvalidArgument("--endpoints is empty: give host:port[,host:port...]".to_owned()));
    }
    let mut member_pids = BTreeMap::new();
    for MemberPid { id, pid } in &args.member_pids {
        if member_pids.insert(*id, *pid).is_some() {
            return Err(BenchError::InvalidArgument(format!("--member-pids names member {id} twice")));
        }
    }
    let mut plan = FailoverPlan {
        member_pids,
        warm_writes: args.warm_writes,
        timeout: args.timeout,
        op_timeout: args.op_timeout,
        rotate_on_error: false,
    };
    let fault: &Kill = match args.fault {
        Fault::Kill => &sigkill,
        Fault::Pause => &sigstop,
    };
    let outcome = match args.system {
        System::Coterie => {
            let writer = Arc::new(CoterieDriver::new(coterie, endpoints, Workload::CpIncr));
            measure_failover(writer, coterie_leader, fault, &plan).await
        }
        peer => {
            plan.rotate_on_error = true;
            match peer_failover(peer, endpoints) {
                Ok((writer, probe)) => measure_failover(writer, probe.as_ref(), fault, &plan).await,
                Err(err) => Err(err),
            }
        }
    };
    if args.fault == Fault::Pause {
        // Whatever happened, leave no member stopped.
        for pid in plan.member_pids.values() {
            let _ = sigcont(*pid);
        }
    }
    let outcome = outcome?;
    let record = outcome.record(args.system, args.fault.workload());
    let verb = match args.fault {
        Fault::Kill => "killed",
        Fault::Pause => "paused (and then resumed)",
    };
    println!(
        "failover {}: {verb} member {} (pid {}); writes resumed after {:.1} ms ({} writes failed meanwhile)",
        args.system,
        outcome.leader,
        outcome.pid,
        outcome.resumed_after.as_secs_f64() * 1000.0,
        outcome.errors
    );
    if let Some(first) = &outcome.first_error {
        println!("first error after the kill: {first}");
    }
    if let Some(path) = &args.json {
        record.append_to(path)?;
    }
    Ok(record)
}

#[cfg(feature = "peers")]
fn peer_failover(system: System, endpoints: Vec<String>) -> Result<PeerFailover, BenchError> {
    crate::peers::failover(system, endpoints)
}

#[cfg(not(feature = "peers"))]
fn peer_failover(system: System, _endpoints: Vec<String>) -> Result<PeerFailover, BenchError> {
    Err(BenchError::PeersNotBuilt { system: system.to_string() })
}

#[cfg(test)]
#[path = "failover_tests.rs"]
mod tests;
