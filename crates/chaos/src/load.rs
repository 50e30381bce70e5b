//! The load: concurrent clients issuing register and counter operations, each one recorded.
//!
//! Every worker has its own [`Client`] (its own client id and sessions) and issues one
//! operation at a time, bounded by the per-operation timeout. After an `unknown` outcome the
//! worker takes a fresh process id (as Jepsen's clients do), so a process never has two
//! operations in flight in the recorded history.

use std::sync::Arc;
use std::time::{Duration, Instant};

use coterie_client::{Client, ClientConfig, ClientError, GrpcTransport};
use tokio::sync::mpsc;

use crate::record::{Input, Output, Record, RecordOutcome};

/// What the load does.
#[derive(Clone, Debug)]
pub struct LoadConfig {
    /// The members' `host:port`.
    pub endpoints: Vec<String>,
    /// How long operations are issued.
    pub duration: Duration,
    /// How many concurrent clients.
    pub clients: u64,
    /// The bound on one operation (the client's call timeout; a little more for the whole call).
    pub op_timeout: Duration,
    /// Prefixed to every key, so that a run never reads keys an earlier run wrote.
    pub prefix: String,
    /// How many register keys (`<prefix>-r<i>`).
    pub registers: u64,
    /// How many counter keys (`<prefix>-c<i>`).
    pub counters: u64,
    /// Seeds the operation mix.
    pub seed: u64,
}

/// A small deterministic generator (splitmix64); the mix need not be cryptographic.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The operation a worker issues next: (key, input).
fn next_op(mix: &mut Mix, cfg: &LoadConfig) -> (String, Input) {
    let value = |mix: &mut Mix| i64::try_from(mix.below(4)).unwrap_or(0);
    if cfg.counters > 0 && (cfg.registers == 0 || mix.below(100) < 35) {
        let key = format!("{}-c{}", cfg.prefix, mix.below(cfg.counters));
        let input = if mix.below(100) < 80 { Input::Incr } else { Input::Count };
        return (key, input);
    }
    let key = format!("{}-r{}", cfg.prefix, mix.below(cfg.registers));
    let input = match mix.below(3) {
        0 => Input::Read,
        1 => Input::Write { value: value(mix) },
        _ => Input::Cas { expect: value(mix), new: value(mix) },
    };
    (key, input)
}

/// How a client error is recorded: `Refused` and `Unavailable` certainly did not take effect,
/// everything else may have.
pub fn classify(error: &ClientError) -> RecordOutcome {
    match error {
        ClientError::Refused(_) | ClientError::Unavailable { .. } => RecordOutcome::Fail(error.to_string()),
        _ => RecordOutcome::Unknown(error.to_string()),
    }
}

async fn perform(client: &Client<GrpcTransport>, key: &str, input: Input) -> Result<Output, ClientError> {
    let long = client.atomic_long(key)?;
    Ok(match input {
        Input::Read | Input::Count => Output::Value(long.get().await?),
        Input::Write { value } => {
            long.set(value).await?;
            Output::Written
        }
        Input::Cas { expect, new } => Output::Swapped(long.compare_and_set(expect, new).await?),
        Input::Incr => Output::Value(long.increment_and_get().await?),
    })
}

fn nanos(clock: Instant) -> u64 {
    u64::try_from(clock.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

async fn worker(
    id: u64,
    cfg: Arc<LoadConfig>,
    clock: Instant,
    records: mpsc::UnboundedSender<Record>,
) -> anyhow::Result<()> {
    let config = ClientConfig {
        call_timeout: cfg.op_timeout,
        attempt_timeout: cfg.op_timeout.min(Duration::from_secs(1)),
        ..ClientConfig::default()
    };
    let client = Client::connect_with(&cfg.endpoints, config).await?;
    let mut mix = Mix(cfg.seed ^ id.wrapping_mul(0x2545_f491_4f6c_dd1d));
    let mut process = id;
    let stop = cfg.duration;
    // The whole call is bounded too, in case the client itself hangs past its call timeout.
    let bound = cfg.op_timeout + Duration::from_secs(1);
    while clock.elapsed() < stop {
        let (key, input) = next_op(&mut mix, &cfg);
        let invoke = nanos(clock);
        let result = tokio::time::timeout(bound, perform(&client, &key, input)).await;
        let complete = nanos(clock);
        let outcome = match result {
            Ok(Ok(out)) => RecordOutcome::Ok(out),
            Ok(Err(e)) => classify(&e),
            Err(_) => RecordOutcome::Unknown(format!("no answer within {} ms", bound.as_millis())),
        };
        let unknown = matches!(outcome, RecordOutcome::Unknown(_));
        if records.send(Record { process, key, input, invoke, complete, outcome }).is_err() {
            break;
        }
        if unknown {
            process += cfg.clients;
        }
    }
    // Best effort: the cluster may be down at the end of a fault run.
    let _ = tokio::time::timeout(Duration::from_secs(1), client.close()).await;
    Ok(())
}

/// Runs the load and hands every record to `sink` as it completes; returns how many were
/// recorded. A worker that cannot connect ends the run with its error.
pub async fn run(cfg: LoadConfig, mut sink: impl FnMut(&Record) -> anyhow::Result<()>) -> anyhow::Result<u64> {
    let cfg = Arc::new(cfg);
    let clock = Instant::now();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    for id in 0..cfg.clients {
        tasks.push(tokio::spawn(worker(id, Arc::clone(&cfg), clock, tx.clone())));
    }
    drop(tx);
    let mut count = 0;
    while let Some(record) = rx.recv().await {
        sink(&record)?;
        count += 1;
    }
    for task in tasks {
        task.await??;
    }
    Ok(count)
}
