//! `coterie admin`: the committed member table, and adding and removing members.
//!
//! Only the metadata group's leader changes the table, so a change is sent to the first
//! endpoint that answers and follows its `not_leader` answer to the leader (whose address
//! the answer carries, whether or not it is among `--endpoints`). Admin calls carry the
//! cluster secret, as Raft messages do: adding a member makes it a voter that receives
//! every group's data.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use coterie_api::pb::{self, admin_service_client::AdminServiceClient};
use coterie_api::status::ApiError;
use tokio::time::Instant;

use crate::Outcome;
use crate::status::{member_lines, uri};

/// Arguments of `coterie admin`.
#[derive(Debug, Args)]
pub(crate) struct AdminArgs {
    /// A file holding the cluster secret (the members' --cluster-secret-file).
    #[arg(long, value_name = "FILE", global = true)]
    pub(crate) cluster_secret_file: Option<PathBuf>,
    /// The cluster secret itself (prefer the file).
    #[arg(
        long = "cluster-secret",
        env = "COTERIE_CLUSTER_SECRET",
        hide_env_values = true,
        value_name = "SECRET",
        global = true
    )]
    pub(crate) cluster_secret: Option<String>,
    /// How long the whole command may take, in seconds (adding a member waits until it
    /// votes in every CP group).
    #[arg(long, value_name = "SECONDS", default_value_t = 60, global = true)]
    pub(crate) timeout: u64,
    #[command(subcommand)]
    pub(crate) command: AdminCommand,
}

/// What `coterie admin` does.
#[derive(Debug, Subcommand)]
pub(crate) enum AdminCommand {
    /// List the members of the committed member table.
    Members,
    /// Add member ID at ADDR (HOST:PORT); a CP member unless --plain. The member's
    /// process should be running (started with `coterie serve --join`, which does this
    /// itself): a CP member must catch up before it votes.
    AddMember {
        /// The new member's id (never used before in this cluster).
        id: u64,
        /// Its HOST:PORT.
        address: String,
        /// A plain member: listed, but hosts no CP replica.
        #[arg(long)]
        plain: bool,
    },
    /// Remove member ID: its sharded partitions move to the other members first, then it
    /// leaves every CP group's voters and is marked removed (its id is never used again).
    /// Stop its process afterwards.
    RemoveMember {
        /// The member's id.
        id: u64,
    },
}

fn secret(args: &AdminArgs) -> anyhow::Result<Option<String>> {
    match (&args.cluster_secret, &args.cluster_secret_file) {
        (Some(secret), _) => Ok(Some(secret.trim().to_owned())),
        (None, Some(path)) => Ok(Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the cluster secret file {}", path.display()))?
                .trim()
                .to_owned(),
        )),
        (None, None) => Ok(None),
    }
}

/// Runs `coterie admin` against `endpoints`.
pub(crate) async fn run(endpoints: &[String], args: &AdminArgs) -> anyhow::Result<Outcome> {
    let secret = secret(args)?;
    let deadline = Instant::now() + Duration::from_secs(args.timeout.max(1));
    let members = match &args.command {
        AdminCommand::Members => {
            call(endpoints, secret.as_deref(), deadline, async |client, request| {
                client.list_members(request(pb::ListMembersRequest {})).await.map(|r| r.into_inner().members)
            })
            .await
        }
        AdminCommand::AddMember { id, address, plain } => {
            let message = pb::AddMemberRequest { id: *id, address: address.clone(), plain: *plain };
            call(endpoints, secret.as_deref(), deadline, async |client, request| {
                client.add_member(request(message.clone())).await.map(|r| r.into_inner().members)
            })
            .await
        }
        AdminCommand::RemoveMember { id } => {
            let message = pb::RemoveMemberRequest { id: *id };
            call(endpoints, secret.as_deref(), deadline, async |client, request| {
                client.remove_member(request(message)).await.map(|r| r.into_inner().members)
            })
            .await
        }
    };
    match members {
        Ok(members) => {
            // The table's states; whether each answers is `coterie status`'s job.
            crate::print_lines(&member_lines(&members, None))?;
            Ok(Outcome::Done)
        }
        Err(ApiError::Core(err)) => Ok(Outcome::Refused(err.to_string())),
        Err(err) => Err(anyhow::anyhow!("{err}")),
    }
}

type Client = AdminServiceClient<tonic::transport::Channel>;

/// Sends `rpc` to the endpoints in turn, following `not_leader` to the leader it names,
/// until it succeeds, is refused, or `deadline` passes.
pub(crate) async fn call<T>(
    endpoints: &[String],
    secret: Option<&str>,
    deadline: Instant,
    rpc: impl AsyncFn(&mut Client, &dyn Fn(T) -> tonic::Request<T>) -> Result<Vec<pb::Member>, tonic::Status>,
) -> Result<Vec<pb::Member>, ApiError> {
    let secret: Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>> = match secret {
        Some(secret) => Some(secret.parse().map_err(|_| {
            ApiError::Core(coterie_core::CoreError::invalid_request(
                "admin",
                "the cluster secret is not printable ASCII; give the members' secret",
            ))
        })?),
        None => None,
    };
    if endpoints.is_empty() {
        return Err(ApiError::Unavailable { message: "no endpoint given (--endpoints)".to_owned(), retry_after: None });
    }
    let mut last = ApiError::Unavailable { message: "no member answered in time".to_owned(), retry_after: None };
    let mut redirect: Option<String> = None;
    let mut round = 0usize;
    while Instant::now() < deadline {
        let target = match redirect.take() {
            Some(leader) => leader,
            None => {
                if round > 0 && round.is_multiple_of(endpoints.len()) {
                    // A whole round without a leader (an election): wait a moment.
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                round += 1;
                endpoints[(round - 1) % endpoints.len()].clone()
            }
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        let connect = tonic::transport::Endpoint::from_shared(uri(&target))
            .map_err(|err| ApiError::Unavailable { message: format!("{target:?}: {err}"), retry_after: None })?
            .connect_timeout(remaining.min(Duration::from_secs(2)))
            .connect()
            .await;
        let mut client = match connect {
            Ok(channel) => AdminServiceClient::new(channel),
            Err(err) => {
                last =
                    ApiError::Unavailable { message: format!("cannot connect to {target}: {err}"), retry_after: None };
                continue;
            }
        };
        let request = |message: T| {
            let mut request = tonic::Request::new(message);
            request.set_timeout(remaining);
            if let Some(secret) = &secret {
                request.metadata_mut().insert("x-coterie-cluster-secret", secret.clone());
            }
            request
        };
        match rpc(&mut client, &request).await.map_err(ApiError::from) {
            Ok(members) => return Ok(members),
            Err(ApiError::NotLeader { leader_address: Some(leader), .. }) if leader != target => {
                redirect = Some(leader);
            }
            Err(err @ (ApiError::NotLeader { .. } | ApiError::Unavailable { .. })) => last = err,
            Err(other) => return Err(other),
        }
    }
    Err(last)
}
