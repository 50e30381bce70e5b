//! The closed-loop runner: C clients, each with its own connection and one request in flight.
//!
//! Closed loop means a client sends its next request only when the previous one answered,
//! so the offered load adapts to the system and the latency measured is what a caller sees.
//! A run is: connect every client (a failed connection fails the run: a partial load would
//! measure something else), a warm-up whose ops are not recorded, then the measured phase,
//! which ends at the duration or after `max_ops` ops, whichever comes first. Every op is
//! bounded by the op timeout; a timed-out op is an error, never a success, and its client is
//! closed and reconnected, because a dropped request may have left state behind (a lock
//! acquired after the caller gave up, say).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hdrhistogram::Histogram;
use tokio::time::Instant;

use crate::driver::{ClientDriver, Driver};
use crate::error::BenchError;
pub use crate::stats::{Counters, RunStats};

/// The largest latency the histogram tells apart (one hour, in µs); longer ones are recorded
/// as this.
const HIGHEST_US: u64 = 3_600_000_000;

/// How a run is shaped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunConfig {
    /// Concurrent clients.
    pub clients: usize,
    /// Time spent running the workload before measuring.
    pub warmup: Duration,
    /// The longest measured phase.
    pub duration: Duration,
    /// The most ops in the measured phase (errors included); `None`: no limit.
    pub max_ops: Option<u64>,
    /// How long one op may take before it counts as an error.
    pub op_timeout: Duration,
    /// Whether to draw a progress bar on stderr (only if stderr is a terminal).
    pub progress: bool,
}

/// The moments a run reports to its observer, for sampling server CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The warm-up ended; measuring starts now.
    MeasureStart,
    /// Every client stopped.
    MeasureEnd,
}

/// One client's share of the results.
struct ClientResult {
    latency_us: Histogram<u64>,
    first_error: Option<(Instant, String)>,
}

/// The run's schedule, shared by the clients.
struct Schedule {
    measure_start: Instant,
    measure_end: Instant,
    max_ops: u64,
    op_timeout: Duration,
}

/// Runs `driver` under `config`, calling `observe` at the start and end of the measured phase.
pub async fn run_closed_loop(
    driver: Arc<dyn Driver>,
    config: &RunConfig,
    mut observe: impl FnMut(Phase),
) -> Result<RunStats, BenchError> {
    if config.clients == 0 {
        return Err(BenchError::InvalidArgument("--clients must be at least 1".to_owned()));
    }
    if config.op_timeout.is_zero() {
        return Err(BenchError::InvalidArgument("--op-timeout must be more than zero".to_owned()));
    }
    driver.prepare().await?;
    let mut clients = Vec::with_capacity(config.clients);
    for index in 0..config.clients {
        clients.push(driver.connect(index).await?);
    }
    let start = Instant::now();
    let schedule = Arc::new(Schedule {
        measure_start: start + config.warmup,
        measure_end: start + config.warmup + config.duration,
        max_ops: config.max_ops.unwrap_or(u64::MAX),
        op_timeout: config.op_timeout,
    });
    let counters = Arc::new(Counters::default());
    let mut tasks = Vec::with_capacity(clients.len());
    for (index, client) in clients.into_iter().enumerate() {
        let (driver, schedule, counters) = (Arc::clone(&driver), Arc::clone(&schedule), Arc::clone(&counters));
        tasks.push(tokio::spawn(client_loop(index, client, driver, schedule, counters)));
    }
    let progress = if config.progress {
        crate::output::spawn_progress(Arc::clone(&counters), config.warmup, config.duration)
    } else {
        None
    };
    // Wait for the warm-up to end (or for every client to stop early, for instance on an
    // op budget reached at once), then tell the observer.
    tokio::time::sleep_until(schedule.measure_start).await;
    observe(Phase::MeasureStart);
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(task.await.map_err(|err| BenchError::Task(err.to_string()))??);
    }
    let elapsed = Instant::now().saturating_duration_since(schedule.measure_start);
    observe(Phase::MeasureEnd);
    if let Some(progress) = progress {
        progress.finish();
    }
    let mut latency_us = new_histogram()?;
    let mut first: Option<(Instant, String)> = None;
    for result in results {
        latency_us.add(&result.latency_us).map_err(|err| BenchError::Task(err.to_string()))?;
        if let Some((at, text)) = result.first_error
            && first.as_ref().is_none_or(|(earliest, _)| at < *earliest)
        {
            first = Some((at, text));
        }
    }
    Ok(RunStats {
        ops: counters.ops.load(Ordering::SeqCst),
        errors: counters.errors.load(Ordering::SeqCst),
        first_error: first.map(|(_, text)| text),
        latency_us,
        elapsed,
    })
}

fn new_histogram() -> Result<Histogram<u64>, BenchError> {
    Histogram::new_with_bounds(1, HIGHEST_US, 3).map_err(|err| BenchError::Task(err.to_string()))
}

async fn client_loop(
    index: usize,
    mut client: Box<dyn ClientDriver>,
    driver: Arc<dyn Driver>,
    schedule: Arc<Schedule>,
    counters: Arc<Counters>,
) -> Result<ClientResult, BenchError> {
    let mut result = ClientResult { latency_us: new_histogram()?, first_error: None };
    loop {
        let now = Instant::now();
        if now >= schedule.measure_end {
            break;
        }
        let measured = now >= schedule.measure_start;
        if measured && counters.started.fetch_add(1, Ordering::SeqCst) >= schedule.max_ops {
            break;
        }
        let began = Instant::now();
        let outcome = tokio::time::timeout(schedule.op_timeout, client.op()).await;
        let micros = u64::try_from(began.elapsed().as_micros()).unwrap_or(u64::MAX).max(1);
        let (error, timed_out) = match outcome {
            Ok(Ok(())) => (None, false),
            Ok(Err(text)) => (Some(text), false),
            Err(_) => (Some(format!("op timed out after {} ms", schedule.op_timeout.as_millis())), true),
        };
        if measured {
            match &error {
                None => {
                    result.latency_us.saturating_record(micros);
                    counters.ops.fetch_add(1, Ordering::SeqCst);
                }
                Some(text) => {
                    counters.errors.fetch_add(1, Ordering::SeqCst);
                    if result.first_error.is_none() {
                        result.first_error = Some((Instant::now(), format!("client {index}: {text}")));
                    }
                }
            }
        }
        if timed_out {
            let _ = tokio::time::timeout(schedule.op_timeout, client.close()).await;
            match tokio::time::timeout(schedule.op_timeout, driver.connect(index)).await {
                Ok(Ok(fresh)) => client = fresh,
                Ok(Err(err)) => return Ok(stop_client(result, &counters, index, measured, err.to_string())),
                Err(_) => {
                    let text = "reconnecting after a timeout timed out".to_owned();
                    return Ok(stop_client(result, &counters, index, measured, text));
                }
            }
        }
    }
    let _ = tokio::time::timeout(schedule.op_timeout, client.close()).await;
    Ok(result)
}

/// Ends a client that could not reconnect, counting it as one more error.
fn stop_client(
    mut result: ClientResult,
    counters: &Counters,
    index: usize,
    measured: bool,
    text: String,
) -> ClientResult {
    if measured {
        counters.errors.fetch_add(1, Ordering::SeqCst);
    }
    if result.first_error.is_none() {
        result.first_error = Some((Instant::now(), format!("client {index} stopped: {text}")));
    }
    result
}
