//! A real cluster member inside the application's process, serving the application's own
//! entity types (seed 002's clustered guide).
//!
//! [`Member`] starts a full `coterie_server::Node` on 127.0.0.1: its gRPC listener (so
//! other members, in this process or others, reach it), the metadata group that commits the
//! member table and the partition table, and the sharded engine whose partitions hold the
//! entities. The first member forms a cluster alone; the next ones join it through
//! [`MemberConfig::seeds`]. An [`EntityRef`] sends a command to one entity from any member:
//! the call goes through the node's router like every sharded call (served where the
//! entity's partition is owned, else forwarded one hop), and is retried with the same
//! identity and sequence until it is answered, so a `tell` is applied exactly once.
//!
//! The entity types are given at start ([`MemberConfig::register`]) rather than later:
//! a member replays its partitions' journals as soon as it owns them, and the replay needs
//! every type a journal used.

use std::marker::PhantomData;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use coterie_core::entity::{self, EntityCall, RegistryError};
use coterie_core::{
    ClientId, CoreError, EngineError, Entity, EntityRegistry, GroupCommand, GroupOutput, InvocationId, MemberState,
    Target, codec,
};
use coterie_server::cp::CpConfig;
use coterie_server::{CallOptions, HostError, Node, NodeConfig, Request};
use thiserror::Error;
use tokio::net::TcpListener;

/// Between two looks of a wait, and between two attempts of a call that found the cluster
/// not ready (no partition table yet, an owner being restarted).
const RETRY_EVERY: Duration = Duration::from_millis(25);

/// What went wrong in the embedded member API.
#[derive(Debug, Error)]
pub enum EmbeddedError {
    /// The member could not bind its listener on 127.0.0.1.
    #[error("could not listen on 127.0.0.1 for member {id}: {source}; check that the loopback interface is up")]
    Listen {
        /// The member.
        id: u64,
        /// The socket error.
        source: std::io::Error,
    },
    /// The node did not start (or could not join through the seeds).
    #[error("member {id} did not start: {source}")]
    Start {
        /// The member.
        id: u64,
        /// Why.
        source: Box<HostError>,
    },
    /// An entity type could not be registered.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A command or reply could not be encoded or decoded.
    #[error("entity {entity_type:?}/{id:?}: {source}")]
    Codec {
        /// The entity type.
        entity_type: String,
        /// The entity id.
        id: String,
        /// The codec's complaint.
        source: Box<CoreError>,
    },
    /// The cluster answered the call with an error (an unknown type, a refused command, a
    /// lost partition), or it was not answered within the member's call timeout.
    #[error("entity {entity_type:?}/{id:?}: {source}")]
    Call {
        /// The entity type.
        entity_type: String,
        /// The entity id.
        id: String,
        /// The engine's answer.
        source: Box<EngineError>,
    },
    /// The answer was not of the shape the call expects: a bug.
    #[error("entity {entity_type:?}/{id:?}: unexpected answer {answer}")]
    Unexpected {
        /// The entity type.
        entity_type: String,
        /// The entity id.
        id: String,
        /// What came back.
        answer: String,
    },
    /// Fewer members than waited for were up before the timeout.
    #[error(
        "only {up} of the {wanted} members awaited were up after {waited:?} (member {id}'s view); check that the \
         others were started with this member or one of its peers as a seed"
    )]
    WaitTimeout {
        /// The member waiting.
        id: u64,
        /// How many were awaited.
        wanted: usize,
        /// How many were up.
        up: usize,
        /// How long it waited.
        waited: Duration,
    },
}

/// How a [`Member`] starts.
#[derive(Clone, Debug)]
pub struct MemberConfig {
    /// The member's id, unique in the cluster (the first member is usually 1).
    pub id: u64,
    /// `host:port`s of running members to join through; empty: form a new cluster alone.
    pub seeds: Vec<String>,
    /// Where the member keeps its journals; `None` keeps them in memory.
    pub data_dir: Option<PathBuf>,
    /// The entity types it serves: the same on every member.
    pub entities: EntityRegistry,
    /// Raft timings of the metadata and CP groups.
    pub cp: CpConfig,
    /// How long an entity call may take, its retries included. At most a minute: a retry
    /// later than that could no longer be told from a new call (see `coterie_core::dedup`).
    pub call_timeout: Duration,
}

impl MemberConfig {
    /// Member `id`, forming a cluster alone, in memory, serving no entity types yet.
    pub fn new(id: u64) -> Self {
        MemberConfig {
            id,
            seeds: Vec::new(),
            data_dir: None,
            entities: EntityRegistry::new(),
            cp: CpConfig::default(),
            call_timeout: Duration::from_secs(30),
        }
    }

    /// This configuration, joining the cluster through the members at `seeds`.
    pub fn seeds(self, seeds: impl IntoIterator<Item = impl Into<String>>) -> Self {
        MemberConfig { seeds: seeds.into_iter().map(Into::into).collect(), ..self }
    }

    /// This configuration, keeping the journals in `dir`.
    pub fn data_dir(self, dir: impl Into<PathBuf>) -> Self {
        MemberConfig { data_dir: Some(dir.into()), ..self }
    }

    /// This configuration, serving entity type `E` as `name`; `factory` makes an entity's
    /// initial state from its id, on the first command for it.
    pub fn register<E, F>(mut self, name: impl Into<String>, factory: F) -> Result<Self, EmbeddedError>
    where
        E: Entity,
        F: Fn(&str) -> E + Send + Sync + 'static,
    {
        self.entities.register(name, factory)?;
        Ok(self)
    }
}

/// A running cluster member in this process.
pub struct Member {
    node: Node,
    /// The identity this member's entity calls are deduplicated by.
    client: ClientId,
    /// The sequence number of its last entity call.
    seq: AtomicU64,
    call_timeout: Duration,
}

impl Member {
    /// Starts the member on a free port of 127.0.0.1: forming a cluster alone without
    /// seeds, else joining through them (returning once it votes in the CP groups).
    pub async fn start(config: MemberConfig) -> Result<Member, EmbeddedError> {
        let id = config.id;
        let listen = SocketAddr::from(([127, 0, 0, 1], 0));
        let listener = TcpListener::bind(listen).await.map_err(|source| EmbeddedError::Listen { id, source })?;
        let address = listener.local_addr().map_err(|source| EmbeddedError::Listen { id, source })?;
        let mut node_config = NodeConfig::new(id, address, [(id, address.to_string())].into_iter().collect());
        node_config.join = config.seeds;
        node_config.data_dir = config.data_dir;
        node_config.entities = config.entities;
        node_config.cp = config.cp;
        let node = Node::start_with_listener(node_config, listener)
            .await
            .map_err(|source| EmbeddedError::Start { id, source: Box::new(source) })?;
        let call_timeout = config.call_timeout.min(coterie_core::dedup::RESEND_LIMIT);
        Ok(Member { node, client: crate::draw_client_id(), seq: AtomicU64::new(0), call_timeout })
    }

    /// This member's id.
    pub fn id(&self) -> u64 {
        self.node.id()
    }

    /// The `host:port` other members join through.
    pub fn address(&self) -> String {
        self.node.local_addr().to_string()
    }

    /// The node itself, for what this API does not cover.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// Waits until at least `n` members are Up in the committed member table, as this
    /// member has applied it, and this member has a partition table to place entities by.
    /// Answers the Up members' ids.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Result<Vec<u64>, EmbeddedError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let up: Vec<u64> = self
                .node
                .members()
                .iter()
                .filter(|(_, record)| record.state == MemberState::Up)
                .map(|(id, _)| id)
                .collect();
            if up.len() >= n && self.node.partition_table().is_some() {
                return Ok(up);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(EmbeddedError::WaitTimeout { id: self.id(), wanted: n, up: up.len(), waited: timeout });
            }
            tokio::time::sleep(RETRY_EVERY).await;
        }
    }

    /// The entity `id` of type `entity_type`, whose type is `E`.
    pub fn entity<E: Entity>(&self, entity_type: &str, id: &str) -> EntityRef<'_, E> {
        EntityRef { member: self, entity_type: entity_type.to_owned(), id: id.to_owned(), entity: PhantomData }
    }

    /// The member that serves entity `id` of type `entity_type` in the partition table this
    /// member has applied (`None` before it has one, or while the partition has no owner).
    pub fn owner_of(&self, entity_type: &str, id: &str) -> Option<u64> {
        let table = self.node.partition_table()?;
        table.owner(entity::partition_of(entity_type, id, table.partitions()).ok()?).ok()
    }

    /// Stops the member (its data directory, if any, stays).
    pub async fn shutdown(&self) {
        self.node.shutdown().await;
    }

    /// Sends `call` until it is answered, with one invocation id for every attempt, within
    /// the call timeout.
    async fn send(&self, call: EntityCall) -> Result<GroupOutput, EmbeddedError> {
        let seq = self.seq.fetch_add(1, Ordering::SeqCst) + 1;
        let invocation = InvocationId { client: self.client, seq };
        let (entity_type, id) = (call.entity_type.clone(), call.id.clone());
        let request = Request { command: GroupCommand::Entity(call), session: None, invocation: Some(invocation) };
        // The shards of the target do not place entities (their type and id do).
        let target = Target::Sharded { shards: entity::ENTITY_SHARDS };
        let deadline = tokio::time::Instant::now() + self.call_timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let answer = self.node.call(&target, request.clone(), CallOptions::new(left)).await;
            match answer {
                Ok(output) => return Ok(output),
                Err(err) if retryable(&err) && tokio::time::Instant::now() + RETRY_EVERY < deadline => {
                    tokio::time::sleep(RETRY_EVERY).await;
                }
                Err(source) => return Err(EmbeddedError::Call { entity_type, id, source: Box::new(source) }),
            }
        }
    }
}

/// Whether a call answered `err` may be sent again (with the same invocation id): the
/// cluster was not ready, or the outcome is unknown. Errors of the call itself are final.
fn retryable(err: &EngineError) -> bool {
    matches!(
        err,
        EngineError::Redirect { .. }
            | EngineError::OutcomeUnknown { .. }
            | EngineError::Timeout { .. }
            | EngineError::Stopped { .. }
    )
}

/// One entity, addressed from one member: `tell` and `ask` it commands.
pub struct EntityRef<'a, E> {
    member: &'a Member,
    entity_type: String,
    id: String,
    entity: PhantomData<fn() -> E>,
}

impl<E: Entity> EntityRef<'_, E> {
    fn call(&self, command: &E::Command, ask: bool) -> Result<EntityCall, EmbeddedError> {
        EntityCall::new(self.entity_type.clone(), self.id.clone(), command, ask).map_err(|source| self.codec(source))
    }

    fn codec(&self, source: CoreError) -> EmbeddedError {
        EmbeddedError::Codec { entity_type: self.entity_type.clone(), id: self.id.clone(), source: Box::new(source) }
    }

    fn unexpected(&self, answer: &GroupOutput) -> EmbeddedError {
        EmbeddedError::Unexpected {
            entity_type: self.entity_type.clone(),
            id: self.id.clone(),
            answer: format!("{answer:?}"),
        }
    }

    /// Sends `command` and returns once it is applied (journaled on the entity's owner),
    /// without its reply. Applied exactly once, retries included.
    pub async fn tell(&self, command: E::Command) -> Result<(), EmbeddedError> {
        match self.member.send(self.call(&command, false)?).await? {
            GroupOutput::Unit => Ok(()),
            other => Err(self.unexpected(&other)),
        }
    }

    /// Sends `command` and answers the entity's reply. Applied exactly once, retries
    /// included.
    pub async fn ask(&self, command: E::Command) -> Result<E::Reply, EmbeddedError> {
        match self.member.send(self.call(&command, true)?).await? {
            GroupOutput::Entity(reply) => codec::decode(&reply, "entity reply").map_err(|source| self.codec(source)),
            other => Err(self.unexpected(&other)),
        }
    }
}
