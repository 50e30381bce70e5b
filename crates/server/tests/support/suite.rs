//! Cluster scenarios written once: the [`TestCluster`] trait a backend implements, the
//! capability traits for what only some backends can do, and the [`scenarios!`] macro that
//! turns each scenario into one test per backend (after chitchat's `test_transport_suite`
//! and ripgrep's `rgtest!`).
//!
//! A scenario is `async fn name<C: TestCluster>()` (with `+ Restart`, `+ Partition` or
//! `+ NamedGroups` if it needs them). `scenarios! { name: [grpc, embedded], … }` makes
//! `name::grpc` and `name::embedded`; a backend that lacks a capability the scenario asks
//! for does not compile in its list, so a skip is always written down next to the list.
//!
//! Backends: [`GrpcCluster`] (real `Node`s over gRPC on loopback) and [`EmbeddedCluster`]
//! (in-process `CpNode`s behind `EmbeddedTransport`). The sharded engine becomes a third by
//! implementing [`TestCluster`] and adding an alias to [`backend`].

use std::sync::Arc;

use coterie_client::{Client, ClientConfig, GrpcTransport, Transport};
use coterie_core::Structure;
use coterie_embedded::{EmbeddedCluster, EmbeddedStorage, EmbeddedTransport};
use coterie_server::cp::{CpConfig, CpNode};

use super::{BOUND, Cluster, POLL, client_config, cp_config};

/// The group every backend serves.
pub const DEFAULT_GROUP: &str = "default";

/// The gRPC backend is the harness of `support/mod.rs`.
pub type GrpcCluster = Cluster;

/// A cluster a scenario can run on. Inspection (`leader_seen_by`, `structure`,
/// `applied_index`) reads a member's own view without waiting and without starting
/// anything, so scenarios poll it with a bound.
pub trait TestCluster: Sized {
    /// How this backend's clients reach it.
    type Transport: Transport + Clone;

    /// `size` members with the test Raft timings ([`cp_config`]).
    async fn start(size: u64) -> Self {
        Self::start_with(size, cp_config()).await
    }

    /// `size` members with `cp` as their Raft timings.
    async fn start_with(size: u64, cp: CpConfig) -> Self;

    /// A client of every member with `config`.
    async fn client_with(&self, config: ClientConfig) -> Client<Self::Transport>;

    /// A client of every member with `config` taken as it is, unvalidated (`Client::new`):
    /// for tests that play a misbehaving client, such as one that never heartbeats in time.
    async fn client_unchecked(&self, config: ClientConfig) -> Client<Self::Transport>;

    /// A client of every member with [`client_config`].
    async fn client(&self) -> Client<Self::Transport> {
        self.client_with(client_config()).await
    }

    /// The members that run now (not stopped), in id order.
    fn running(&self) -> Vec<u64>;

    /// Who member `id` believes leads `group` right now (`None` if it knows no leader or
    /// does not run the group yet).
    async fn leader_seen_by(&self, id: u64, group: &str) -> Option<u64>;

    /// Member `id`'s applied copy of structure `name` in `group`.
    async fn structure(&self, id: u64, group: &str, name: &str) -> Option<Structure>;

    /// The last index member `id` applied in `group`.
    async fn applied_index(&self, id: u64, group: &str) -> Option<u64>;

    /// Stops member `id` for good or, with [`Restart`], until [`Restart::restart`].
    async fn stop(&mut self, id: u64);

    /// Stops every running member.
    async fn shutdown(&mut self);

    /// Waits until every running member agrees on a running leader of `group`.
    async fn leader_of(&self, group: &str) -> u64 {
        tokio::time::timeout(BOUND, async {
            loop {
                let running = self.running();
                let mut seen = Vec::new();
                for id in &running {
                    seen.push(self.leader_seen_by(*id, group).await);
                }
                if let Some(Some(leader)) = seen.first().copied()
                    && seen.iter().all(|l| *l == Some(leader))
                    && running.contains(&leader)
                {
                    return leader;
                }
                tokio::time::sleep(POLL).await;
            }
        })
        .await
        .expect("the running members agree on a leader")
    }

    /// [`TestCluster::leader_of`] the default group.
    async fn leader(&self) -> u64 {
        self.leader_of(DEFAULT_GROUP).await
    }
}

/// A backend whose members keep their state on disk and can be started again.
pub trait Restart: TestCluster {
    /// Like [`TestCluster::start`], on storage that survives [`Restart::restart`].
    async fn start_durable(size: u64) -> Self;

    /// Starts stopped member `id` again on its storage.
    async fn restart(&mut self, id: u64);
}

/// A backend that can cut a member off from the others while clients still reach it.
pub trait Partition: TestCluster {
    /// Cuts member `id` off from the other members.
    fn partition(&self, id: u64);

    /// Connects member `id` to the others again.
    fn heal(&self, id: u64);
}

/// A backend that serves named groups (`name@group`) besides the default one.
pub trait NamedGroups: TestCluster {}

impl GrpcCluster {
    /// Member `id`'s replica of `group` if it runs it (never starts it).
    fn running_replica(&self, id: u64, group: &str) -> Option<Arc<CpNode>> {
        let node = self.nodes.get(&id)?;
        node.groups().into_iter().find(|(name, _)| name == group).map(|(_, replica)| replica)
    }
}

impl TestCluster for GrpcCluster {
    type Transport = GrpcTransport;

    async fn start_with(size: u64, cp: CpConfig) -> Self {
        Cluster::start_with(size, false, cp).await
    }

    async fn client_with(&self, config: ClientConfig) -> Client<GrpcTransport> {
        Cluster::client_with(self, config).await
    }

    async fn client_unchecked(&self, config: ClientConfig) -> Client<GrpcTransport> {
        let transport = GrpcTransport::connect(&self.endpoints(), config.attempt_timeout).await.unwrap();
        Client::new(transport, config)
    }

    fn running(&self) -> Vec<u64> {
        self.nodes.keys().copied().collect()
    }

    async fn leader_seen_by(&self, id: u64, group: &str) -> Option<u64> {
        self.running_replica(id, group)?.leader().map(|(leader, _)| leader)
    }

    async fn structure(&self, id: u64, group: &str, name: &str) -> Option<Structure> {
        self.running_replica(id, group)?.group().structure(name).cloned()
    }

    async fn applied_index(&self, id: u64, group: &str) -> Option<u64> {
        self.running_replica(id, group)?.applied_index()
    }

    async fn stop(&mut self, id: u64) {
        Cluster::stop(self, id).await;
    }

    async fn shutdown(&mut self) {
        Cluster::shutdown(self).await;
    }
}

impl Restart for GrpcCluster {
    async fn start_durable(size: u64) -> Self {
        Cluster::start_with(size, true, cp_config()).await
    }

    async fn restart(&mut self, id: u64) {
        Cluster::restart(self, id).await;
    }
}

impl NamedGroups for GrpcCluster {}

/// Member `id` of an embedded cluster, and only in the default group, which is all it runs.
fn member<'a>(cluster: &'a EmbeddedCluster, id: u64, group: &str) -> Option<&'a Arc<CpNode>> {
    assert_eq!(group, DEFAULT_GROUP, "an embedded cluster runs only the default group");
    cluster.nodes().iter().find(|node| node.id() == id && !cluster.is_stopped(id))
}

/// On memory storage: a stopped member's log is gone, so there is no [`Restart`]. Its
/// Router partitions a member, so there is [`Partition`].
impl TestCluster for EmbeddedCluster {
    type Transport = EmbeddedTransport;

    async fn start_with(size: u64, cp: CpConfig) -> Self {
        EmbeddedCluster::start(size, EmbeddedStorage::Memory, cp).await.unwrap()
    }

    async fn client_with(&self, config: ClientConfig) -> Client<EmbeddedTransport> {
        self.client(config)
    }

    async fn client_unchecked(&self, config: ClientConfig) -> Client<EmbeddedTransport> {
        self.client(config)
    }

    fn running(&self) -> Vec<u64> {
        self.nodes().iter().map(|node| node.id()).filter(|id| !self.is_stopped(*id)).collect()
    }

    async fn leader_seen_by(&self, id: u64, group: &str) -> Option<u64> {
        member(self, id, group)?.leader().map(|(leader, _)| leader)
    }

    async fn structure(&self, id: u64, group: &str, name: &str) -> Option<Structure> {
        member(self, id, group)?.group().structure(name).cloned()
    }

    async fn applied_index(&self, id: u64, group: &str) -> Option<u64> {
        member(self, id, group)?.applied_index()
    }

    async fn stop(&mut self, id: u64) {
        tokio::time::timeout(BOUND, EmbeddedCluster::stop(self, id)).await.unwrap().unwrap();
    }

    async fn shutdown(&mut self) {
        tokio::time::timeout(BOUND, EmbeddedCluster::shutdown(self)).await.unwrap().unwrap();
    }
}

impl Partition for EmbeddedCluster {
    fn partition(&self, id: u64) {
        self.disconnect(id);
    }

    fn heal(&self, id: u64) {
        self.reconnect(id);
    }
}

/// The backends by the names the tests carry: `scenarios!` finds `backend::grpc` for `grpc`.
#[allow(non_camel_case_types, reason = "the test names: <scenario>::grpc, <scenario>::embedded")]
pub mod backend {
    /// Real nodes over gRPC on loopback.
    pub type grpc = super::GrpcCluster;
    /// In-process nodes behind the embedded transport.
    pub type embedded = super::EmbeddedCluster;
}

/// `scenarios! { scenario: [grpc, embedded], … }`: for each scenario (an
/// `async fn scenario<C: TestCluster>()` in scope) a module `scenario` with one
/// `#[tokio::test]` per listed backend, named after it, so `scenario::grpc`.
#[allow(unused_macros, reason = "only scenarios/ runs scenarios; every test binary builds the harness")]
macro_rules! scenarios {
    ($($scenario:ident: [$($backend:ident),+ $(,)?]),* $(,)?) => {
        $(
            mod $scenario {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $backend() {
                        super::$scenario::<crate::support::suite::backend::$backend>().await;
                    }
                )+
            }
        )*
    };
}
#[allow(unused_imports, reason = "only scenarios/ runs scenarios; every test binary builds the harness")]
pub(crate) use scenarios;
