//! The fault schedule of the safety phase, drawn from the seed as the run goes.
//!
//! At random intervals the nemesis applies one fault of the run's [`FaultMix`]: a partition
//! (a random split into two sides, one node isolated, or a random set of one-way cuts), a
//! crash (restarted from its disk after a random downtime), a pause (resumed after a random
//! time), a new loss rate and delay range, or a heal of every cut. Any shape is allowed,
//! including a majority down: safety must hold regardless, and only the liveness phase asks
//! the cluster to make progress. Undoing is scheduled, not immediate, so faults overlap.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::SimError;
use crate::cluster::Cluster;
use crate::net::Net;
use crate::params::SimParams;
use crate::rng::SimRng;

/// A scheduled undo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Undo {
    Restart(u64),
    Resume(u64),
}

/// The kinds of fault a step can inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Split,
    Isolate,
    OneWay,
    Heal,
    Crash,
    Pause,
    Loss,
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs the fault schedule until `until`; what is still broken then is left for the
/// liveness phase to heal.
pub async fn run(
    cluster: &Arc<Cluster>,
    net: &Arc<Net>,
    params: &SimParams,
    mut rng: SimRng,
    until: Instant,
) -> Result<(), SimError> {
    let mut kinds = Vec::new();
    if params.faults.partitions {
        kinds.extend([Kind::Split, Kind::Isolate, Kind::OneWay, Kind::Heal]);
    }
    if params.faults.crashes {
        kinds.extend([Kind::Crash, Kind::Crash]);
    }
    if params.faults.pauses {
        kinds.push(Kind::Pause);
    }
    if params.faults.loss {
        kinds.extend([Kind::Loss, Kind::Loss]);
    }
    let ids = cluster.ids();
    let mut pending: Vec<(Instant, Undo)> = Vec::new();
    let mut next_fault = Instant::now() + ms(rng.range(100, 800));
    loop {
        let now = Instant::now();
        if now >= until {
            return Ok(());
        }
        let next_undo = pending.iter().map(|(at, _)| *at).min();
        let wake = next_undo.map_or(next_fault, |u| u.min(next_fault)).min(until);
        tokio::time::sleep_until(wake).await;
        let now = Instant::now();
        // Due undos, in the order they were scheduled.
        let (due, rest): (Vec<_>, Vec<_>) = pending.into_iter().partition(|(at, _)| *at <= now);
        pending = rest;
        for (_, undo) in due {
            match undo {
                Undo::Restart(id) => cluster.restart(id).await?,
                Undo::Resume(id) => net.resume(id),
            }
        }
        if Instant::now() < next_fault || Instant::now() >= until {
            continue;
        }
        next_fault = Instant::now() + ms(rng.range(100, 1_200));
        let Some(kind) = rng.pick(&kinds).copied() else { continue };
        match kind {
            Kind::Split => {
                let side: BTreeSet<u64> = ids.iter().copied().filter(|_| rng.chance(500_000)).collect();
                let cut = ids
                    .iter()
                    .flat_map(|a| ids.iter().map(move |b| (*a, *b)))
                    .filter(|(a, b)| side.contains(a) != side.contains(b))
                    .collect();
                net.cut(cut);
            }
            Kind::Isolate => {
                let Some(lone) = rng.pick(&ids).copied() else { continue };
                let cut = ids.iter().filter(|id| **id != lone).flat_map(|id| [(lone, *id), (*id, lone)]).collect();
                net.cut(cut);
            }
            Kind::OneWay => {
                let pairs: Vec<(u64, u64)> =
                    ids.iter().flat_map(|a| ids.iter().map(move |b| (*a, *b))).filter(|(a, b)| a != b).collect();
                let cut = pairs.into_iter().filter(|_| rng.chance(300_000)).collect();
                net.cut(cut);
            }
            Kind::Heal => net.cut(BTreeSet::new()),
            Kind::Crash => {
                let Some(id) = rng.pick(&ids).copied() else { continue };
                if cluster.node(id).is_some() {
                    cluster.crash(id);
                    pending.push((Instant::now() + ms(rng.range(50, 3_000)), Undo::Restart(id)));
                }
            }
            Kind::Pause => {
                let Some(id) = rng.pick(&ids).copied() else { continue };
                if !net.paused().contains(&id) {
                    net.pause(id);
                    pending.push((Instant::now() + ms(rng.range(50, 2_000)), Undo::Resume(id)));
                }
            }
            Kind::Loss => {
                let loss = rng.range(0, params.max_loss_ppm);
                let max_delay = u64::try_from(params.max_delay.as_millis()).unwrap_or(1);
                net.set_loss(loss, (1, rng.range(2, max_delay + 2)));
            }
        }
    }
}

/// Heals everything: no cut, no loss, small delays, every node resumed and restarted.
pub async fn heal(cluster: &Arc<Cluster>, net: &Arc<Net>) -> Result<(), SimError> {
    net.cut(BTreeSet::new());
    net.set_loss(0, (1, 3));
    for id in net.paused() {
        net.resume(id);
    }
    for id in cluster.down() {
        cluster.restart(id).await?;
    }
    Ok(())
}
