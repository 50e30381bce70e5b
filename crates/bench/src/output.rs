//! What a run shows and keeps: the live progress bar, the summary table on stdout, and the
//! JSON record appended to `--json FILE` (one object per line, so runs accumulate and the
//! report reads them back).

use std::fs::OpenOptions;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

use crate::error::BenchError;
use crate::stats::{Counters, RunStats};
use crate::workload::{System, Workload};

/// One run, as appended to the JSON-lines file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The workload's name.
    pub workload: String,
    /// The system's name.
    pub system: System,
    /// Concurrent clients.
    pub clients: usize,
    /// The measured phase's length, in seconds.
    pub duration_s: f64,
    /// Successful ops.
    pub ops: u64,
    /// Successful ops per second.
    pub ops_per_s: f64,
    /// Median latency of successful ops, µs.
    pub p50_us: u64,
    /// 99th percentile, µs.
    pub p99_us: u64,
    /// 99.9th percentile, µs.
    pub p999_us: u64,
    /// Largest latency, µs.
    pub max_us: u64,
    /// Failed or timed-out ops.
    pub errors: u64,
    /// The first error's text.
    pub first_error: Option<String>,
    /// CPU seconds (user + system) the `--pids` processes used during the measured phase.
    pub server_cpu_s: Option<f64>,
    /// For workload `failover`: milliseconds from the leader's kill to the first successful
    /// write started after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover_ms: Option<f64>,
    /// For workload `failover`: the member killed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub killed_member: Option<u64>,
}

impl RunRecord {
    /// The record of `stats` for `workload` on `system` with `clients` clients.
    pub fn new(workload: Workload, system: System, clients: usize, stats: &RunStats, cpu: Option<f64>) -> Self {
        let seconds = stats.elapsed.as_secs_f64();
        let per_s = if seconds > 0.0 { stats.ops as f64 / seconds } else { 0.0 };
        let h = &stats.latency_us;
        let empty = h.is_empty();
        let at = |q: f64| if empty { 0 } else { h.value_at_quantile(q) };
        RunRecord {
            workload: workload.name().to_owned(),
            system,
            clients,
            duration_s: seconds,
            ops: stats.ops,
            ops_per_s: per_s,
            p50_us: at(0.5),
            p99_us: at(0.99),
            p999_us: at(0.999),
            max_us: if empty { 0 } else { h.max() },
            errors: stats.errors,
            first_error: stats.first_error.clone(),
            server_cpu_s: cpu,
            failover_ms: None,
            killed_member: None,
        }
    }

    /// Appends this record as one JSON line to `path` (created if missing).
    pub fn append_to(&self, path: &Path) -> Result<(), BenchError> {
        let io = |source| BenchError::Io { action: "appending to", path: path.to_owned(), source };
        let mut line = serde_json::to_string(self).map_err(|err| io(std::io::Error::other(err)))?;
        line.push('\n');
        let mut file = OpenOptions::new().create(true).append(true).open(path).map_err(io)?;
        file.write_all(line.as_bytes()).map_err(io)
    }

    /// The summary table printed after a run.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let rows: [(&str, String); 10] = [
            ("workload", self.workload.clone()),
            ("system", self.system.to_string()),
            ("clients", self.clients.to_string()),
            ("measured", format!("{:.2} s", self.duration_s)),
            ("ops", self.ops.to_string()),
            ("ops/s", format!("{:.0}", self.ops_per_s)),
            ("latency p50 / p99", format!("{} / {} µs", self.p50_us, self.p99_us)),
            ("latency p99.9 / max", format!("{} / {} µs", self.p999_us, self.max_us)),
            ("errors", self.errors.to_string()),
            ("server cpu", self.server_cpu_s.map_or_else(|| "-".to_owned(), |s| format!("{s:.2} s"))),
        ];
        for (name, value) in rows {
            out.push_str(&format!("{name:<20} {value}\n"));
        }
        if let Some(first) = &self.first_error {
            out.push_str(&format!("{:<20} {first}\n", "first error"));
        }
        out
    }
}

/// Draws a progress bar on stderr while the run lasts, if stderr is a terminal; `None` if not.
pub(crate) fn spawn_progress(counters: Arc<Counters>, warmup: Duration, duration: Duration) -> Option<Progress> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let total = warmup + duration;
    let bar = ProgressBar::new(u64::try_from(total.as_millis()).unwrap_or(u64::MAX));
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {elapsed:>4} {msg}") {
        bar.set_style(style);
    }
    let drawn = bar.clone();
    let ticker = tokio::spawn(async move {
        let started = tokio::time::Instant::now();
        let mut every = tokio::time::interval(Duration::from_millis(200));
        loop {
            every.tick().await;
            let elapsed = started.elapsed();
            drawn.set_position(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
            let phase = if elapsed < warmup { "warm-up" } else { "measuring" };
            let (ops, errors) = (counters.ops.load(Ordering::Relaxed), counters.errors.load(Ordering::Relaxed));
            drawn.set_message(format!("{phase}: {ops} ops, {errors} errors"));
        }
    });
    Some(Progress { bar, ticker })
}

/// A progress bar being drawn.
pub(crate) struct Progress {
    bar: ProgressBar,
    ticker: JoinHandle<()>,
}

impl Progress {
    /// Stops drawing and clears the bar.
    pub(crate) fn finish(self) {
        self.ticker.abort();
        self.bar.finish_and_clear();
    }
}
