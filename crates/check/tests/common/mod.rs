//! Shared by the cross-checks: a generator of small concurrent register histories and a
//! brute-force checker that works from the definition of linearizability.
#![allow(dead_code, reason = "each test binary uses part of this module")]
#![allow(clippy::unwrap_used, reason = "test helpers; clippy exempts only #[test] functions")]

use coterie_check::models::{RegisterInput, RegisterOutput};
use coterie_check::{History, Model, OpId, Operation, Outcome};
use proptest::prelude::*;

/// A register history of i64 values, initially 0.
pub type Reg = History<RegisterInput<i64>, RegisterOutput<i64>>;

/// How a generated operation ends.
#[derive(Clone, Copy, Debug)]
pub enum Fate {
    /// Took effect, and the client saw the output.
    Ok,
    /// Took effect, the client did not learn it.
    UnknownApplied,
    /// Never took effect, the client did not learn it.
    UnknownGhost,
    /// Never took effect, the client was told.
    Fail,
}

/// The raw draw for one operation.
#[derive(Clone, Debug)]
pub struct RawOp {
    /// The process (for the mutex, also the owner).
    pub process: u64,
    /// Which operation, 0..4, read by each builder its own way.
    pub kind: u8,
    /// A value, 0..3.
    pub value: i64,
    /// A second value, 0..3.
    pub expect: i64,
    /// How long before its linearization point it was invoked.
    pub before: u64,
    /// How long after its linearization point it completed.
    pub after: u64,
    /// How it ended.
    pub fate: Fate,
}

/// The raw draw for one history: operations in linearization order and an optional
/// perturbation (which operation, and
/// how far to move its observed value).
#[derive(Clone, Debug)]
pub struct RawHistory {
    /// The operations, in linearization order.
    pub ops: Vec<RawOp>,
    /// Which operation to perturb (modulo the length) and by how much.
    pub perturb: Option<(usize, i64)>,
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![
        6 => Just(Fate::Ok),
        1 => Just(Fate::UnknownApplied),
        1 => Just(Fate::UnknownGhost),
        1 => Just(Fate::Fail),
    ]
}

fn raw_op(processes: u64, spread: u64) -> impl Strategy<Value = RawOp> {
    (0..processes, 0u8..4, 0i64..3, 0i64..3, 0..spread, 0..spread, fate()).prop_map(
        |(process, kind, value, expect, before, after, fate)| RawOp {
            process,
            kind,
            value,
            expect,
            before,
            after,
            fate,
        },
    )
}

/// Histories of 1 to `max_ops` operations by 3 processes, each operation's interval reaching
/// up to 25 before and after its linearization point (points are 10 apart); 70% get a
/// perturbation (which may be a no-op, on an operation without an observed output).
pub fn raw_history(max_ops: usize) -> impl Strategy<Value = RawHistory> {
    raw_history_with(1..=max_ops, 3, 25, 0.7)
}

/// Histories of `len` operations by `processes` processes, intervals reaching up to `spread`
/// either side of their points (10 apart: about `spread / 5` operations overlap), perturbed
/// with probability `perturbed`.
pub fn raw_history_with(
    len: std::ops::RangeInclusive<usize>,
    processes: u64,
    spread: u64,
    perturbed: f64,
) -> impl Strategy<Value = RawHistory> {
    (prop::collection::vec(raw_op(processes, spread), len), prop::option::weighted(perturbed, (0usize..1000, 0i64..2)))
        .prop_map(|(ops, perturb)| RawHistory { ops, perturb })
}

/// Where the first linearization point lies: late enough that every invoke is at least 0.
fn spread_of(raw: &RawHistory) -> u64 {
    raw.ops.iter().map(|r| r.before).max().unwrap_or(0) + 5
}

/// Builds a history from a real sequential execution of some object: `exec` turns a draw and
/// the object's state into the input, the next state and the output. The linearization point
/// of operation `i` is at time `10 i + c`, and each operation's interval is stretched around
/// its point without overlapping its own process's neighbours. Then the perturbation, if any,
/// replaces one observed output by `perturb(output, amount)` (`None`: report it as `Fail`).
pub fn build_with<S, I, O: Clone>(
    raw: &RawHistory,
    mut state: S,
    exec: impl Fn(&RawOp, &S) -> (I, S, O),
    perturb: impl Fn(&O, i64) -> Option<O>,
) -> History<I, O> {
    let mut ops: Vec<Operation<I, O>> = Vec::new();
    for (i, r) in raw.ops.iter().enumerate() {
        let (input, next, output) = exec(r, &state);
        if matches!(r.fate, Fate::Ok | Fate::UnknownApplied) {
            state = next;
        }
        let point = 10 * i as u64 + spread_of(raw);
        let outcome = match r.fate {
            Fate::Ok => Outcome::Ok(output),
            Fate::UnknownApplied | Fate::UnknownGhost => Outcome::Unknown,
            Fate::Fail => Outcome::Fail,
        };
        ops.push(Operation { process: r.process, invoke: point - r.before, complete: point + r.after, input, outcome });
    }
    // One process runs one operation at a time: clip each interval against the process's
    // next operation's point (every interval still contains its own point).
    for i in 0..ops.len() {
        if let Some(j) = (i + 1..ops.len()).find(|&j| ops[j].process == ops[i].process) {
            let next_point = 10 * j as u64 + spread_of(raw);
            ops[i].complete = ops[i].complete.min(next_point - 2);
            ops[j].invoke = ops[j].invoke.max(ops[i].complete + 1);
        }
    }
    if let Some((at, amount)) = raw.perturb {
        let n = ops.len();
        let op = &mut ops[at % n];
        if let Outcome::Ok(out) = &op.outcome {
            op.outcome = perturb(out, amount).map_or(Outcome::Fail, Outcome::Ok);
        }
    }
    let mut h = History::new();
    for op in ops {
        h.push(op).unwrap();
    }
    h
}

/// A register history (initially 0) from a real execution of reads, writes, compare-and-sets
/// and compare-and-exchanges; the perturbation moves a read value or witness, flips a
/// compare-and-set result, or reports an acknowledged write as failed.
pub fn build(raw: &RawHistory) -> Reg {
    let exec = |r: &RawOp, state: &i64| {
        let state = *state;
        match r.kind {
            0 => (RegisterInput::Read, state, RegisterOutput::Value(state)),
            1 => (RegisterInput::Write(r.value), r.value, RegisterOutput::Written),
            2 => {
                let hit = state == r.expect;
                let input = RegisterInput::CompareAndSet { expect: r.expect, new: r.value };
                (input, if hit { r.value } else { state }, RegisterOutput::Swapped(hit))
            }
            _ => {
                let next = if state == r.expect { r.value } else { state };
                let input = RegisterInput::CompareAndExchange { expect: r.expect, new: r.value };
                (input, next, RegisterOutput::Value(state))
            }
        }
    };
    let perturb = |out: &RegisterOutput<i64>, amount: i64| match out {
        RegisterOutput::Value(x) => Some(RegisterOutput::Value(x + 1 + amount)),
        RegisterOutput::Swapped(b) => Some(RegisterOutput::Swapped(!b)),
        RegisterOutput::Written => None,
    };
    build_with(raw, 0i64, exec, perturb)
}

/// Whether `b` must follow `a` in any linearization: `a` completed (it has a completion
/// bound only if `Ok`) before `b` was invoked.
fn precedes<I, O>(a: &Operation<I, O>, b: &Operation<I, O>) -> bool {
    matches!(a.outcome, Outcome::Ok(_)) && a.complete < b.invoke
}

/// Linearizability from the definition, by exhaustion: for every subset of the `Unknown`
/// operations (with every `Ok` one, without the `Fail` ones) and every permutation of it that
/// no real-time precedence contradicts, replay the model. Exponential: at most 8 operations.
pub fn brute_force<M: Model>(model: &M, h: &History<M::Input, M::Output>) -> bool {
    let ops = h.ops();
    assert!(ops.len() <= 8, "brute force is for tiny histories");
    let unknown: Vec<usize> = (0..ops.len()).filter(|&i| matches!(ops[i].outcome, Outcome::Unknown)).collect();
    let ok: Vec<usize> = (0..ops.len()).filter(|&i| matches!(ops[i].outcome, Outcome::Ok(_))).collect();
    for mask in 0u32..(1 << unknown.len()) {
        let mut chosen = ok.clone();
        chosen.extend(unknown.iter().enumerate().filter(|(b, _)| mask & (1 << b) != 0).map(|(_, &i)| i));
        let mut found = false;
        permutations(&mut chosen, 0, &mut |perm| {
            if found {
                return;
            }
            let order_ok =
                (0..perm.len()).all(|x| (x + 1..perm.len()).all(|y| !precedes(&ops[perm[y]], &ops[perm[x]])));
            if order_ok && replay(model, h, perm) {
                found = true;
            }
        });
        if found {
            return true;
        }
    }
    false
}

fn replay<M: Model>(model: &M, h: &History<M::Input, M::Output>, order: &[usize]) -> bool {
    let mut state = model.init();
    for &i in order {
        let op = h.get(OpId(i)).unwrap();
        let output = match &op.outcome {
            Outcome::Ok(o) => Some(o),
            _ => None,
        };
        match model.step(&state, &op.input, output) {
            Some(s) => state = s,
            None => return false,
        }
    }
    true
}

fn permutations(items: &mut Vec<usize>, k: usize, visit: &mut dyn FnMut(&[usize])) {
    if k == items.len() {
        visit(items);
        return;
    }
    for i in k..items.len() {
        items.swap(k, i);
        permutations(items, k + 1, visit);
        items.swap(k, i);
    }
}

/// Runs `cases` generated histories (of up to `max_ops` operations, made by `build`) through
/// the checker and through `oracle`, another checker named `oracle_name`, and requires the
/// same verdict on every one, with at least a fifth of each verdict: a generator that made
/// only one kind would make the agreement mean little.
pub fn agree_with<M: Model>(
    model: &M,
    cases: u32,
    max_ops: usize,
    build: impl Fn(&RawHistory) -> History<M::Input, M::Output>,
    oracle_name: &str,
    oracle: impl Fn(&History<M::Input, M::Output>) -> bool,
) {
    use std::cell::Cell;

    use coterie_check::{Budget, Verdict, check};
    use proptest::test_runner::{Config, TestCaseError, TestRunner};

    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let (yes, no) = (Cell::new(0u32), Cell::new(0u32));
    let result = runner.run(&raw_history(max_ops), |raw| {
        let h = build(&raw);
        let mine = check(model, &h, Budget::default());
        if let Verdict::Exhausted { steps } = mine {
            return Err(TestCaseError::fail(format!("exhausted after {steps} steps")));
        }
        let theirs = oracle(&h);
        if mine.is_linearizable() != theirs {
            return Err(TestCaseError::fail(format!(
                "coterie-check says {mine:?}, {oracle_name} says {theirs} on {h:#?}"
            )));
        }
        let tally = if theirs { &yes } else { &no };
        tally.set(tally.get() + 1);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (yes, no) = (yes.get(), no.get());
    assert!(yes >= cases / 5 && no >= cases / 5, "linearizable {yes}, not {no}");
}
