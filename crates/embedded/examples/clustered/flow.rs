//! Seed 002's clustered guide, in Coterie: a two-node cluster formed through a seed, a
//! counter entity registered on both nodes, increments sent through node 1, balances
//! queried through node 1, and where each entity lives. Shared by the example
//! (`cargo run -p coterie-embedded --example clustered`) and its test
//! (`tests/clustered.rs`), so the test runs exactly what the example prints.

use std::time::Duration;

use coterie_core::{Entity, EntityCtx};
use coterie_embedded::{EmbeddedError, Member, MemberConfig};
use serde::{Deserialize, Serialize};

/// How long forming the cluster may take.
const FORMING: Duration = Duration::from_secs(60);

/// A counter: one balance per entity id.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Counter {
    balance: i64,
}

/// What a counter accepts.
#[derive(Debug, Serialize, Deserialize)]
pub enum CounterCommand {
    /// Adds the amount to the balance.
    Increment(i64),
    /// Reads the balance.
    GetBalance,
}

/// What a counter answers.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CounterReply {
    /// The balance before and after an increment.
    Incremented {
        /// Before.
        before: i64,
        /// After.
        after: i64,
    },
    /// The balance.
    Balance(i64),
}

impl Entity for Counter {
    type Command = CounterCommand;
    type Reply = CounterReply;

    fn handle(&mut self, command: CounterCommand, _ctx: &EntityCtx<'_>) -> CounterReply {
        match command {
            CounterCommand::Increment(amount) => {
                let before = self.balance;
                self.balance += amount;
                CounterReply::Incremented { before, after: self.balance }
            }
            CounterCommand::GetBalance => CounterReply::Balance(self.balance),
        }
    }
}

/// Member `id`'s configuration, serving the counter entity (the same type on both nodes).
fn config(id: u64) -> Result<MemberConfig, EmbeddedError> {
    MemberConfig::new(id).register("counter", |_id: &str| Counter::default())
}

/// Runs the guide, handing every line of output to `emit` as it happens.
pub async fn run(emit: &mut dyn FnMut(String)) -> Result<(), EmbeddedError> {
    // Node 1 starts alone; node 2 joins it through node 1's address, its seed.
    let node1 = Member::start(config(1)?).await?;
    let node2 = Member::start(config(2)?.seeds([node1.address()])).await?;
    let up = node1.wait_for(2, FORMING).await?;
    node2.wait_for(2, FORMING).await?;
    // Node 2 is handed its share of the partitions once it is up; wait for the moves.
    let settling = tokio::time::Instant::now() + FORMING;
    while !node1.node().partition_table().is_some_and(|table| table.is_settled() && table.owned_count(2) > 0)
        && tokio::time::Instant::now() < settling
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    emit(format!("── Cluster formed ({} nodes) ──", up.len()));

    emit(String::new());
    emit("── Sending increments ──".to_owned());
    for (id, amount) in [("alice", 10), ("alice", 5), ("bob", 100), ("carol", 42)] {
        // Every command goes through node 1, wherever the entity lives.
        match node1.entity::<Counter>("counter", id).ask(CounterCommand::Increment(amount)).await? {
            CounterReply::Incremented { before, after } => emit(format!("  [{id}] {before} + {amount} = {after}")),
            other => emit(format!("  [{id}] unexpected reply {other:?}")),
        }
    }

    emit(String::new());
    emit("── Querying balances ──".to_owned());
    for id in ["alice", "bob", "carol"] {
        match node1.entity::<Counter>("counter", id).ask(CounterCommand::GetBalance).await? {
            CounterReply::Balance(balance) => emit(format!("  {id}: {balance}")),
            other => emit(format!("  {id}: unexpected reply {other:?}")),
        }
    }

    emit(String::new());
    emit("── Where the entities live ──".to_owned());
    let mut owners = Vec::new();
    for id in ["alice", "bob", "carol"] {
        let owner = node1.owner_of("counter", id);
        owners.push(owner);
        let on = owner.map_or_else(|| "no node yet".to_owned(), |owner| format!("node {owner}"));
        emit(format!("  {id} lives on {on}"));
    }
    if let Some(table) = node1.node().partition_table() {
        let counts: Vec<String> =
            [1, 2].iter().map(|node| format!("node {node} owns {}", table.owned_count(*node))).collect();
        emit(format!("  ({} of {} partitions)", counts.join(", "), table.partitions()));
    }

    node2.shutdown().await;
    node1.shutdown().await;
    Ok(())
}
