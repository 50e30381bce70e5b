//! The simulated cluster: real [`CpNode`]s on simulated disks, clocks and network.
//!
//! Every member is started with the full member set, as in production, and forms the group
//! by itself. A crash is abrupt: the network forgets the node and drops what it had in
//! flight, its disk fences the old incarnation, and the node is shut down in the background
//! (its storage calls fail from then on, so nothing of the old incarnation survives but what
//! it had made durable). A restart starts a new `CpNode` on the same disk, with a fresh Raft
//! registry, exactly as a process restarting on its data directory.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use coterie_core::{GroupConfig, Timestamp};
use coterie_server::cp::{Clock, CpConfig, CpError, CpNode, RaftRegistry, RemoteTransport, Transport};
use openraft::BasicNode;
use tokio::time::Instant;

use crate::SimError;
use crate::net::{Net, SimWire};
use crate::params::{Bugs, SimParams};
use crate::store::Disk;

/// The wall-clock time virtual time 0 stands for (2020-09-13), so stamps look like real ones.
const EPOCH_MS: u64 = 1_600_000_000_000;

/// How long a member may take to start (virtual time) before the run reports it.
const START_LIMIT: Duration = Duration::from_secs(30);

/// A member's clock: virtual time plus this member's skew.
#[derive(Clone, Debug)]
pub struct SimClock {
    start: Instant,
    skew_ms: i64,
}

impl SimClock {
    /// A clock that reads `skew_ms` ahead of (or behind) virtual time since `start`.
    pub fn new(start: Instant, skew_ms: i64) -> Self {
        SimClock { start, skew_ms }
    }
}

impl Clock for SimClock {
    fn now(&self) -> Timestamp {
        let elapsed = u64::try_from(Instant::now().saturating_duration_since(self.start).as_millis()).unwrap_or(0);
        Timestamp((EPOCH_MS + elapsed).saturating_add_signed(self.skew_ms))
    }
}

struct Slot {
    node: Option<Arc<CpNode>>,
    disk: Disk,
    /// How many times the member was started.
    incarnation: u64,
}

/// The members of one simulated CP group.
pub struct Cluster {
    params: SimParams,
    bugs: Bugs,
    net: Arc<Net>,
    start: Instant,
    slots: Mutex<BTreeMap<u64, Slot>>,
}

impl Cluster {
    /// Starts every member (concurrently, as separate processes would) and answers once each
    /// has started; the group then forms by itself.
    pub async fn start(params: SimParams, bugs: Bugs, net: Arc<Net>, start: Instant) -> Result<Arc<Cluster>, SimError> {
        let all = params.nodes + u64::from(params.membership);
        let slots = (1..=all).map(|id| (id, Slot { node: None, disk: Disk::new(), incarnation: 0 })).collect();
        let cluster = Arc::new(Cluster { params, bugs, net, start, slots: Mutex::new(slots) });
        let boots: Vec<_> = cluster
            .ids()
            .into_iter()
            .map(|id| {
                let cluster = Arc::clone(&cluster);
                tokio::spawn(async move { cluster.restart(id).await })
            })
            .collect();
        for boot in boots {
            boot.await.map_err(|err| SimError::Task(err.to_string()))??;
        }
        Ok(cluster)
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<u64, Slot>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every member's id: the initial members, then the spare of a seed that changes the
    /// membership ([`SimParams::membership`]).
    pub fn ids(&self) -> Vec<u64> {
        (1..=self.size()).collect()
    }

    /// How many members there are ([`Cluster::ids`] runs from 1 to this).
    pub fn size(&self) -> u64 {
        self.params.nodes + u64::from(self.params.membership)
    }

    /// Whether `id` is one of the members the group was formed with (the others join it).
    pub fn is_initial(&self, id: u64) -> bool {
        id <= self.params.nodes
    }

    /// The running node `id`, if it is up.
    pub fn node(&self, id: u64) -> Option<Arc<CpNode>> {
        self.lock().get(&id).and_then(|slot| slot.node.clone())
    }

    /// Member `id`'s disk.
    pub fn disk(&self, id: u64) -> Option<Disk> {
        self.lock().get(&id).map(|slot| slot.disk.clone())
    }

    /// How many times member `id` was started (1 for its first run).
    pub fn incarnation(&self, id: u64) -> u64 {
        self.lock().get(&id).map_or(0, |slot| slot.incarnation)
    }

    /// The members that are down (crashed and not restarted).
    pub fn down(&self) -> Vec<u64> {
        self.lock().iter().filter(|(_, slot)| slot.node.is_none()).map(|(id, _)| *id).collect()
    }

    /// The configuration of member `id`: the run's timings, its own election timeout.
    fn config(&self, id: u64) -> CpConfig {
        let p = &self.params;
        let index = usize::try_from(id.saturating_sub(1)).unwrap_or(0);
        let election = p.election.get(index).copied().unwrap_or(p.heartbeat * 20);
        CpConfig {
            group: GroupConfig::default(),
            tick_interval: Duration::from_millis(100),
            heartbeat_interval: p.heartbeat,
            // A range one millisecond wide: openraft's random draw from it is always `election`.
            election_timeout: (election, election + Duration::from_millis(1)),
            snapshot_every: p.snapshot_every,
            keep_after_snapshot: p.keep_after_snapshot,
            cancel_timeout: Duration::from_millis(500),
            propose_timeout: p.propose_timeout,
            ..CpConfig::default()
        }
    }

    fn members(&self) -> BTreeMap<u64, BasicNode> {
        (1..=self.params.nodes).map(|id| (id, BasicNode::new(format!("sim:{id}")))).collect()
    }

    /// Crashes member `id` if it is up (see the module docs).
    pub fn crash(&self, id: u64) {
        let node = {
            let mut slots = self.lock();
            let Some(slot) = slots.get_mut(&id) else { return };
            slot.disk.fence();
            if self.bugs.lossy_disk {
                slot.disk.lose_tail(3);
            }
            slot.node.take()
        };
        self.net.crash(id);
        if let Some(node) = node {
            tokio::spawn(async move {
                let _ = node.shutdown().await;
            });
        }
    }

    /// Starts member `id` on its disk, if it is down.
    pub async fn restart(&self, id: u64) -> Result<(), SimError> {
        let (disk, up) = {
            let slots = self.lock();
            let Some(slot) = slots.get(&id) else { return Ok(()) };
            (slot.disk.clone(), slot.node.is_some())
        };
        if up {
            return Ok(());
        }
        let registry = RaftRegistry::default();
        let wire = Arc::new(SimWire::new(id, Arc::clone(&self.net)));
        let transport = Transport::Remote(RemoteTransport::new("default", registry.clone(), wire));
        self.net.up(id, registry);
        let skew = usize::try_from(id.saturating_sub(1)).ok().and_then(|i| self.params.skew_ms.get(i)).copied();
        let clock = Arc::new(SimClock::new(self.start, skew.unwrap_or(0)));
        // A member added at runtime never forms a group of its own, before or after a restart.
        let start = async {
            if self.is_initial(id) {
                CpNode::start(id, self.members(), disk.open(), transport, clock, self.config(id)).await
            } else {
                CpNode::start_joining(id, disk.open(), transport, clock, self.config(id)).await
            }
        };
        let started = tokio::time::timeout(START_LIMIT, start).await.map_err(|_| SimError::Start {
            id,
            reason: format!("it did not start within {START_LIMIT:?} of virtual time"),
        })?;
        let node = started.map_err(|err: CpError| SimError::Start { id, reason: err.to_string() })?;
        if let Some(slot) = self.lock().get_mut(&id) {
            slot.node = Some(Arc::new(node));
            slot.incarnation += 1;
        }
        Ok(())
    }
}
