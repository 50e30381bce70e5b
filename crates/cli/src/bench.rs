//! `coterie bench`: the benchmark harness (`coterie-bench`) behind the binary.
//!
//! The harness is a library so that its runner and report are tested without a process;
//! this module only supplies what a library cannot choose: how a Coterie client connects
//! (the gRPC client, one connection per benchmark client).

use clap::{Args, Subcommand};
use coterie_bench::{BenchArgs, ReportArgs};
use coterie_client::Client;

use crate::Outcome;

/// `coterie bench [RUN ARGS] | coterie bench report ...`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct BenchCommand {
    #[command(subcommand)]
    report: Option<BenchSubcommand>,
    #[command(flatten)]
    run: Option<BenchArgs>,
}

#[derive(Debug, Subcommand)]
enum BenchSubcommand {
    /// Render a JSON-lines results file as markdown tables (docs/benchmarks.md).
    Report(ReportArgs),
}

/// Runs `coterie bench`.
pub(crate) async fn run(command: &BenchCommand) -> anyhow::Result<Outcome> {
    match (&command.report, &command.run) {
        (Some(BenchSubcommand::Report(args)), _) => coterie_bench::report(args)?,
        (None, Some(args)) => {
            let connect = |endpoints: Vec<String>, _client: usize| async move { Client::connect(&endpoints).await };
            coterie_bench::run(args.clone(), connect).await?;
        }
        (None, None) => {
            anyhow::bail!("give a run (--workload, --endpoints, ...) or `report`; see coterie bench --help")
        }
    }
    Ok(Outcome::Done)
}
