//! Membership changes during the safety phase, in seeds that ask for them
//! ([`SimParams::membership`]).
//!
//! The group starts with members `1..=nodes`; member `nodes + 1` is started waiting to join
//! (`CpNode::start_joining`). Every 0.4 to 1.5 s of virtual time, while the faults go on, the
//! driver picks a new voter set one member away from the current one — with `nodes` voters it
//! adds the member that is out, with `nodes + 1` it removes a random voter (the leader
//! included) — and drives the group toward it through the node's admin path: the engine's own
//! [`next_step`] (a learner first, brought up to date, then a joint change of voters, then the
//! leftover learners dropped) and [`CpNode::change_membership`] on whichever member leads, one
//! step at a time, as the server's member driver does. A step that fails (no leader, a
//! timeout, a leader change) is left where it stopped; the next round finds the next step
//! from whatever state the group is in, as a new leader would.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use coterie_server::cp::CpNode;
use coterie_server::cp::membership::next_step;
use openraft::ServerState;
use tokio::time::Instant;

use crate::cluster::Cluster;
use crate::net::Net;
use crate::params::SimParams;
use crate::rng::SimRng;

/// How long one step may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(2);

/// The member that leads, as far as any running member knows.
fn leader(cluster: &Cluster) -> Option<Arc<CpNode>> {
    let nodes: Vec<_> = cluster.ids().into_iter().filter_map(|id| cluster.node(id)).collect();
    nodes.into_iter().find(|node| node.metrics().state == ServerState::Leader)
}

/// Runs membership changes until `until` (nothing unless the seed asks for them); answers
/// how many steps succeeded.
pub async fn run(cluster: Arc<Cluster>, net: Arc<Net>, params: SimParams, mut rng: SimRng, until: Instant) -> u64 {
    let mut done = 0;
    if !params.membership {
        return done;
    }
    let mut desired: Option<BTreeSet<u64>> = None;
    loop {
        let wake = Instant::now() + Duration::from_millis(rng.range(400, 1_500));
        if wake >= until {
            return done;
        }
        tokio::time::sleep_until(wake).await;
        let Some(node) = leader(&cluster) else { continue };
        let (configs, _) = node.membership();
        let voters: BTreeSet<u64> = configs.last().cloned().unwrap_or_default();
        // A new target once the last one is reached (or there was none yet).
        if desired.as_ref().is_none_or(|d| configs.len() == 1 && *d == voters) {
            let mut next = voters.clone();
            if u64::try_from(voters.len()).unwrap_or(u64::MAX) > params.nodes {
                let out: Vec<u64> = voters.iter().copied().collect();
                if let Some(id) = rng.pick(&out) {
                    next.remove(id);
                }
            } else if let Some(id) = cluster.ids().into_iter().find(|id| !voters.contains(id)) {
                next.insert(id);
            }
            net.record(&format!("membership: voters {voters:?} → {next:?}"));
            desired = Some(next);
        }
        let Some(target) = desired.clone() else { continue };
        let wanted: BTreeMap<u64, String> = target.iter().map(|id| (*id, format!("sim:{id}"))).collect();
        // Up to three steps in a row while they succeed: a whole change, usually.
        for _ in 0..3 {
            let (configs, nodes) = node.membership();
            let ready = node.caught_up_members(8);
            let Some(step) = next_step(&wanted, &configs, &nodes, &ready) else { break };
            let result = node.change_membership(&step, STEP_TIMEOUT).await;
            let failed = result.is_err();
            done += u64::from(!failed);
            net.record(&format!("membership: node {} {step:?} → {:?}", node.id(), result.map_err(|e| e.to_string())));
            if failed || Instant::now() >= until {
                break;
            }
        }
    }
}
