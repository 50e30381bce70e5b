//! What a run found, and the one command that reproduces it.

use std::fmt;
use std::fmt::Debug;
use std::time::Duration;

use coterie_check::invariants::RunSnapshot;
use coterie_check::{Counterexample, History, Verdict};

use crate::net::NetStats;
use crate::observe::Sampled;
use crate::params::{Bugs, SimParams};
use crate::record::Coverage;
use crate::trace::Trace;

/// A key's verdict, without the witness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checked {
    /// Linearizable.
    Linearizable {
        /// Model steps taken.
        steps: u64,
    },
    /// Not linearizable: a violation.
    NotLinearizable {
        /// Model steps taken.
        steps: u64,
    },
    /// The checker's budget ran out.
    Exhausted {
        /// Model steps taken.
        steps: u64,
    },
}

impl From<&Verdict> for Checked {
    fn from(verdict: &Verdict) -> Self {
        let steps = verdict.steps();
        match verdict {
            Verdict::Linearizable { .. } => Checked::Linearizable { steps },
            Verdict::NotLinearizable(_) => Checked::NotLinearizable { steps },
            Verdict::Exhausted { .. } => Checked::Exhausted { steps },
        }
    }
}

/// One key's history and verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyReport {
    /// The key.
    pub key: String,
    /// Operations that succeeded.
    pub ok: usize,
    /// Operations that certainly did not take effect.
    pub fail: usize,
    /// Operations whose effect is unknown.
    pub unknown: usize,
    /// The checker's verdict.
    pub verdict: Checked,
    /// For a violation: the operations the search could not get past.
    pub detail: Option<String>,
}

/// How the liveness phase went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Liveness {
    /// The healed cluster served a session, a write and a read, this long after healing.
    Served(Duration),
    /// It did not, within the bound.
    Failed(String),
}

/// The result of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Every key linearizable, liveness served, nothing unexpected.
    Pass,
    /// A violation, a liveness failure or an anomaly.
    Fail,
    /// No violation found, but some key's check ran out of budget.
    Exhausted,
}

/// Everything a run found.
#[derive(Clone, Debug)]
pub struct SimReport {
    /// The parameters (from the seed).
    pub params: SimParams,
    /// The planted bugs that were on.
    pub bugs: Bugs,
    /// Each key's verdict.
    pub keys: Vec<KeyReport>,
    /// The liveness phase.
    pub liveness: Liveness,
    /// Answers of an impossible shape.
    pub anomalies: Vec<String>,
    /// Raft invariants violated (see [`coterie_check::invariants`]), one line each.
    pub invariants: Vec<String>,
    /// How much the invariant checkers looked at.
    pub sampled: Sampled,
    /// What they looked at (to check it again, or mutated, in tests).
    pub snapshot: RunSnapshot,
    /// What the network did.
    pub net: NetStats,
    /// How often the parking, cancelling and expiry paths ran.
    pub coverage: Coverage,
    /// Membership change steps that succeeded during the safety phase.
    pub membership_steps: u64,
    /// The trace.
    pub trace: Trace,
    /// Virtual time the run took.
    pub virtual_time: Duration,
}

impl SimReport {
    /// The run's overall result.
    pub fn status(&self) -> Status {
        let violation = self.keys.iter().any(|k| matches!(k.verdict, Checked::NotLinearizable { .. }));
        if violation
            || !self.anomalies.is_empty()
            || !self.invariants.is_empty()
            || matches!(self.liveness, Liveness::Failed(_))
        {
            Status::Fail
        } else if self.keys.iter().any(|k| matches!(k.verdict, Checked::Exhausted { .. })) {
            Status::Exhausted
        } else {
            Status::Pass
        }
    }

    /// Whether some key's history is not linearizable.
    pub fn violates_linearizability(&self) -> bool {
        self.keys.iter().any(|k| matches!(k.verdict, Checked::NotLinearizable { .. }))
    }

    /// Whether some Raft invariant was violated.
    pub fn violates_invariants(&self) -> bool {
        !self.invariants.is_empty()
    }

    /// The command that reruns this seed (with the same planted bugs).
    pub fn reproduce(&self) -> String {
        reproduce_command(self.params.seed, self.bugs)
    }
}

/// The command that reruns `seed` with `bugs`: `scripts/sim.sh`, which builds the simulation
/// with `--cfg tokio_unstable` so that the replay is exact.
pub fn reproduce_command(seed: u64, bugs: Bugs) -> String {
    let mut flags = String::new();
    for (on, flag) in [
        (bugs.stale_reads, " --bug stale-reads"),
        (bugs.fresh_seq_on_retry, " --bug fresh-seq-on-retry"),
        (bugs.unknown_as_fail, " --bug unknown-as-fail"),
        (bugs.lossy_disk, " --bug lossy-disk"),
        (bugs.parked_retry_fresh_seq, " --bug parked-retry-fresh-seq"),
    ] {
        if on {
            flags.push_str(flag);
        }
    }
    format!("scripts/sim.sh --seed {seed}{flags}")
}

impl fmt::Display for SimReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.params;
        writeln!(
            f,
            "seed {}: {:?} — {} nodes{}, {} clients, heartbeat {:?}, faults {:?}, virtual {:.1}s",
            p.seed,
            self.status(),
            p.nodes,
            if p.membership {
                format!(" + 1 spare, {} membership steps", self.membership_steps)
            } else {
                String::new()
            },
            p.clients,
            p.heartbeat,
            p.faults,
            self.virtual_time.as_secs_f64()
        )?;
        for k in &self.keys {
            writeln!(f, "  {}: ok {} fail {} unknown {} → {:?}", k.key, k.ok, k.fail, k.unknown, k.verdict)?;
            if let Some(detail) = &k.detail {
                writeln!(f, "{detail}")?;
            }
        }
        writeln!(f, "  liveness: {:?}", self.liveness)?;
        for anomaly in &self.anomalies {
            writeln!(f, "  anomaly: {anomaly}")?;
        }
        let s = &self.sampled;
        writeln!(
            f,
            "  invariants over {} leadership observations ({} reigns), {} applied states, {} acknowledged writes, {} log entries",
            s.leaders, s.reigns, s.states, s.acked, s.entries
        )?;
        let c = &self.coverage;
        writeln!(
            f,
            "  sessions: {} opened ({}), {} calls refused as expired; parked calls: {} retried, {} woken after parking, {} cancelled",
            c.sessions,
            p.session_ttl.map_or("lasting".to_owned(), |t| format!("ttl {t:?}")),
            c.expired_calls,
            c.parked_retries,
            c.woken_after_parking,
            c.cancelled
        )?;
        for violation in &self.invariants {
            writeln!(f, "  invariant: {violation}")?;
        }
        writeln!(
            f,
            "  network: {} delivered, {} dropped, {} refused; trace {} events, hash {:016x}",
            self.net.delivered,
            self.net.dropped,
            self.net.refused,
            self.trace.events(),
            self.trace.hash()
        )?;
        if self.status() == Status::Fail {
            writeln!(f, "  reproduce with: {}", self.reproduce())?;
            if !crate::SEEDED_RUNTIME {
                writeln!(
                    f,
                    "  (this build does not seed tokio's generator: the replay runs the same seed but may \
                     interleave differently; see coterie_sim::SEEDED_RUNTIME)"
                )?;
            }
        }
        Ok(())
    }
}

/// The operations around a counterexample: the last few linearized, then the stuck ones.
pub fn explain<I: Debug, O: Debug>(history: &History<I, O>, counterexample: &Counterexample) -> String {
    let line = |id: &coterie_check::OpId| match history.get(*id) {
        Some(op) => format!(
            "    #{:<4} p{} [{}us..{}us] {:?} → {:?}",
            id.0, op.process, op.invoke, op.complete, op.input, op.outcome
        ),
        None => format!("    #{} (missing)", id.0),
    };
    let furthest = &counterexample.furthest;
    let tail = furthest.len().saturating_sub(6);
    let mut out = format!("    linearized {} of {} ops; the last of them:\n", furthest.len(), history.len());
    for id in furthest.iter().skip(tail) {
        out.push_str(&line(id));
        out.push('\n');
    }
    out.push_str("    none of these can come next:\n");
    for id in &counterexample.stuck {
        out.push_str(&line(id));
        out.push('\n');
    }
    out
}
