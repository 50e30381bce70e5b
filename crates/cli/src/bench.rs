//! `coterie bench`: the benchmark harness (`coterie-bench`) behind the binary.
//!
//! The harness is a library so that its runner and report are tested without a process;
//! this module only supplies what a library cannot choose: how a Coterie client connects
//! (the gRPC client, one connection per benchmark client), and, for `bench failover`, how to
//! tell which member leads (every member's `ClusterService.Status`).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use clap::{Args, Subcommand};
use coterie_api::pb::{ClusterStatusResponse, RaftRole};
use coterie_bench::{BenchArgs, FailoverArgs, ReportArgs};
use coterie_client::{Client, ClientConfig};

use crate::Outcome;

/// `coterie bench [RUN ARGS] | coterie bench report ...`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct BenchCommand {
    #[command(subcommand)]
    report: Option<BenchSubcommand>,
    #[command(flatten)]
    run: Option<BenchArgs>,
    /// Connect the Coterie clients without routing sharded calls from the partition table:
    /// each goes to one member, which forwards it to the owner (the "before" of an A/B).
    #[arg(long)]
    no_route: bool,
}

#[derive(Debug, Subcommand)]
enum BenchSubcommand {
    /// Render a JSON-lines results file as markdown tables (docs/benchmarks.md).
    Report(ReportArgs),
    /// Kill the leader's process (SIGKILL) under a writer and time until writes resume.
    Failover(FailoverArgs),
}

/// Runs `coterie bench`.
pub(crate) async fn run(command: &BenchCommand) -> anyhow::Result<Outcome> {
    match (&command.report, &command.run) {
        (Some(BenchSubcommand::Report(args)), _) => {
            let written = coterie_bench::report(args)?;
            eprintln!(
                "wrote {} (run records: {}, workload tables: {})",
                written.path.display(),
                written.records,
                written.workloads
            );
        }
        (Some(BenchSubcommand::Failover(args)), _) => {
            let connect = |endpoints: Vec<String>, _client: usize| async move { Client::connect(&endpoints).await };
            let probe = CoterieLeader { endpoints: args.endpoints.clone() };
            coterie_bench::run_failover(args.clone(), connect, &probe).await?;
        }
        (None, Some(args)) => {
            let config = ClientConfig { route_sharded: !command.no_route, ..ClientConfig::default() };
            let connect = move |endpoints: Vec<String>, _client: usize| {
                let config = config.clone();
                async move { Client::connect_with(&endpoints, config).await }
            };
            coterie_bench::run(args.clone(), connect).await?;
        }
        (None, None) => {
            anyhow::bail!("give a run (--workload, --endpoints, ...), `report` or `failover`; see coterie bench --help")
        }
    }
    Ok(Outcome::Done)
}

/// Finds the `default` group's leader by asking every member.
struct CoterieLeader {
    endpoints: Vec<String>,
}

/// How long one member may take to answer the status request.
const STATUS_TIMEOUT: Duration = Duration::from_secs(2);

impl coterie_bench::LeaderProbe for CoterieLeader {
    fn leader(&self) -> Pin<Box<dyn Future<Output = Result<u64, String>> + Send + '_>> {
        Box::pin(async move {
            let mut answers = Vec::new();
            for endpoint in &self.endpoints {
                if let Ok(answer) = crate::status::ask(endpoint, STATUS_TIMEOUT).await {
                    answers.push(answer);
                }
            }
            leader_of(&answers)
        })
    }
}

/// The member that says it leads the `default` group (the highest term wins if two do).
pub(crate) fn leader_of(answers: &[ClusterStatusResponse]) -> Result<u64, String> {
    if answers.is_empty() {
        return Err("no member answered the status request".to_owned());
    }
    answers
        .iter()
        .filter_map(|answer| {
            let group = answer.groups.iter().find(|g| g.name == "default")?;
            (RaftRole::try_from(group.role) == Ok(RaftRole::Leader)).then_some((group.term, answer.member_id))
        })
        .max()
        .map(|(_, member)| member)
        .ok_or_else(|| format!("none of the {} members that answered leads the default group", answers.len()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

    use coterie_api::pb::{ClusterStatusResponse, GroupStatus, RaftRole};

    use super::leader_of;

    fn member(id: u64, role: RaftRole, term: u64) -> ClusterStatusResponse {
        ClusterStatusResponse {
            member_id: id,
            groups: vec![GroupStatus { name: "default".to_owned(), role: role as i32, term, ..GroupStatus::default() }],
            ..ClusterStatusResponse::default()
        }
    }

    #[test]
    fn the_member_that_leads_the_default_group_is_the_leader() {
        let answers =
            [member(1, RaftRole::Follower, 3), member(2, RaftRole::Leader, 3), member(3, RaftRole::Follower, 3)];
        assert_eq!(leader_of(&answers), Ok(2));
        // A deposed leader that has not heard of the new term loses to the newer one.
        let answers = [member(1, RaftRole::Leader, 2), member(3, RaftRole::Leader, 4)];
        assert_eq!(leader_of(&answers), Ok(3));
        assert!(leader_of(&[member(1, RaftRole::Candidate, 5)]).unwrap_err().contains("none of the 1"));
        assert!(leader_of(&[]).unwrap_err().contains("no member answered"));
    }
}
