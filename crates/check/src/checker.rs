//! Wing & Gong's linearizability search with Lowe's memoization.
//!
//! This is the algorithm behind Knossos and Porcupine. A history is linearizable iff its
//! operations can be ordered so that (1) every `Ok` operation appears, every `Fail` operation
//! does not, and any subset of the `Unknown` operations appears; (2) the order respects real
//! time: if `a` completed before `b` was invoked, `a` comes first; (3) replaying the order
//! through the model accepts every operation with its observed output.
//!
//! The search builds the order one linearization point at a time. In a given configuration
//! (the set of operations already linearized, the model state), an operation may go next iff
//! it is not linearized yet and no other pending `Ok` operation completed before it was
//! invoked: that is, its invoke is at most the earliest completion among pending `Ok`
//! operations. The search succeeds once every `Ok` operation is linearized (the `Unknown` ones
//! left over never took effect). It backtracks depth-first, and it never explores the same
//! (linearized set, state) configuration twice: whatever can follow it depends only on that
//! pair, which is Lowe's observation and what makes the search practical.
//!
//! The search is bounded by a [`Budget`] of model steps so that a pathological history yields
//! [`Verdict::Exhausted`] instead of running forever.

use std::collections::{BTreeMap, HashSet};

use crate::history::{History, KeyedHistory, OpId, Outcome};
use crate::model::Model;

/// How much work one check may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// The most model steps (attempts to linearize one operation) the search may take.
    pub max_steps: u64,
}

impl Default for Budget {
    /// One million model steps: well under a second for the small models of this crate.
    fn default() -> Self {
        Self { max_steps: 1_000_000 }
    }
}

/// Why a history is not linearizable: where the search got furthest and what stopped it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample {
    /// The longest partial linearization the search found, in order.
    pub furthest: Vec<OpId>,
    /// The operations that could go next after `furthest` (real-time order allows them) but
    /// that the model rejected there. The `Ok` operations among them are the ones that could
    /// not be linearized.
    pub stuck: Vec<OpId>,
    /// The model steps the search took to rule out every linearization.
    pub steps: u64,
}

/// The result of a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Linearizable, with a witness: the operations that took effect, in order. `Unknown`
    /// operations that appear in it took effect; those that do not, never did.
    Linearizable {
        /// The witness order.
        linearization: Vec<OpId>,
        /// The model steps the search took.
        steps: u64,
    },
    /// No linearization exists.
    NotLinearizable(Counterexample),
    /// The budget ran out before the search could decide.
    Exhausted {
        /// The model steps taken.
        steps: u64,
    },
}

impl Verdict {
    /// Whether this is [`Verdict::Linearizable`].
    pub fn is_linearizable(&self) -> bool {
        matches!(self, Verdict::Linearizable { .. })
    }

    /// The model steps the search took.
    pub fn steps(&self) -> u64 {
        match self {
            Verdict::Linearizable { steps, .. } | Verdict::Exhausted { steps } => *steps,
            Verdict::NotLinearizable(c) => c.steps,
        }
    }

    /// Whether this is [`Verdict::NotLinearizable`].
    pub fn is_not_linearizable(&self) -> bool {
        matches!(self, Verdict::NotLinearizable(_))
    }
}

/// A set of operation indices, as a bitset (any history length).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct OpSet(Vec<u64>);

impl OpSet {
    fn new(len: usize) -> Self {
        Self(vec![0; len.div_ceil(64)])
    }

    fn contains(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    fn insert(&mut self, i: usize) {
        if let Some(w) = self.0.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }

    fn remove(&mut self, i: usize) {
        if let Some(w) = self.0.get_mut(i / 64) {
            *w &= !(1 << (i % 64));
        }
    }
}

/// An operation the search considers: `Fail` operations are dropped up front.
struct Candidate<'h, I, O> {
    id: OpId,
    invoke: u64,
    /// `None` for `Unknown`: no completion bound.
    complete: Option<u64>,
    input: &'h I,
    /// `None` for `Unknown`: any output.
    output: Option<&'h O>,
}

/// One level of the depth-first search: the configuration reached and the next candidate to
/// try from it.
struct Frame<S> {
    state: S,
    /// The candidate (index into the candidate list) linearized to reach this frame.
    via: Option<usize>,
    next: usize,
    /// The candidates the model rejected from this configuration.
    stuck: Vec<OpId>,
}

/// For each candidate, the `Unknown` candidate with an equal input invoked just before it
/// (ties broken by record order), if it is `Unknown` itself.
///
/// Two `Unknown` operations with equal inputs are interchangeable except for their invoke
/// times: both have no completion bound and an unconstrained output, so the earlier-invoked
/// one can take any place in a linearization the later one can (swap them, or put the earlier
/// one where the later one was if only the later one took effect). Linearizing such twins only
/// in invoke order therefore loses no linearization, and turns the 2^k subsets of k pending
/// twins the search could otherwise try into k + 1 prefixes: a counter with many timed-out
/// increments stays cheap to check.
fn earlier_twins<I: Eq, O>(ops: &[Candidate<'_, I, O>]) -> Vec<Option<usize>> {
    let mut unknown: Vec<usize> = (0..ops.len()).filter(|&i| ops[i].complete.is_none()).collect();
    unknown.sort_by_key(|&i| (ops[i].invoke, i));
    let mut twin = vec![None; ops.len()];
    // The last member seen of each class of equal inputs, in invoke order.
    let mut last: Vec<usize> = Vec::new();
    for i in unknown {
        match last.iter_mut().find(|j| ops[**j].input == ops[i].input) {
            Some(j) => {
                twin[i] = Some(*j);
                *j = i;
            }
            None => last.push(i),
        }
    }
    twin
}

/// Checks one history against `model` within `budget`.
pub fn check<M: Model>(model: &M, history: &History<M::Input, M::Output>, budget: Budget) -> Verdict {
    let ops: Vec<Candidate<'_, M::Input, M::Output>> = history
        .ops()
        .iter()
        .enumerate()
        .filter_map(|(i, op)| {
            let (complete, output) = match &op.outcome {
                Outcome::Ok(out) => (Some(op.complete), Some(out)),
                Outcome::Unknown => (None, None),
                Outcome::Fail => return None,
            };
            Some(Candidate { id: OpId(i), invoke: op.invoke, complete, input: &op.input, output })
        })
        .collect();
    let n = ops.len();
    let required = ops.iter().filter(|c| c.complete.is_some()).count();
    let twin = earlier_twins(&ops);
    // Candidates are tried in history order from each configuration. (Trying the returned
    // operations before the Unknown ones decided a chaos-run counter with 26 Unknown
    // increments in 2.9 s instead of 142 s, but made linearizable register histories with
    // Unknown operations cost 9 times the steps `tests/scale.rs` allows; not kept.)
    let order: Vec<usize> = (0..n).collect();

    let mut linearized = OpSet::new(n);
    let mut done_required = 0usize;
    let mut visited: HashSet<(OpSet, M::State)> = HashSet::new();
    let mut stack: Vec<Frame<M::State>> = vec![Frame { state: model.init(), via: None, next: 0, stuck: Vec::new() }];
    let mut steps = 0u64;
    let mut best: (Vec<OpId>, Vec<OpId>) = (Vec::new(), Vec::new());
    let mut best_depth: Option<usize> = None;

    while let Some(top) = stack.last_mut() {
        if done_required == required {
            let linearization = stack.iter().filter_map(|f| f.via).map(|c| ops[c].id).collect();
            return Verdict::Linearizable { linearization, steps };
        }
        // The earliest completion among pending Ok operations bounds which may go next.
        let deadline = ops
            .iter()
            .enumerate()
            .filter(|(i, _)| !linearized.contains(*i))
            .filter_map(|(_, c)| c.complete)
            .min()
            .unwrap_or(u64::MAX);
        let mut child = None;
        while let Some(&i) = order.get(top.next) {
            top.next += 1;
            let c = &ops[i];
            if linearized.contains(i) || c.invoke > deadline {
                continue;
            }
            // An Unknown operation goes only after its earlier twin (see `earlier_twins`).
            if twin[i].is_some_and(|j| !linearized.contains(j)) {
                continue;
            }
            if steps >= budget.max_steps {
                return Verdict::Exhausted { steps };
            }
            steps += 1;
            let Some(state) = model.step(&top.state, c.input, c.output) else {
                top.stuck.push(c.id);
                continue;
            };
            linearized.insert(i);
            if !visited.insert((linearized.clone(), state.clone())) {
                linearized.remove(i);
                continue;
            }
            if c.complete.is_some() {
                done_required += 1;
            }
            child = Some(Frame { state, via: Some(i), next: 0, stuck: Vec::new() });
            break;
        }
        if let Some(frame) = child {
            stack.push(frame);
            continue;
        }
        // Every candidate from this configuration is exhausted: remember it if it is the
        // furthest so far, then backtrack.
        let stuck = std::mem::take(&mut top.stuck);
        let depth = stack.len() - 1;
        if best_depth.is_none_or(|d| depth > d) {
            best_depth = Some(depth);
            let path = stack.iter().filter_map(|f| f.via).map(|c| ops[c].id).collect();
            best = (path, stuck);
        }
        if let Some(frame) = stack.pop()
            && let Some(i) = frame.via
        {
            linearized.remove(i);
            if ops[i].complete.is_some() {
                done_required -= 1;
            }
        }
    }
    Verdict::NotLinearizable(Counterexample { furthest: best.0, stuck: best.1, steps })
}

/// Checks every key of a keyed history on its own (linearizability is local), returning the
/// verdict of each key.
pub fn check_keyed<K: Ord + Clone, M: Model>(
    model: &M,
    history: &KeyedHistory<K, M::Input, M::Output>,
    budget: Budget,
) -> BTreeMap<K, Verdict> {
    history.iter().map(|(k, h)| (k.clone(), check(model, h, budget))).collect()
}
