//! Checking a parsed history key by key, and the report the `check` command prints.

use std::fmt;
use std::time::{Duration, Instant};

use coterie_check::models::{CasRegister, Counter};
use coterie_check::{Budget, Verdict, check};

use crate::record::{Counts, Histories};

/// The verdict of one key, in words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyVerdict {
    /// Some linearization explains the key's history.
    Linearizable,
    /// No linearization does: a violation.
    NotLinearizable,
    /// The search budget ran out before it decided.
    Exhausted,
}

impl From<&Verdict> for KeyVerdict {
    fn from(v: &Verdict) -> Self {
        match v {
            Verdict::Linearizable { .. } => KeyVerdict::Linearizable,
            Verdict::NotLinearizable(_) => KeyVerdict::NotLinearizable,
            Verdict::Exhausted { .. } => KeyVerdict::Exhausted,
        }
    }
}

impl fmt::Display for KeyVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyVerdict::Linearizable => "linearizable",
            KeyVerdict::NotLinearizable => "NOT_LINEARIZABLE",
            KeyVerdict::Exhausted => "exhausted",
        })
    }
}

/// The check of one key.
#[derive(Clone, Debug)]
pub struct KeyReport {
    /// The AtomicLong's name.
    pub key: String,
    /// `register` or `counter`.
    pub model: &'static str,
    /// Its outcome counts.
    pub counts: Counts,
    /// The verdict.
    pub verdict: KeyVerdict,
    /// The checker's full verdict (with the counterexample, if any).
    pub detail: Verdict,
    /// How long the check took.
    pub elapsed: Duration,
    /// The file line of each of the key's operations, by `OpId`.
    pub lines: Vec<usize>,
}

/// The check of a whole history.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Every key, registers first, in key order.
    pub keys: Vec<KeyReport>,
}

impl Report {
    /// Checks every key of `histories` within `budget` per key.
    pub fn check(histories: &Histories, budget: Budget) -> Report {
        let mut keys = Vec::new();
        let counts = |k: &String| histories.counts.get(k).copied().unwrap_or_default();
        let lines = |k: &String| histories.lines.get(k).cloned().unwrap_or_default();
        for (key, history) in histories.registers.iter() {
            let started = Instant::now();
            let detail = check(&CasRegister::new(0i64), history, budget);
            let elapsed = started.elapsed();
            let verdict = KeyVerdict::from(&detail);
            keys.push(KeyReport {
                key: key.clone(),
                model: "register",
                counts: counts(key),
                verdict,
                detail,
                elapsed,
                lines: lines(key),
            });
        }
        for (key, history) in histories.counters.iter() {
            let started = Instant::now();
            let detail = check(&Counter::default(), history, budget);
            let elapsed = started.elapsed();
            let verdict = KeyVerdict::from(&detail);
            keys.push(KeyReport {
                key: key.clone(),
                model: "counter",
                counts: counts(key),
                verdict,
                detail,
                elapsed,
                lines: lines(key),
            });
        }
        Report { keys }
    }

    /// The outcome counts over every key.
    pub fn totals(&self) -> Counts {
        self.keys.iter().fold(Counts::default(), |mut acc, k| {
            acc.ok += k.counts.ok;
            acc.fail += k.counts.fail;
            acc.unknown += k.counts.unknown;
            acc
        })
    }

    /// The worst verdict: a violation over an exhausted search over linearizable.
    pub fn verdict(&self) -> KeyVerdict {
        let any = |v| self.keys.iter().any(|k| k.verdict == v);
        if any(KeyVerdict::NotLinearizable) {
            KeyVerdict::NotLinearizable
        } else if any(KeyVerdict::Exhausted) {
            KeyVerdict::Exhausted
        } else {
            KeyVerdict::Linearizable
        }
    }

    /// The time every key's check took together.
    pub fn elapsed(&self) -> Duration {
        self.keys.iter().map(|k| k.elapsed).sum()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<16} {:<8} {:>6} {:>6} {:>6} {:>7} {:>10} {:>10}  verdict",
            "key", "model", "ops", "ok", "fail", "unknown", "steps", "check_ms"
        )?;
        for k in &self.keys {
            let c = k.counts;
            writeln!(
                f,
                "{:<16} {:<8} {:>6} {:>6} {:>6} {:>7} {:>10} {:>10.1}  {}",
                k.key,
                k.model,
                c.total(),
                c.ok,
                c.fail,
                c.unknown,
                k.detail.steps(),
                k.elapsed.as_secs_f64() * 1e3,
                k.verdict
            )?;
            if let Verdict::NotLinearizable(cx) = &k.detail {
                let line = |o: &coterie_check::OpId| k.lines.get(o.0).copied().unwrap_or(0);
                let last = cx.furthest.last().map_or(0, line);
                let stuck: Vec<usize> = cx.stuck.iter().map(line).collect();
                writeln!(
                    f,
                    "  furthest linearization: {} ops (the last at line {last}); no order can go on with the operations at lines {stuck:?}",
                    cx.furthest.len()
                )?;
            }
        }
        let t = self.totals();
        write!(
            f,
            "TOTAL ops={} ok={} fail={} unknown={} verdict={} check_ms={:.1}",
            t.total(),
            t.ok,
            t.fail,
            t.unknown,
            self.verdict(),
            self.elapsed().as_secs_f64() * 1e3
        )
    }
}
