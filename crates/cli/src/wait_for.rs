//! `coterie wait-for N --timeout T`: waits until N members are Up in the cluster's committed
//! member table ([`Client::wait_for`](coterie_client::Client::wait_for)), for scripts that
//! start members in any order and must not go on before the cluster has them. Exits 0 and
//! lists the Up members once there are N; exits 1 (a refusal) with how many were Up when the
//! timeout passes.

use std::time::Duration;

use clap::Args;
use coterie_client::{Client, ClientError};

use crate::{Outcome, print_lines};

/// The arguments of `coterie wait-for`.
#[derive(Debug, Args)]
pub(crate) struct WaitForArgs {
    /// How many members must be Up.
    pub(crate) members: usize,
    /// How long to wait (`30s`, `500ms`, `2m`).
    #[arg(long, default_value = "30s", value_parser = coterie_bench::duration::parse_duration)]
    pub(crate) timeout: Duration,
}

/// Runs `coterie wait-for`.
pub(crate) async fn run(endpoints: &[String], args: &WaitForArgs) -> anyhow::Result<Outcome> {
    let client = Client::connect(endpoints).await?;
    match client.wait_for(args.members, args.timeout).await {
        Ok(up) => {
            let lines: Vec<String> = up
                .iter()
                .map(|member| {
                    let role = if member.cp_member { "cp" } else { "plain" };
                    format!("member {} up at {} ({role})", member.id, member.address)
                })
                .collect();
            print_lines(&lines)?;
            Ok(Outcome::Done)
        }
        Err(err @ ClientError::MembersNotUp { .. }) => Ok(Outcome::Refused(err.to_string())),
        Err(other) => Err(other.into()),
    }
}
