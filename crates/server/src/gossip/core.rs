//! The sans-IO gossip core ([`GossipCore`]): foca plus member news, fed inputs, returning
//! effects.
//!
//! The core reads no clock, opens no socket and draws no OS randomness: foca's random
//! choices come from a `SmallRng` seeded by the caller, time passes only as the timers the
//! caller fires, and every datagram is handed in or handed back. So the same seeds and the
//! same inputs give the same run, which is what the in-memory tests (`core_tests.rs`) rely
//! on, and the UDP driver (`driver.rs`) is only a loop around [`GossipCore::handle`].
//!
//! After every input the core rebuilds its view of the members (foca's member states
//! combined with their latest news, see [`MemberState`]) and reports each change that
//! matters to the cluster as a [`Suggestion`]: gossip suggests Up and Down, the metadata
//! group decides.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use foca::{Foca, OwnedNotification, PostcardCodec, Runtime, State, Timer};
use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::GossipError;
use super::auth::Sealer;
use super::config::GossipConfig;
use super::identity::GossipId;
use super::news::{self, MemberNews, NewsBook, NewsHandler, NewsState};

/// The most seeds a core announces to.
pub const MAX_SEEDS: usize = 64;

/// How a member looks from here.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MemberState {
    /// Alive to SWIM, but it has not said it is Up yet (or its news has not arrived).
    Joining,
    /// Alive and Up.
    Up,
    /// Up, but some member failed to get an answer from it: declared down unless it
    /// refutes in time. Still a member for every purpose.
    Suspect,
    /// Alive, departing gracefully.
    Leaving,
    /// Declared down by SWIM without having said it was leaving: a crash, a kill or a
    /// partition.
    Down,
    /// Gone after saying it was leaving.
    Left,
}

impl std::fmt::Display for MemberState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MemberState::Joining => "joining",
            MemberState::Up => "up",
            MemberState::Suspect => "suspect",
            MemberState::Leaving => "leaving",
            MemberState::Down => "down",
            MemberState::Left => "left",
        })
    }
}

impl MemberState {
    /// Whether the member is gone (down or left).
    pub fn is_gone(self) -> bool {
        matches!(self, MemberState::Down | MemberState::Left)
    }
}

/// One member of the view.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct MemberInfo {
    /// Its current identity (the newest generation known).
    pub id: GossipId,
    /// Its state.
    pub state: MemberState,
}

/// The members this node knows, itself included, by member id.
pub type GossipView = BTreeMap<u64, MemberInfo>;

/// A change of the view the sharded engine may want to commit. Only a suggestion: another
/// member may see it differently for a while, and the metadata group's log decides.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Suggestion {
    /// The member is Up (newly, or in a new generation).
    Up(MemberInfo),
    /// The member says it is leaving: hand its work over.
    Leaving(MemberInfo),
    /// The member is gone: [`MemberState::Down`] (crashed) or [`MemberState::Left`].
    Down(MemberInfo),
}

/// A timer the core asked for, to be handed back by [`Input::Timer`] when it is due.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct GossipTimer(TimerKind);

#[derive(Clone, PartialEq, Eq, Debug)]
enum TimerKind {
    /// One of foca's.
    Foca(Timer<GossipId>),
    /// Announce to the seeds not seen alive.
    SeedRetry,
    /// Re-add our own news, so members that missed it hear it.
    NewsRefresh,
}

/// Something that happened to the core.
#[derive(Debug)]
pub enum Input<'a> {
    /// A datagram arrived on the gossip socket.
    Datagram(&'a [u8]),
    /// A timer came due.
    Timer(GossipTimer),
    /// Join the cluster through these seeds (this member's own address among them is
    /// skipped). With no other seed, this member founds the cluster and is Up at once.
    Join(&'a [SocketAddr]),
    /// Leave gracefully: broadcast Leaving, declare ourselves down, and stop reacting.
    Leave,
}

/// Something the caller must do.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Effect {
    /// Send `data` in one datagram to `to`.
    Send {
        /// The destination.
        to: SocketAddr,
        /// The datagram.
        data: Vec<u8>,
    },
    /// Hand `timer` back through [`Input::Timer`] after `after`.
    Schedule {
        /// The delay.
        after: Duration,
        /// The timer.
        timer: GossipTimer,
    },
    /// The view changed in a way the cluster may want to commit.
    Suggest(Suggestion),
}

/// What one input did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// What the caller must do, in order.
    pub effects: Vec<Effect>,
    /// Whether [`GossipCore::view`] changed.
    pub view_changed: bool,
    /// Why the input was (partly) refused, if it was: a malformed datagram, or foca
    /// finding something wrong. The effects produced before are still valid.
    pub error: Option<GossipError>,
}

/// Counters of what the core refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CoreStats {
    /// Datagrams dropped as malformed (undecodable, too big, bad news, or from our own
    /// address).
    pub malformed: u64,
    /// Other protocol errors foca reported.
    pub protocol_errors: u64,
    /// Datagrams dropped because their authentication tag was wrong or missing (a member
    /// with another cluster secret, or a forgery).
    pub unauthenticated: u64,
}

/// foca's runtime: everything it asks for, collected.
#[derive(Default)]
struct Collect {
    effects: Vec<Effect>,
    notes: Vec<OwnedNotification<GossipId>>,
}

impl Runtime<GossipId> for Collect {
    fn notify(&mut self, notification: foca::Notification<'_, GossipId>) {
        self.notes.push(notification.to_owned());
    }

    fn send_to(&mut self, to: GossipId, data: &[u8]) {
        self.effects.push(Effect::Send { to: to.gossip_addr, data: data.to_vec() });
    }

    fn submit_after(&mut self, event: Timer<GossipId>, after: Duration) {
        self.effects.push(Effect::Schedule { after, timer: GossipTimer(TimerKind::Foca(event)) });
    }
}

/// One member's SWIM state machine and member news, without I/O.
pub struct GossipCore {
    foca: Foca<GossipId, PostcardCodec, SmallRng, NewsHandler>,
    book: NewsBook,
    config: GossipConfig,
    seeds: Vec<SocketAddr>,
    /// What we last said about ourselves, and its version.
    state: NewsState,
    version: u64,
    left: bool,
    timers_armed: bool,
    view: GossipView,
    stats: CoreStats,
    /// Seals what we send and opens what we receive, with the cluster secret.
    sealer: Option<Sealer>,
}

impl GossipCore {
    /// A core for `identity`, drawing foca's random choices from a generator seeded with
    /// `rng_seed`. It is Joining until [`Input::Join`].
    pub fn new(identity: GossipId, config: GossipConfig, rng_seed: u64) -> Result<Self, GossipError> {
        let foca_config = config.to_foca()?;
        let book = NewsBook::default();
        let foca = Foca::with_custom_broadcast(
            identity,
            foca_config,
            SmallRng::seed_from_u64(rng_seed),
            PostcardCodec,
            NewsHandler::new(book.clone()),
        );
        let mut core = GossipCore {
            foca,
            book,
            config,
            seeds: Vec::new(),
            state: NewsState::Joining,
            version: 0,
            left: false,
            timers_armed: false,
            view: GossipView::new(),
            stats: CoreStats::default(),
            sealer: None,
        };
        core.say(NewsState::Joining)?;
        core.view = core.compute_view();
        Ok(core)
    }

    /// The same core, authenticating every datagram with `secret` (HMAC-SHA256, see
    /// `auth.rs`): it drops datagrams not sealed with the same secret. Every member of a
    /// cluster must use the same secret, or none.
    pub fn with_cluster_secret(mut self, secret: &str) -> Self {
        self.sealer = Some(Sealer::new(secret.as_bytes()));
        self
    }

    /// This member's current identity (its generation grows if it had to rejoin).
    pub fn identity(&self) -> &GossipId {
        self.foca.identity()
    }

    /// The members this node knows, itself included.
    pub fn view(&self) -> &GossipView {
        &self.view
    }

    /// What the core refused so far.
    pub fn stats(&self) -> CoreStats {
        self.stats
    }

    /// The configuration the core runs with.
    pub fn config(&self) -> &GossipConfig {
        &self.config
    }

    /// Whether the core has left the cluster (it ignores every input since).
    pub fn has_left(&self) -> bool {
        self.left
    }

    /// Feeds `input` to the core; what the caller must do now.
    pub fn handle(&mut self, input: Input<'_>) -> Outcome {
        let mut rt = Collect::default();
        let result = if self.left { Ok(()) } else { self.dispatch(input, &mut rt) };
        let error = match result {
            Ok(()) => self.react(&mut rt).err(),
            Err(error) => {
                // Whatever foca did before the error still stands; react to it too.
                let _ = self.react(&mut rt);
                Some(error)
            }
        };
        match &error {
            Some(GossipError::Malformed(_)) => self.stats.malformed += 1,
            Some(GossipError::Unauthenticated) => self.stats.unauthenticated += 1,
            Some(_) => self.stats.protocol_errors += 1,
            None => {}
        }
        let mut effects = rt.effects;
        if let Some(sealer) = &self.sealer {
            for effect in &mut effects {
                if let Effect::Send { data, .. } = effect {
                    sealer.seal(data);
                }
            }
        }
        let view_changed = self.refresh_view(&mut effects);
        Outcome { effects, view_changed, error }
    }

    fn dispatch(&mut self, input: Input<'_>, rt: &mut Collect) -> Result<(), GossipError> {
        match input {
            Input::Datagram(data) => {
                let data = match &self.sealer {
                    Some(sealer) => sealer.open(data).ok_or(GossipError::Unauthenticated)?,
                    None => data,
                };
                self.foca.handle_data(data, rt).map_err(classify)
            }
            Input::Timer(GossipTimer(TimerKind::Foca(timer))) => self.foca.handle_timer(timer, rt).map_err(classify),
            Input::Timer(GossipTimer(TimerKind::SeedRetry)) => {
                rt.effects.push(Effect::Schedule {
                    after: self.config.seed_retry_every,
                    timer: GossipTimer(TimerKind::SeedRetry),
                });
                self.announce_to_seeds(rt)
            }
            Input::Timer(GossipTimer(TimerKind::NewsRefresh)) => {
                rt.effects.push(Effect::Schedule {
                    after: self.config.announce_every,
                    timer: GossipTimer(TimerKind::NewsRefresh),
                });
                self.say(self.state)
            }
            Input::Join(seeds) => {
                let own = self.identity().gossip_addr;
                for seed in seeds {
                    if *seed != own && !self.seeds.contains(seed) && self.seeds.len() < MAX_SEEDS {
                        self.seeds.push(*seed);
                    }
                }
                if !self.timers_armed {
                    self.timers_armed = true;
                    for (after, kind) in [
                        (self.config.seed_retry_every, TimerKind::SeedRetry),
                        (self.config.announce_every, TimerKind::NewsRefresh),
                    ] {
                        rt.effects.push(Effect::Schedule { after, timer: GossipTimer(kind) });
                    }
                }
                if self.seeds.is_empty() && self.state == NewsState::Joining {
                    // No one to join: this member founds the cluster.
                    self.say(NewsState::Up)?;
                }
                self.announce_to_seeds(rt)
            }
            Input::Leave => {
                self.say(NewsState::Leaving)?;
                // Push the news out on its own first, then declare ourselves down: foca
                // piggybacks both on the gossip of leave_cluster, and the receivers relay.
                self.foca.broadcast(&mut *rt).map_err(classify)?;
                self.foca.leave_cluster(&mut *rt).map_err(classify)?;
                self.left = true;
                Ok(())
            }
        }
    }

    /// Announces to every seed whose address is not an active member.
    fn announce_to_seeds(&mut self, rt: &mut Collect) -> Result<(), GossipError> {
        let active: Vec<SocketAddr> = self.foca.iter_members().map(|member| member.id().gossip_addr).collect();
        for seed in self.seeds.clone() {
            if !active.contains(&seed) {
                self.foca.announce(GossipId::seed(seed), &mut *rt).map_err(classify)?;
            }
        }
        Ok(())
    }

    /// Reacts to foca's notifications (which may produce more), a bounded number of rounds.
    fn react(&mut self, rt: &mut Collect) -> Result<(), GossipError> {
        for _ in 0..4 {
            let notes = std::mem::take(&mut rt.notes);
            if notes.is_empty() {
                break;
            }
            for note in notes {
                match note {
                    // We are part of a cluster now.
                    OwnedNotification::Active if self.state == NewsState::Joining => {
                        self.say(NewsState::Up)?;
                        self.foca.broadcast(&mut *rt).map_err(classify)?;
                    }
                    // A member that joined missed our news: say it again (members that
                    // have it do not relay it).
                    OwnedNotification::MemberUp(_) => self.say(self.state)?,
                    // We were declared down and came back as a new generation: our news
                    // must be about the new one.
                    OwnedNotification::Rejoin(_) => self.say(self.state)?,
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Says `state` about ourselves (a new version when it changes).
    fn say(&mut self, state: NewsState) -> Result<(), GossipError> {
        if state != self.state {
            self.state = state;
            self.version += 1;
        }
        let news = MemberNews {
            member: self.identity().member,
            generation: self.identity().generation,
            state: self.state,
            version: self.version,
        };
        let data = news::encode(&news).map_err(|e| GossipError::InvalidIdentity(e.to_string()))?;
        self.foca.add_broadcast(&data).map_err(classify)?;
        Ok(())
    }

    fn compute_view(&self) -> GossipView {
        let mut view = GossipView::new();
        for member in self.foca.iter_membership_state() {
            let id = member.id();
            let news = self.book.get(id.member).filter(|news| news.generation == id.generation).map(|news| news.state);
            let state = match (member.state(), news) {
                (State::Down, Some(NewsState::Leaving)) => MemberState::Left,
                (State::Down, _) => MemberState::Down,
                (_, Some(NewsState::Leaving)) => MemberState::Leaving,
                (State::Suspect, _) => MemberState::Suspect,
                (State::Alive, Some(NewsState::Up)) => MemberState::Up,
                (State::Alive, _) => MemberState::Joining,
            };
            let newer = view.get(&id.member).is_none_or(|known: &MemberInfo| id.generation >= known.id.generation);
            if newer {
                view.insert(id.member, MemberInfo { id: id.clone(), state });
            }
        }
        let me = self.identity();
        let state = match (self.left, self.state) {
            (true, _) => MemberState::Left,
            (false, NewsState::Joining) => MemberState::Joining,
            (false, NewsState::Up) => MemberState::Up,
            (false, NewsState::Leaving) => MemberState::Leaving,
        };
        view.insert(me.member, MemberInfo { id: me.clone(), state });
        view
    }

    /// Rebuilds the view; pushes a suggestion for each change of another member that
    /// matters. Whether anything changed.
    fn refresh_view(&mut self, effects: &mut Vec<Effect>) -> bool {
        let view = self.compute_view();
        if view == self.view {
            return false;
        }
        let me = self.identity().member;
        for (member, info) in &view {
            if *member == me {
                continue;
            }
            let before = self.view.get(member);
            let same_life = before.is_some_and(|b| b.id.generation == info.id.generation);
            let was = before.filter(|_| same_life).map(|b| b.state);
            let suggestion = match info.state {
                MemberState::Up if was != Some(MemberState::Up) => {
                    // Back from a suspicion is no news.
                    (was != Some(MemberState::Suspect)).then(|| Suggestion::Up(info.clone()))
                }
                MemberState::Leaving if was != Some(MemberState::Leaving) => Some(Suggestion::Leaving(info.clone())),
                MemberState::Down | MemberState::Left if !was.is_some_and(MemberState::is_gone) => {
                    Some(Suggestion::Down(info.clone()))
                }
                _ => None,
            };
            if let Some(suggestion) = suggestion {
                effects.push(Effect::Suggest(suggestion));
            }
        }
        self.view = view;
        true
    }
}

/// Sorts foca's errors: what bad input causes, and the rest.
fn classify(error: foca::Error) -> GossipError {
    match error {
        foca::Error::DataTooBig
        | foca::Error::MalformedPacket
        | foca::Error::Decode(_)
        | foca::Error::CustomBroadcast(_)
        | foca::Error::DataFromOurselves
        | foca::Error::IndirectForOurselves => GossipError::Malformed(error),
        other => GossipError::Protocol(other),
    }
}
