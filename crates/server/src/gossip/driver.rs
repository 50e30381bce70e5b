//! The UDP driver: one tokio task that owns a [`GossipCore`] and its socket, and a
//! [`GossipHandle`] to watch the view, leave or stop.
//!
//! The task does nothing but gossip: it never waits on storage or on the engine (a slow
//! turn of this loop looks like a dead member to the others, pitfall P14), and everything
//! it hands out goes through a `watch` (the view) or a bounded broadcast channel
//! (suggestions; a lagging subscriber loses the oldest, the view stays exact). Datagrams
//! are read into a buffer one byte longer than the largest accepted, so a truncated
//! oversized datagram is recognized and dropped; a datagram the core refuses is dropped
//! and counted, never a panic. Timers live in one ordered map, bounded, and due timers are
//! fed in deadline order, after the datagrams already waiting in the socket (up to 64): when
//! this task was stalled, the acks that arrived meanwhile must count before the probe
//! timers that would suspect their senders (a partial local-pause guard, pitfall P14;
//! timers fed a probe period late are counted in [`DriverStats::late_timers`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::net::UdpSocket;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::GossipError;
use super::config::GossipConfig;
use super::core::{Effect, GossipCore, GossipTimer, GossipView, Input, Outcome, Suggestion};
use super::identity::GossipId;

/// The most timers a driver holds (foca keeps a handful per member it probes).
const MAX_TIMERS: usize = 4096;
/// How many datagrams waiting in the socket are read before due timers are fed.
const DRAIN_BEFORE_TIMERS: usize = 64;
/// How many suggestions a subscriber may fall behind before it loses the oldest.
const SUGGESTION_BUFFER: usize = 256;

/// How to start a gossip driver.
#[derive(Clone, Debug)]
pub struct GossipDriver {
    /// The Coterie member id.
    pub member: u64,
    /// The UDP address to bind (`127.0.0.1:0` picks a free port).
    pub bind: SocketAddr,
    /// The address the others reach the gossip socket at; the bound address when `None`.
    pub advertise: Option<SocketAddr>,
    /// The `host:port` of this member's API, carried in its identity.
    pub api_addr: String,
    /// The seeds to join through; none founds a cluster.
    pub seeds: Vec<SocketAddr>,
    /// The timers.
    pub config: GossipConfig,
    /// The generation of this life; the wall-clock milliseconds at start when `None`.
    pub generation: Option<u64>,
    /// The seed of foca's RNG; derived from the member id and generation when `None`.
    pub rng_seed: Option<u64>,
    /// The cluster secret: when set, every datagram is authenticated with it (see
    /// [`GossipCore::with_cluster_secret`]).
    pub cluster_secret: Option<String>,
}

/// What a driver dropped or failed to do, counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DriverStats {
    /// Datagrams received.
    pub received: u64,
    /// Datagrams dropped as malformed by the core.
    pub malformed: u64,
    /// Datagrams dropped as larger than `max_packet_size`.
    pub oversized: u64,
    /// Other protocol errors the core reported.
    pub protocol_errors: u64,
    /// Datagrams dropped by the core for a wrong or missing authentication tag.
    pub unauthenticated: u64,
    /// Datagrams the socket refused to send.
    pub send_errors: u64,
    /// Errors reading the socket.
    pub recv_errors: u64,
    /// Timers dropped because [`MAX_TIMERS`] were pending.
    pub timers_dropped: u64,
    /// Timers fed more than a probe period after they were due: this process stalled (or
    /// its machine is overloaded), and its verdicts about others are less trustworthy.
    pub late_timers: u64,
}

enum Command {
    Leave(oneshot::Sender<()>),
    Stop,
}

/// A running driver.
pub struct GossipHandle {
    local_addr: SocketAddr,
    identity: GossipId,
    view: watch::Receiver<GossipView>,
    suggestions: broadcast::Sender<Suggestion>,
    commands: mpsc::Sender<Command>,
    stats: Arc<Mutex<DriverStats>>,
    task: JoinHandle<()>,
}

impl GossipDriver {
    /// Member `member`, binding `bind`, whose API is at `api_addr`; no seeds, LAN timers.
    pub fn new(member: u64, bind: SocketAddr, api_addr: impl Into<String>) -> Self {
        GossipDriver {
            member,
            bind,
            advertise: None,
            api_addr: api_addr.into(),
            seeds: Vec::new(),
            config: GossipConfig::lan(),
            generation: None,
            rng_seed: None,
            cluster_secret: None,
        }
    }

    /// The same, joining through `seeds`.
    pub fn with_seeds(mut self, seeds: impl IntoIterator<Item = SocketAddr>) -> Self {
        self.seeds = seeds.into_iter().collect();
        self
    }

    /// Binds the socket, starts the task and joins through the seeds. Must be called
    /// within a tokio runtime.
    pub async fn start(self) -> Result<GossipHandle, GossipError> {
        let socket =
            UdpSocket::bind(self.bind).await.map_err(|source| GossipError::Socket { addr: self.bind, source })?;
        self.run(socket)
    }

    /// The same, on a socket bound already (`bind` is then only used in errors): members
    /// whose addresses must be known before any of them starts, as in tests.
    pub fn start_with_socket(self, socket: std::net::UdpSocket) -> Result<GossipHandle, GossipError> {
        let socket = socket
            .set_nonblocking(true)
            .and_then(|()| UdpSocket::from_std(socket))
            .map_err(|source| GossipError::Socket { addr: self.bind, source })?;
        self.run(socket)
    }

    fn run(self, socket: UdpSocket) -> Result<GossipHandle, GossipError> {
        let local_addr = socket.local_addr().map_err(|source| GossipError::Socket { addr: self.bind, source })?;
        let generation = self.generation.unwrap_or_else(|| {
            SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        });
        let rng_seed =
            self.rng_seed.unwrap_or(generation.rotate_left(17) ^ self.member.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let identity = GossipId::new(self.member, self.advertise.unwrap_or(local_addr), self.api_addr, generation)?;
        let mut core = GossipCore::new(identity.clone(), self.config, rng_seed)?;
        if let Some(secret) = &self.cluster_secret {
            core = core.with_cluster_secret(secret);
        }
        let (view_tx, view) = watch::channel(core.view().clone());
        let (suggestions, _) = broadcast::channel(SUGGESTION_BUFFER);
        let (commands, command_rx) = mpsc::channel(8);
        let stats = Arc::new(Mutex::new(DriverStats::default()));
        let task = Loop {
            core,
            socket,
            timers: BTreeMap::new(),
            next_seq: 0,
            view_tx,
            suggestions: suggestions.clone(),
            stats: Arc::clone(&stats),
            local: DriverStats::default(),
        };
        let task = tokio::spawn(task.run(self.seeds, command_rx));
        Ok(GossipHandle { local_addr, identity, view, suggestions, commands, stats, task })
    }
}

impl GossipHandle {
    /// The address the socket is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The identity this driver started with.
    pub fn identity(&self) -> &GossipId {
        &self.identity
    }

    /// The live view: every member known, itself included, with its state and addresses.
    pub fn members(&self) -> watch::Receiver<GossipView> {
        self.view.clone()
    }

    /// The changes the cluster may want to commit, from now on.
    pub fn suggestions(&self) -> broadcast::Receiver<Suggestion> {
        self.suggestions.subscribe()
    }

    /// What the driver dropped so far.
    pub fn stats(&self) -> DriverStats {
        *self.stats.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Leaves gracefully: broadcasts Leaving, declares this member down to a few others
    /// (foca's `leave_cluster`), then stops. Returns once the datagrams are sent.
    pub async fn leave(self) -> Result<(), GossipError> {
        let (ack, done) = oneshot::channel();
        self.commands.send(Command::Leave(ack)).await.map_err(|_| GossipError::Stopped)?;
        let sent = done.await.map_err(|_| GossipError::Stopped);
        let _ = self.task.await;
        sent
    }

    /// Stops without a word: the others will find this member down (what a crash looks
    /// like to them).
    pub async fn stop(self) {
        let _ = self.commands.send(Command::Stop).await;
        let _ = self.task.await;
    }
}

struct Loop {
    core: GossipCore,
    socket: UdpSocket,
    timers: BTreeMap<(Instant, u64), GossipTimer>,
    next_seq: u64,
    view_tx: watch::Sender<GossipView>,
    suggestions: broadcast::Sender<Suggestion>,
    stats: Arc<Mutex<DriverStats>>,
    local: DriverStats,
}

impl Loop {
    async fn run(mut self, seeds: Vec<SocketAddr>, mut commands: mpsc::Receiver<Command>) {
        let outcome = self.core.handle(Input::Join(&seeds));
        self.apply(outcome).await;
        let max = self.core.config().max_packet_size;
        let mut buf = vec![0u8; max + 1];
        loop {
            let next = self.timers.keys().next().map(|(at, _)| *at);
            tokio::select! {
                biased;
                command = commands.recv() => match command {
                    Some(Command::Leave(ack)) => {
                        let outcome = self.core.handle(Input::Leave);
                        self.apply(outcome).await;
                        let _ = ack.send(());
                        break;
                    }
                    // Stopped, or the handle was dropped.
                    Some(Command::Stop) | None => break,
                },
                () = sleep_until(next), if next.is_some() => {
                    // Datagrams that arrived while this task was not running (a stall) go
                    // first: an ack waiting in the socket must not lose to the timer that
                    // would suspect its sender. Bounded, so a flood cannot starve timers.
                    for _ in 0..DRAIN_BEFORE_TIMERS {
                        match self.socket.try_recv_from(&mut buf) {
                            Ok((len, _from)) => self.datagram(&buf, len).await,
                            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => break,
                            Err(_) => self.local.recv_errors += 1,
                        }
                    }
                    self.fire_due().await;
                }
                received = self.socket.recv_from(&mut buf) => match received {
                    Ok((len, _from)) => self.datagram(&buf, len).await,
                    // E.g. an ICMP port-unreachable reported on a later read: keep going.
                    Err(_) => self.local.recv_errors += 1,
                },
            }
            self.publish_stats();
        }
        self.publish_stats();
    }

    /// Feeds the datagram of `len` bytes at the start of `buf` (one byte longer than the
    /// largest accepted) to the core, unless it was too long.
    async fn datagram(&mut self, buf: &[u8], len: usize) {
        self.local.received += 1;
        match buf.get(..len) {
            Some(data) if len < buf.len() => {
                let outcome = self.core.handle(Input::Datagram(data));
                self.apply(outcome).await;
            }
            _ => self.local.oversized += 1,
        }
    }

    /// Feeds every due timer, in deadline order; counts a stall when one is a probe period
    /// late.
    async fn fire_due(&mut self) {
        let now = Instant::now();
        let stall = self.core.config().probe_period;
        while let Some(entry) = self.timers.first_entry() {
            let due = entry.key().0;
            if due > now {
                break;
            }
            if now.duration_since(due) > stall {
                self.local.late_timers += 1;
            }
            let timer = entry.remove();
            let outcome = self.core.handle(Input::Timer(timer));
            self.apply(outcome).await;
        }
    }

    async fn apply(&mut self, outcome: Outcome) {
        for effect in outcome.effects {
            match effect {
                Effect::Send { to, data } => {
                    if self.socket.send_to(&data, to).await.is_err() {
                        self.local.send_errors += 1;
                    }
                }
                Effect::Schedule { after, timer } => {
                    if self.timers.len() >= MAX_TIMERS {
                        self.local.timers_dropped += 1;
                    } else {
                        self.next_seq += 1;
                        self.timers.insert((Instant::now() + after, self.next_seq), timer);
                    }
                }
                Effect::Suggest(suggestion) => {
                    // No subscriber is fine: the view carries the same.
                    let _ = self.suggestions.send(suggestion);
                }
            }
        }
        if outcome.view_changed {
            self.view_tx.send_replace(self.core.view().clone());
        }
    }

    fn publish_stats(&mut self) {
        let core = self.core.stats();
        self.local.malformed = core.malformed;
        self.local.protocol_errors = core.protocol_errors;
        self.local.unauthenticated = core.unauthenticated;
        *self.stats.lock().unwrap_or_else(PoisonError::into_inner) = self.local;
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
