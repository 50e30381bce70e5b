//! # coterie-bench
//!
//! Coterie's claim is to be faster than its peers, so every figure must be measured the same
//! way, in the same run, against what a user would otherwise pick. This crate is that
//! measurement: one closed-loop runner ([`runner`]), workloads by name ([`Workload`]), one
//! driver per system ([`Driver`]: Coterie always, etcd, ZooKeeper and Redis with the `peers`
//! feature; the object workloads `obj-*` on Coterie's gRPC client and etcd, see [`objects`]), and the report that turns results into `docs/benchmarks.md` ([`report()`]).
//!
//! ## Wiring it into a binary
//!
//! The `coterie` binary adds three subcommands:
//!
//! ```text
//! coterie bench [BenchArgs]                      -> coterie_bench::run(args, connector).await
//! coterie bench report --json F --out FILE [--preamble P]
//!                                                -> coterie_bench::report(&report_args)
//! coterie bench failover --endpoints .. --member-pids 1=PID,..
//!                                                -> coterie_bench::run_failover(args, connector, probe).await
//! ```
//!
//! [`BenchArgs`] and [`ReportArgs`] derive `clap::Args`, so they flatten into the binary's
//! own subcommand enum. The connector makes one Coterie client per simulated client; any
//! closure `Fn(Vec<String>, usize) -> impl Future<Output = Result<Client<T>, E>>` is one, e.g.
//! `|endpoints, _client| async move { Client::connect(&endpoints).await }`. It is only called
//! for `--system coterie`. The peers need the binary built with this crate's `peers`
//! feature (forward it as a feature of the binary's crate); without it, asking for a peer
//! fails with an error that says so.
//!
//! `run` prints the summary table on stdout and a progress bar on stderr when stderr is a
//! terminal. Server CPU (`--pids`) is read from `/proc/<pid>/stat`, assuming 100 clock
//! ticks per second (see [`cpu`]).

pub mod args;
pub mod coterie;
pub mod cpu;
pub mod driver;
pub mod duration;
pub mod error;
pub mod failover;
pub mod objects;
pub mod output;
#[cfg(feature = "peers")]
pub mod peers;
pub mod probe;
pub mod report;
pub mod runner;
pub mod stats;
pub mod workload;

pub use args::{BenchArgs, parse_duration, run};
pub use coterie::{Connect, CoterieDriver};
pub use driver::{ClientDriver, Driver};
pub use error::BenchError;
pub use failover::{
    FAILOVER_PAUSE, FailoverArgs, FailoverOutcome, FailoverPlan, Fault, LeaderProbe, MemberPid, measure_failover,
    run_failover,
};
pub use output::RunRecord;
pub use report::{ReportArgs, Written, render_report, report};
pub use runner::{Phase, RunConfig, RunStats, run_closed_loop};
pub use workload::{MAP_KEYS, MAP_VALUE_BYTES, OBJECT_VALUE_BYTES, System, UnknownWorkload, Workload, map_key};
