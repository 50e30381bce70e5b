//! A stopped node releases its data file before `Node::shutdown` returns, so the same process
//! can start it again at once on the same directory (issue 11: redb refused the reopen with
//! "Database already open" while a background task of the stopped node still held the
//! file). Shut down here while the node is busiest: partitions with parked callers, tickers
//! counting down the parked calls' timeouts, and writes being journaled; then started again
//! at once, without retrying, several times over; every call made meanwhile ends at once,
//! answered or refused, not at its timeout. No sleep synchronizes.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use coterie_core::kinds::counter::CounterCommand;
use coterie_core::kinds::queue::QueueCommand;
use coterie_core::{ClientId, GroupCommand, InvocationId, StructureCommand, Target};
use coterie_server::{CallOptions, Node, Request};
use support::{Cluster, cp_config, eventually};

/// Rounds of shutdown and immediate restart.
const ROUNDS: u64 = 5;

/// Each call's timeout (the parked takes' own timeouts are longer still).
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

fn target() -> Target {
    Target::Sharded { shards: 16 }
}

fn call(name: &str, command: StructureCommand, client: u128, seq: u64) -> Request {
    let invocation = InvocationId { client: ClientId::new(client).unwrap(), seq };
    Request {
        command: GroupCommand::Invoke { name: name.to_owned(), command },
        session: None,
        invocation: Some(invocation),
    }
}

/// Parks takes on several queues (some with timeouts, so their partitions' tickers run) and
/// keeps writing to several counters, counting the writes in `written`, until the node
/// stops answering.
async fn keep_busy(node: &Node, round: u64, written: &AtomicU64) {
    let client = 1000 + u128::from(round);
    let options = CallOptions::new(CALL_TIMEOUT);
    let sharded = &target();
    let parked = (0..8u64).map(move |i| {
        let timeout = (i % 2 == 0).then(|| Duration::from_secs(60 + i));
        let take = StructureCommand::Queue(QueueCommand::Take { timeout });
        node.call(sharded, call(&format!("waiting-{i}"), take, client, i + 1), options)
    });
    let writers = (0..8u64).map(|i| async move {
        let name = format!("busy-{i}");
        for seq in 0.. {
            let increment = StructureCommand::Counter(CounterCommand::Increment(1));
            let seq = 1000 * (i + 1) + seq;
            if node.call(&target(), call(&name, increment, client, seq), options).await.is_err() {
                return;
            }
            written.fetch_add(1, Ordering::SeqCst);
        }
    });
    let (_, _) = tokio::join!(futures_util::future::join_all(parked), futures_util::future::join_all(writers));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_shut_down_while_busy_releases_its_data_file_and_starts_again_at_once() {
    let mut cluster = Cluster::start_with(1, true, cp_config()).await;
    for round in 0..ROUNDS {
        eventually("the member serves its partitions", async || {
            let node = &cluster.nodes[&1];
            node.partition_table().is_some() && node.open_partitions().len() > 8
        })
        .await;
        let node = cluster.nodes.remove(&1).unwrap();
        let written = AtomicU64::new(0);
        let stop = async {
            eventually("callers are parked and writes are being journaled", async || {
                node.parked_sharded_callers() == 8 && written.load(Ordering::SeqCst) >= 40
            })
            .await;
            tokio::time::timeout(support::BOUND, node.shutdown()).await.unwrap();
        };
        // Every call ends well within its own timeout ([`CALL_TIMEOUT`]): the parked ones and
        // those in flight are answered `Stopped` by the shutdown, and a call made after it is
        // refused at once (it waited out its timeout for the stopped groups' table before).
        let busy = async { tokio::join!(keep_busy(&node, round, &written), stop) };
        tokio::time::timeout(CALL_TIMEOUT / 2, busy).await.unwrap_or_else(|_| {
            panic!("round {round}: the calls did not end within {:?} of starting", CALL_TIMEOUT / 2)
        });
        drop(node);
        // At once, no retry: the file must be free now.
        cluster.restart(1).await;
    }
    cluster.shutdown().await;
}
