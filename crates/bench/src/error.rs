//! The harness's errors: each says what went wrong and what to do about it.

use std::path::PathBuf;

/// Why a benchmark or report could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A command-line value is wrong.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A client could not connect or the workload could not be prepared.
    #[error("could not connect to {system} at {endpoints}: {reason} (is the cluster running and listening there?)")]
    Connect {
        /// The system benchmarked.
        system: String,
        /// The endpoints tried.
        endpoints: String,
        /// What the client reported.
        reason: String,
    },
    /// The workload could not be set up on the system.
    #[error("could not prepare workload {workload} on {system}: {reason}")]
    Prepare {
        /// The workload.
        workload: String,
        /// The system benchmarked.
        system: String,
        /// What went wrong.
        reason: String,
    },
    /// The system has no driver for the workload.
    #[error("{system} has no driver for workload {workload}; pick another workload for it")]
    Unsupported {
        /// The system benchmarked.
        system: String,
        /// The workload asked for.
        workload: String,
    },
    /// An object workload was given a connector whose clients have no bucket handle.
    #[error(
        "workload {workload} needs Coterie's gRPC client (the bucket handle is only on Client<GrpcTransport>), but the connector makes clients over {transport}; run it with `coterie bench` against `coterie serve` members"
    )]
    NeedsGrpc {
        /// The workload asked for.
        workload: String,
        /// The transport the connector's clients use.
        transport: &'static str,
    },
    /// The peer drivers were not compiled in.
    #[error(
        "{system} needs the peer drivers: rebuild with `--features peers` (for example `cargo build --release -p coterie-cli --features peers`)"
    )]
    PeersNotBuilt {
        /// The system asked for.
        system: String,
    },
    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done (`reading`, `writing`, ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A results file holds a line that is not a run record.
    #[error("{path} line {line} is not a benchmark record ({reason}); pass a file written by `coterie bench --json`")]
    BadRecord {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// The parse error.
        reason: String,
    },
    /// A failover measurement could not be made.
    #[error("failover measurement failed: {0}")]
    Failover(String),
    /// A client task failed unexpectedly.
    #[error("a benchmark client task failed: {0}")]
    Task(String),
}
