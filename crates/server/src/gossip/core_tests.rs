//! The gossip core over an in-memory network with virtual time: several cores, a queue of
//! timers and datagrams ordered by virtual time, and a network that can silence a member.
//! Everything is driven by the test, so every run is the same.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use super::*;

/// One-way datagram delay in the simulated network.
const LATENCY: Duration = Duration::from_millis(1);

enum Event {
    Timer(usize, GossipTimer),
    Deliver(usize, Vec<u8>),
    Join(usize, Vec<SocketAddr>),
}

struct Sim {
    now: Duration,
    cores: Vec<GossipCore>,
    silenced: Vec<bool>,
    queue: BTreeMap<(Duration, u64), Event>,
    seq: u64,
    suggestions: Vec<(Duration, usize, Suggestion)>,
}

fn addr(i: usize) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, 1], 7000 + i as u16))
}

impl Sim {
    /// `n` cores (member ids 1..=n), none joined yet; foca's RNGs seeded from `seed`.
    fn new(n: usize, seed: u64) -> Sim {
        let cores = (0..n)
            .map(|i| {
                let id = GossipId::new(i as u64 + 1, addr(i), format!("api-{i}:80"), 1).unwrap();
                GossipCore::new(id, GossipConfig::lan(), seed * 1000 + i as u64).unwrap()
            })
            .collect();
        Sim {
            now: Duration::ZERO,
            cores,
            silenced: vec![false; n],
            queue: BTreeMap::new(),
            seq: 0,
            suggestions: Vec::new(),
        }
    }

    fn at(&mut self, after: Duration, event: Event) {
        self.seq += 1;
        self.queue.insert((self.now + after, self.seq), event);
    }

    fn input(&mut self, i: usize, input: Input<'_>) {
        let outcome = self.cores[i].handle(input);
        for effect in outcome.effects {
            match effect {
                Effect::Send { to, data } => {
                    if let Some(dst) = (0..self.cores.len()).find(|&j| addr(j) == to) {
                        self.at(LATENCY, Event::Deliver(dst, data));
                    }
                }
                Effect::Schedule { after, timer } => self.at(after, Event::Timer(i, timer)),
                Effect::Suggest(s) => self.suggestions.push((self.now, i, s)),
            }
        }
    }

    /// Runs events until `done` holds (the virtual time it took) or `limit` passes.
    fn run_until(&mut self, limit: Duration, done: impl Fn(&Sim) -> bool) -> Option<Duration> {
        let start = self.now;
        loop {
            if done(self) {
                return Some(self.now - start);
            }
            let ((at, _), event) = self.queue.pop_first()?;
            if at - start > limit {
                return None;
            }
            self.now = at;
            match event {
                Event::Timer(i, timer) if !self.silenced[i] => self.input(i, Input::Timer(timer)),
                Event::Deliver(i, data) if !self.silenced[i] => self.input(i, Input::Datagram(&data)),
                Event::Join(i, seeds) => self.input(i, Input::Join(&seeds)),
                _ => {}
            }
        }
    }

    /// Runs for `span` of virtual time.
    fn run_for(&mut self, span: Duration) {
        let end = self.now + span;
        let _ = self.run_until(span, |sim| sim.now >= end);
        self.now = self.now.max(end);
    }

    fn state(&self, observer: usize, member: usize) -> Option<MemberState> {
        self.cores[observer].view().get(&(member as u64 + 1)).map(|info| info.state)
    }

    /// Whether every live core sees every live member (`alive`) Up.
    fn converged(&self, alive: &[usize]) -> bool {
        alive.iter().all(|&o| alive.iter().all(|&m| self.state(o, m) == Some(MemberState::Up)))
    }
}

/// `n` cores started out of order, 137 ms apart, each seeded with member 0 only, and
/// member 0 (started last) seeded with member 1: so the first members to start have no
/// seed up yet and must retry.
fn formed(n: usize, seed: u64) -> Sim {
    let mut sim = Sim::new(n, seed);
    for k in 0..n {
        let i = (k + 1) % n;
        let seeds = if i == 0 { vec![addr(1)] } else { vec![addr(0)] };
        sim.at(Duration::from_millis(137 * k as u64), Event::Join(i, seeds));
    }
    let all: Vec<usize> = (0..n).collect();
    let took = sim.run_until(Duration::from_secs(10), |s| s.converged(&all));
    assert!(took.is_some(), "{n} members did not converge within 10 s");
    sim
}

#[test]
fn members_started_in_any_order_converge_and_stay_up() {
    let mut sim = formed(5, 1);
    // A perfect network for a minute: no suspicion ripens into a down verdict.
    sim.run_for(Duration::from_secs(60));
    assert!(sim.converged(&[0, 1, 2, 3, 4]));
    assert!(
        sim.suggestions.iter().all(|(_, _, s)| matches!(s, Suggestion::Up(_))),
        "only Up suggestions on a healthy cluster: {:?}",
        sim.suggestions
    );
    // Each saw the four others come up, once.
    assert_eq!(sim.suggestions.len(), 5 * 4);
    // Addresses travel with the identity.
    let info = sim.cores[3].view().get(&1).unwrap();
    assert_eq!(info.id.gossip_addr, addr(0));
    assert_eq!(info.id.api_addr, "api-0:80");
}

#[test]
fn a_single_member_without_seeds_founds_the_cluster() {
    let mut sim = Sim::new(1, 9);
    sim.input(0, Input::Join(&[addr(0)]));
    assert_eq!(sim.state(0, 0), Some(MemberState::Up));
}

/// Silences member 2 of a formed cluster of `n`; the virtual time until every other
/// member sees it Down.
fn detection_time(n: usize, seed: u64) -> Duration {
    let mut sim = formed(n, seed);
    sim.run_for(Duration::from_millis(500 + 37 * seed));
    sim.silenced[2] = true;
    let others: Vec<usize> = (0..n).filter(|&i| i != 2).collect();
    let bound = GossipConfig::lan().detection_bound(n as u32);
    let took = sim
        .run_until(bound, |s| others.iter().all(|&o| s.state(o, 2) == Some(MemberState::Down)))
        .unwrap_or_else(|| panic!("member 2 not declared down by all within {bound:?}"));
    for &o in &others {
        assert!(
            sim.suggestions.iter().any(|(_, who, s)| *who == o && matches!(s, Suggestion::Down(m) if m.id.member == 3)),
            "member {o} made no Down suggestion"
        );
    }
    // The others stay Up.
    assert!(sim.converged(&others));
    took
}

#[test]
fn a_silenced_member_is_declared_down_within_the_bound() {
    for n in [3, 5] {
        let mut times: Vec<Duration> = (1..=10).map(|seed| detection_time(n, seed)).collect();
        times.sort();
        println!(
            "virtual detection time, {n} members, 10 seeds: min {:?} median {:?} max {:?}",
            times[0], times[5], times[9]
        );
    }
}

#[test]
fn runs_are_deterministic() {
    assert_eq!(detection_time(4, 3), detection_time(4, 3));
}

#[test]
fn a_graceful_leave_reaches_everyone_as_left() {
    let mut sim = formed(5, 2);
    let down_before = sim.suggestions.len();
    sim.input(3, Input::Leave);
    assert!(sim.cores[3].has_left());
    assert_eq!(sim.state(3, 3), Some(MemberState::Left));
    let others = [0, 1, 2, 4];
    let took = sim
        .run_until(Duration::from_millis(1000), |s| others.iter().all(|&o| s.state(o, 3) == Some(MemberState::Left)))
        .expect("the leave reached everyone as Left within 1 s");
    println!("leave seen by all in {took:?} of virtual time");
    // Never mistaken for a crash, and the rest of the cluster is intact.
    sim.run_for(Duration::from_secs(5));
    assert!(others.iter().all(|&o| sim.state(o, 3) == Some(MemberState::Left)));
    assert!(sim.converged(&others));
    let gone: Vec<_> = sim.suggestions[down_before..]
        .iter()
        .filter(|(_, _, s)| matches!(s, Suggestion::Down(m) if m.state == MemberState::Left))
        .collect();
    assert_eq!(gone.len(), 4, "{:?}", sim.suggestions);
}

#[test]
fn a_restarted_member_supersedes_its_old_life() {
    let mut sim = formed(3, 4);
    sim.silenced[1] = true;
    // Restart member 1 on the same address with a newer generation, before the others
    // have declared the old one down.
    let id = GossipId::new(2, addr(1), "api-1:80", 2).unwrap();
    sim.cores[1] = GossipCore::new(id, GossipConfig::lan(), 77).unwrap();
    sim.silenced[1] = false;
    sim.input(1, Input::Join(&[addr(0)]));
    let took = sim.run_until(Duration::from_secs(5), |s| {
        [0, 2]
            .iter()
            .all(|&o| s.cores[o].view().get(&2).is_some_and(|m| m.id.generation == 2 && m.state == MemberState::Up))
            && s.converged(&[0, 1, 2])
    });
    assert!(took.is_some(), "the new life was not seen Up");
}

#[test]
fn garbage_datagrams_are_counted_and_change_nothing() {
    let mut sim = formed(3, 5);
    let view = sim.cores[0].view().clone();
    let mut x: u64 = 0x1234_5678;
    for len in 0..2000 {
        let data: Vec<u8> = (0..len % 1500)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let outcome = sim.cores[0].handle(Input::Datagram(&data));
        assert!(outcome.error.is_some(), "garbage of {len} bytes accepted");
    }
    assert_eq!(sim.cores[0].stats().malformed, 2000);
    assert_eq!(sim.cores[0].view(), &view);
    sim.run_for(Duration::from_secs(3));
    assert!(sim.converged(&[0, 1, 2]));
}

#[test]
fn with_a_cluster_secret_only_members_sharing_it_are_heard() {
    let mut sim = Sim::new(3, 6);
    let cores = std::mem::take(&mut sim.cores);
    sim.cores = cores
        .into_iter()
        .enumerate()
        .map(|(i, core)| core.with_cluster_secret(if i < 2 { "the cluster's secret" } else { "some other secret!!" }))
        .collect();
    for i in 0..3 {
        sim.at(Duration::ZERO, Event::Join(i, vec![addr(0)]));
    }
    assert!(sim.run_until(Duration::from_secs(5), |s| s.converged(&[0, 1])).is_some());
    sim.run_for(Duration::from_secs(5));
    // The member with another secret was never heard, and heard no one.
    assert!(sim.cores[0].view().get(&3).is_none());
    assert_eq!(sim.cores[2].view().len(), 1);
    assert!(sim.cores[0].stats().unauthenticated > 0);
    assert_eq!(sim.cores[0].stats().malformed, 0);
    assert!(sim.converged(&[0, 1]));
}
