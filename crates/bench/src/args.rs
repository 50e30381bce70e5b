//! The command line of `coterie bench` and the one entry point that runs it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::coterie::{Connect, CoterieDriver};
use crate::cpu::CpuSampler;
use crate::driver::Driver;
pub use crate::duration::parse_duration;
use crate::error::BenchError;
use crate::output::RunRecord;
use crate::runner::{Phase, RunConfig, run_closed_loop};
use crate::workload::{System, Workload};

/// `coterie bench`: one closed-loop run of one workload against one system.
#[derive(Clone, Debug, clap::Args)]
pub struct BenchArgs {
    /// The system under test.
    #[arg(long, value_enum, default_value_t = System::Coterie)]
    pub system: System,
    /// The system's endpoints, comma-separated host:port (etcd/ZooKeeper/Coterie members, one Redis).
    #[arg(long, value_delimiter = ',', required = true)]
    pub endpoints: Vec<String>,
    /// The workload: cp-incr, cp-cas, cp-get, cp-lock, cp-lock-each, cp-semaphore, obj-create or obj-cas.
    #[arg(long)]
    pub workload: Workload,
    /// Concurrent clients, each with its own connection and one request in flight.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// The longest measured phase (`10s`, `500ms`, `2m`; a bare number is seconds).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Time spent running the workload before measuring.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// The most measured ops (errors included); the run ends at this count or the duration,
    /// whichever comes first.
    #[arg(long)]
    pub ops: Option<u64>,
    /// How long one op may take; a slower op counts as an error.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub op_timeout: Duration,
    /// Appends the run's record, one JSON object per line, to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Server process ids (comma-separated) whose CPU time to report for the measured phase.
    #[arg(long, value_delimiter = ',')]
    pub pids: Vec<u32>,
}

/// Runs the benchmark `args` describes, prints its summary on stdout, appends its record to
/// `--json` if given, and returns the record. `coterie` connects Coterie clients; it is only
/// used when `--system coterie`.
pub async fn run<C: Connect>(args: BenchArgs, coterie: C) -> Result<RunRecord, BenchError> {
    if args.endpoints.iter().all(|e| e.trim().is_empty()) {
        return Err(BenchError::InvalidArgument("--endpoints is empty: give host:port[,host:port...]".to_owned()));
    }
    let endpoints: Vec<String> = args.endpoints.iter().map(|e| e.trim().to_owned()).filter(|e| !e.is_empty()).collect();
    let driver: Arc<dyn Driver> = match args.system {
        System::Coterie => Arc::new(CoterieDriver::new(coterie, endpoints, args.workload)),
        peer => peer_driver(peer, args.workload, endpoints)?,
    };
    let config = RunConfig {
        clients: args.clients,
        warmup: args.warmup,
        duration: args.duration,
        max_ops: args.ops,
        op_timeout: args.op_timeout,
        progress: true,
    };
    let mut cpu = CpuSampler::new(args.pids.clone());
    let stats = run_closed_loop(driver, &config, |phase| match phase {
        Phase::MeasureStart => cpu.start(),
        Phase::MeasureEnd => cpu.stop(),
    })
    .await?;
    let record = RunRecord::new(args.workload, args.system, args.clients, &stats, cpu.seconds());
    print!("{}", record.summary());
    if let Some(path) = &args.json {
        record.append_to(path)?;
    }
    Ok(record)
}

#[cfg(feature = "peers")]
fn peer_driver(system: System, workload: Workload, endpoints: Vec<String>) -> Result<Arc<dyn Driver>, BenchError> {
    crate::peers::driver(system, workload, endpoints)
}

#[cfg(not(feature = "peers"))]
fn peer_driver(system: System, _workload: Workload, _endpoints: Vec<String>) -> Result<Arc<dyn Driver>, BenchError> {
    Err(BenchError::PeersNotBuilt { system: system.to_string() })
}
