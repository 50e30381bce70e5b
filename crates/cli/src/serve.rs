//! `coterie serve` and `coterie dev`: run members until told to stop.
//!
//! Both stop cleanly on Ctrl-C (SIGINT) or SIGTERM, so scripts that stop a member by PID get
//! the same orderly shutdown (Raft stepping down, storage closed) as a person at a terminal.
//! A member running gossip (`--seeds`, `--gossip`) leaves the gossip cluster first
//! (`Node::shutdown`): the others see it Leaving and Left, not crashed.
//!
//! What a stop means for the member's partitions, and why there are two kinds:
//!
//! - **A plain stop** (the default) keeps the member in the cluster: it is still a voter of
//!   every CP group, so a restart on its data directory simply resumes (its CP replicas
//!   catch up, its journaled partitions are replayed). Meanwhile the partitions only it
//!   holds are unavailable: with gossip, the metadata leader commits it Down and they are
//!   refused as lost, naming it, until it is back (never recreated empty). This is the
//!   right stop for a restart, an upgrade or a reboot.
//! - **`--leave-on-shutdown`** makes SIGTERM what Hazelcast's graceful shutdown is: before it
//!   stops, the member asks the metadata leader to remove it (`AdminService.RemoveMember`
//!   of itself, the redirects followed), which hands every partition it owns to the other
//!   members (`host/handoff.rs`) and takes it out of every CP group's voters, bounded by
//!   `--shutdown-timeout`. No partition is lost, and the cluster's quorum size shrinks
//!   with it. Its id is then never used again (the member table never reuses an id, so a
//!   stale process cannot pass for it): to come back it starts with a new id and an empty
//!   data directory, through `--seeds`; started again on the old data directory it refuses
//!   to start and says so (the `left` file there). If the leave does not finish in time
//!   (no metadata leader, a partition too large to move), the member stops anyway and
//!   says what is left: its remaining partitions are then lost until it returns.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use coterie_s3::{Gateway, GatewayConfig};
use coterie_server::gossip::GossipView;
use coterie_server::{Node, NodeConfig, NodeGossipConfig};
use tokio::sync::watch;

use crate::Outcome;
use crate::local_cluster::{DataDir, LocalCluster};
use crate::serve_config::{ServeArgs, ServeConfig};

/// The file in the data directory that says this member left the cluster on shutdown.
const LEFT_FILE: &str = "left";

/// Waits for Ctrl-C or SIGTERM.
async fn stop_signal() -> anyhow::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot listen for SIGTERM")?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("cannot listen for Ctrl-C"),
        _ = terminate.recv() => Ok(()),
    }
}

/// Runs `coterie serve`.
pub(crate) async fn serve(args: &ServeArgs) -> anyhow::Result<Outcome> {
    crate::logging::init(args.log_level)?;
    let config = args.resolve()?;
    let s3 = args.s3.resolve()?;
    if let Some(dir) = &config.data_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create the data directory {}", dir.display()))?;
        if dir.join(LEFT_FILE).exists() {
            anyhow::bail!(
                "member {} left the cluster when it was stopped (--leave-on-shutdown) and its id is not used again; \
                 start it with a new --id and an empty --data-dir (for example through --seeds) to add it back",
                config.id
            );
        }
    }
    if config.cluster_secret.is_none() {
        eprintln!(
            "warning: no cluster secret: anyone who reaches this port can send it Raft messages; give every member \
             the same --cluster-secret-file outside a trusted network"
        );
    }
    let node_config = NodeConfig {
        data_dir: config.data_dir.clone(),
        cluster_secret: config.cluster_secret.clone(),
        join: config.join.clone(),
        plain: config.plain,
        gossip: config.gossip.clone().map(|gossip| NodeGossipConfig {
            advertise: gossip.advertise,
            ..NodeGossipConfig::new(gossip.bind, gossip.seeds)
        }),
        ..NodeConfig::new(config.id, config.listen, config.members.clone())
    };
    if !config.join.is_empty() {
        println!("member {} joining the cluster through {}", config.id, config.join.join(", "));
    }
    let node = Node::start(node_config).await.with_context(|| format!("cannot start member {}", config.id))?;
    let node = Arc::new(node);
    let data = config.data_dir.as_ref().map_or_else(|| "in memory".to_owned(), |dir| dir.display().to_string());
    println!("member {} serving on {} (data: {data}); Ctrl-C stops it", config.id, node.local_addr());
    if let Some(view) = node.gossip_watch() {
        tokio::spawn(print_gossip_changes(config.id, view));
        tokio::spawn(print_member_changes(config.id, Arc::clone(&node)));
    }
    if let Some(gossip) = &config.gossip {
        let seeds = gossip.seeds.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
        println!(
            "member {} gossiping on udp://{} (seeds: {})",
            config.id,
            gossip.bind,
            if seeds.is_empty() { "none" } else { &seeds }
        );
    }
    let gateway = match s3 {
        Some((address, credentials)) => {
            let gateway = Gateway::new(Arc::clone(&node), GatewayConfig::default());
            let running = coterie_s3::start(address, gateway, &credentials).await?;
            println!(
                "member {} serving S3 on http://{} (path-style, Signature V4 with access key {:?})",
                config.id, running.local_addr, credentials.access_key
            );
            Some(running)
        }
        None => None,
    };
    let stopped = tokio::select! {
        stopped = stop_signal() => stopped,
        () = node.removed() => {
            println!("member {} was removed from the cluster (coterie admin remove-member)", config.id);
            Ok(())
        }
    };
    println!("member {} stopping", config.id);
    let left = if config.leave_on_shutdown && !removed_already(&node) { leave(&config, &node).await } else { Ok(()) };
    if let Some(gateway) = gateway {
        gateway.stop();
    }
    node.shutdown().await;
    stopped?;
    left?;
    Ok(Outcome::Done)
}

/// Whether the committed table says this member was removed already.
fn removed_already(node: &Node) -> bool {
    node.members().get(node.id()).is_some_and(|record| record.state == coterie_core::MemberState::Removed)
}

/// Leaves the cluster before stopping (`--leave-on-shutdown`): asks the metadata leader,
/// through this member and then the others it knows, to remove this member (its partitions
/// are handed over first), within `--shutdown-timeout`, and marks the data directory.
async fn leave(config: &ServeConfig, node: &Node) -> anyhow::Result<()> {
    let id = config.id;
    let timeout = config.shutdown_timeout;
    println!("member {id} leaving the cluster: handing its partitions to the others (at most {timeout:?})");
    let started = std::time::Instant::now();
    let mut endpoints = vec![node.local_addr().to_string()];
    endpoints.extend(node.members().addresses().into_iter().filter(|(member, _)| *member != id).map(|(_, a)| a));
    let deadline = tokio::time::Instant::now() + timeout;
    let message = coterie_api::pb::RemoveMemberRequest { id };
    let removed =
        crate::admin::call(&endpoints, config.cluster_secret.as_deref(), deadline, async |client, request| {
            client.remove_member(request(message)).await.map(|response| response.into_inner().members)
        })
        .await;
    match removed {
        Ok(_) => {
            if let Some(dir) = &config.data_dir {
                let note = "this member left the cluster on shutdown (--leave-on-shutdown); its id is not used again\n";
                std::fs::write(dir.join(LEFT_FILE), note)
                    .with_context(|| format!("member {id} left the cluster but cannot mark {}", dir.display()))?;
            }
            println!(
                "member {id} left the cluster in {:?}: its partitions are on the other members",
                started.elapsed()
            );
            Ok(())
        }
        Err(coterie_api::status::ApiError::Core(refusal)) => Err(anyhow::anyhow!(
            "member {id} stopped without leaving the cluster: the leave was refused ({refusal}); it is still a \
             member, and its partitions are lost until it is started again on its data directory"
        )),
        Err(err) => {
            let held = node
                .partition_table()
                .map_or(0, |table| table.iter().filter(|(_, e)| e.state.holder() == Some(id)).count());
            Err(anyhow::anyhow!(
                "member {id} could not leave the cluster within {timeout:?} ({err}); it stopped anyway, and the {held} \
                 partitions it still holds are lost until it is started again on its data directory (then leave \
                 with `coterie admin remove-member {id}`, or a longer --shutdown-timeout)"
            ))
        }
    }
}

/// Logs each change of a member's gossip state, as member `id` sees it, until the view
/// is dropped (the node stopped): an operator's record of who gossip thinks is alive.
async fn print_gossip_changes(id: u64, mut view: watch::Receiver<GossipView>) {
    let states =
        |view: &GossipView| view.iter().map(|(member, info)| (*member, info.state)).collect::<BTreeMap<_, _>>();
    let mut seen = BTreeMap::new();
    loop {
        let now = view.borrow_and_update().clone();
        for (member, info) in &now {
            if *member != id && seen.get(member) != Some(&info.state) {
                tracing::info!(
                    target: "coterie::gossip",
                    "member {member} (API {}, gossip {}) is {} as member {id} sees it (a suggestion: the metadata \
                     group's leader commits down and up)",
                    info.id.api_addr,
                    info.id.gossip_addr,
                    info.state
                );
            }
        }
        seen = states(&now);
        if view.changed().await.is_err() {
            return;
        }
    }
}

/// How often [`print_member_changes`] looks at the applied member table.
const MEMBER_LOOK_EVERY: std::time::Duration = std::time::Duration::from_millis(20);

/// Logs each change of a member's state in the member table as member `id` has applied
/// it (what the metadata group committed, gossip's suggestions turned into decisions),
/// until the node stops: the operator's record of who the cluster counts as down.
async fn print_member_changes(id: u64, node: Arc<Node>) {
    let mut seen = BTreeMap::new();
    // The first table is the one the member starts with: only what is not up is news.
    let mut first = true;
    loop {
        let table = node.members();
        for (member, record) in table.iter() {
            if seen.get(&member) != Some(&record.state) {
                if !first || record.state != coterie_core::MemberState::Up {
                    let line = format!(
                        "member {member} ({}) is {} in the committed member table, as member {id} applied it",
                        record.address, record.state
                    );
                    if record.state == coterie_core::MemberState::Down {
                        tracing::warn!(target: "coterie::members", "{line}");
                    } else {
                        tracing::info!(target: "coterie::members", "{line}");
                    }
                }
                seen.insert(member, record.state);
            }
        }
        first = first && table.is_empty();
        if Arc::strong_count(&node) == 1 {
            return;
        }
        tokio::time::sleep(MEMBER_LOOK_EVERY).await;
    }
}

/// Arguments of `coterie dev`.
#[derive(Debug, Args)]
pub(crate) struct DevArgs {
    /// The first member's port; the others take the next two.
    #[arg(long, value_name = "PORT", default_value_t = 7101)]
    pub(crate) base_port: u16,
    /// Keep the data here (member-1, member-2, member-3), so it survives a restart. Default: a
    /// temporary directory, removed on exit.
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// How much the members log to stderr (as `serve --log-level`). RUST_LOG overrides it.
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = crate::logging::LogLevel::Warn)]
    pub(crate) log_level: crate::logging::LogLevel,
}

/// Runs `coterie dev`.
pub(crate) async fn dev(args: &DevArgs) -> anyhow::Result<Outcome> {
    crate::logging::init(args.log_level)?;
    let data = args.data_dir.clone().map_or(DataDir::Temporary, DataDir::At);
    let cluster = LocalCluster::start(Some(args.base_port), Some(data)).await?;
    let endpoints = cluster.endpoints().join(",");
    println!("local cluster of 3 members up: {endpoints}");
    if let Some(dir) = cluster.data_dir() {
        println!("data: {}", dir.display());
    }
    println!("try:  coterie --endpoints {endpoints} atomic-long seq increment");
    println!("      coterie --endpoints {endpoints} status");
    println!("Ctrl-C stops the cluster");
    let stopped = stop_signal().await;
    println!("stopping");
    cluster.shutdown().await;
    stopped?;
    Ok(Outcome::Done)
}
