//! The SWIM timers, tuned for a LAN or loopback, and why each has its value.
//!
//! The target (issue 11): a member killed with `kill -9` is marked down by the others
//! within 2 s on loopback. Detection is: wait until some member probes the dead one, wait
//! out that probe period (no direct or indirect ack: Suspect), wait out the suspicion
//! (Down), and disseminate. With `n` members each probing the others in a shuffled round
//! robin, the dead member is probed by the first of `n - 1` probers, typically within one
//! period and at worst within `n - 1` periods. So the worst case is about
//! `(n - 1) · probe_period + probe_period + suspect_to_down_after + gossip_every`, which
//! [`GossipConfig::detection_bound`] computes: 1.6 s for 3 members and 2.2 s for 5 with
//! the [`GossipConfig::lan`] values; the typical case is 1.2 s (see the measured
//! figures in `mod.rs`).
//!
//! foca's `Config::new_lan` (memberlist's LAN defaults: 1 s probes, 4 s suspicion) detects
//! in about 5–6 s; its values suit a real LAN under load, ours trade false-suspicion
//! margin for speed. A false suspicion is refuted by the suspect itself within
//! `suspect_to_down_after` (the suspicion reaches it by the 100 ms gossip), and even a
//! false down verdict is only a *suggestion*: the member rejoins with a renewed identity,
//! and the metadata group decides what a down member means.

use std::num::{NonZeroU8, NonZeroUsize};
use std::time::Duration;

use foca::{Config, PeriodicParams};

use super::GossipError;
use super::auth::TAG_LEN;

/// The SWIM and dissemination timers of a gossip core.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GossipConfig {
    /// How often this member probes one other member (foca's `probe_period`). 300 ms: a
    /// loopback round trip is microseconds, and a loaded CI machine may stall a task for
    /// tens of milliseconds; three RTT windows fit in a period.
    pub probe_period: Duration,
    /// How long a direct probe waits for its ack before asking others to probe indirectly
    /// (`probe_rtt`). 100 ms: a third of the period, so the indirect probes have the
    /// remaining 200 ms to come back before the period ends and the member is suspected.
    pub probe_rtt: Duration,
    /// How many members are asked to probe indirectly, and how many receive each gossip
    /// round (`num_indirect_probes`). 3, as in SWIM and memberlist.
    pub indirect_probes: usize,
    /// How long a suspect has to refute the suspicion before it is declared down
    /// (`suspect_to_down_after`). 600 ms: two probe periods, and six gossip rounds for
    /// the suspicion to reach the suspect and its refutation to come back.
    pub suspect_to_down_after: Duration,
    /// How many times each update and each item of news is piggybacked before it is
    /// dropped (`max_transmissions`). 8: more than memberlist's `4·log10(n+1)` for small
    /// clusters, so news reaches every member of a 5-member cluster with margin.
    pub max_transmissions: u8,
    /// How often updates are pushed to [`GossipConfig::indirect_probes`] random members
    /// besides the probe traffic (`periodic_gossip`). 100 ms: a down verdict reaches the
    /// whole of a small cluster within a few hundred milliseconds.
    pub gossip_every: Duration,
    /// How often one random member is asked for its member list (`periodic_announce`).
    /// 5 s: a joiner learns the whole roster quickly even when a broadcast was missed.
    pub announce_every: Duration,
    /// How often two members believed down are announced to (`periodic_announce_to_down`).
    /// 10 s: heals a partition, or finds a restarted member, without operator action.
    pub announce_to_down_every: Duration,
    /// How often the seeds not seen alive are announced to (ours, not foca's). 1 s: members
    /// started in any order find each other within about a second of the seed coming up.
    pub seed_retry_every: Duration,
    /// How long a down identity is remembered (`remove_down_after`). 24 h (foca's
    /// default): a member's later lives have larger generations and are not blocked by it.
    pub remove_down_after: Duration,
    /// The largest datagram sent or accepted, the 16-byte authentication tag included
    /// (foca's `max_packet_size` is 16 bytes less). 1400 bytes: below the Ethernet MTU,
    /// so no IP fragmentation (RFC 8085).
    pub max_packet_size: usize,
}

impl GossipConfig {
    /// The values above: tuned for a LAN or loopback.
    pub fn lan() -> Self {
        GossipConfig {
            probe_period: Duration::from_millis(300),
            probe_rtt: Duration::from_millis(100),
            indirect_probes: 3,
            suspect_to_down_after: Duration::from_millis(600),
            max_transmissions: 8,
            gossip_every: Duration::from_millis(100),
            announce_every: Duration::from_secs(5),
            announce_to_down_every: Duration::from_secs(10),
            seed_retry_every: Duration::from_secs(1),
            remove_down_after: Duration::from_secs(24 * 3600),
            max_packet_size: 1400,
        }
    }

    /// The worst-case time from a member's crash to its down verdict reaching the others,
    /// in a cluster of `members` (see the module docs).
    pub fn detection_bound(&self, members: u32) -> Duration {
        let probers_round = self.probe_period * members.saturating_sub(1).max(1);
        probers_round + self.probe_period + self.suspect_to_down_after + self.gossip_every
    }

    /// Whether a core can run with this configuration; the first reason it cannot.
    pub fn check(&self) -> Result<(), GossipError> {
        self.to_foca().map(|_| ())
    }

    /// This configuration as foca's, if it can run with it.
    pub(crate) fn to_foca(&self) -> Result<Config, GossipError> {
        let invalid = |why: &str| Err(GossipError::InvalidConfig(why.to_string()));
        let zero = Duration::ZERO;
        if self.probe_rtt == zero || self.probe_rtt >= self.probe_period {
            return invalid("probe_rtt must be above zero and below probe_period");
        }
        if self.suspect_to_down_after == zero
            || self.gossip_every == zero
            || self.announce_every == zero
            || self.announce_to_down_every == zero
            || self.seed_retry_every == zero
        {
            return invalid("every period must be above zero");
        }
        if !(512..=65_507).contains(&self.max_packet_size) {
            return invalid("max_packet_size must be 512 to 65507 bytes (one UDP datagram)");
        }
        let (Some(indirect), Some(max_tx), Some(one), Some(two), Some(packet)) = (
            NonZeroUsize::new(self.indirect_probes),
            NonZeroU8::new(self.max_transmissions),
            NonZeroUsize::new(1),
            NonZeroUsize::new(2),
            NonZeroUsize::new(self.max_packet_size - TAG_LEN),
        ) else {
            return invalid("indirect_probes and max_transmissions must be above zero");
        };
        Ok(Config {
            probe_period: self.probe_period,
            probe_rtt: self.probe_rtt,
            num_indirect_probes: indirect,
            max_transmissions: max_tx,
            suspect_to_down_after: self.suspect_to_down_after,
            remove_down_after: Some(self.remove_down_after),
            max_packet_size: packet,
            // Tell a member wrongly declared down, so it rejoins with a renewed identity
            // instead of talking to a cluster that ignores it.
            notify_down_members: true,
            periodic_announce: Some(PeriodicParams { frequency: self.announce_every, num_members: one }),
            periodic_announce_to_down_members: Some(PeriodicParams {
                frequency: self.announce_to_down_every,
                num_members: two,
            }),
            periodic_gossip: Some(PeriodicParams { frequency: self.gossip_every, num_members: indirect }),
        })
    }
}

impl Default for GossipConfig {
    fn default() -> Self {
        GossipConfig::lan()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lan_is_valid_and_within_the_target() {
        let config = GossipConfig::lan();
        assert!(config.to_foca().is_ok());
        assert!(config.detection_bound(3) <= Duration::from_secs(2));
    }

    #[test]
    fn bad_timers_are_refused() {
        let mut config = GossipConfig::lan();
        config.probe_rtt = config.probe_period;
        assert!(config.to_foca().is_err());
        let mut config = GossipConfig::lan();
        config.max_transmissions = 0;
        assert!(config.to_foca().is_err());
        let mut config = GossipConfig::lan();
        config.max_packet_size = 100;
        assert!(config.to_foca().is_err());
    }
}
