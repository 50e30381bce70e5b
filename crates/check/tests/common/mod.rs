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
    process: u64,
    kind: u8,
    value: i64,
    expect: i64,
    before: u64,
    after: u64,
    fate: Fate,
}

/// The raw draw for one history: operations in linearization order and an optional
/// perturbation (which operation, and
/// how far to move its observed value).
#[derive(Clone, Debug)]
pub struct RawHistory {
    ops: Vec<RawOp>,
    perturb: Option<(usize, i64)>,
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![
        6 => Just(Fate::Ok),
        1 => Just(Fate::UnknownApplied),
        1 => Just(Fate::UnknownGhost),
        1 => Just(Fate::Fail),
    ]
}

fn raw_op() -> impl Strategy<Value = RawOp> {
    (0u64..3, 0u8..4, 0i64..3, 0i64..3, 0u64..25, 0u64..25, fate()).prop_map(
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

/// Histories of 1 to `max_ops` operations; 70% get a perturbation (which may be a no-op, on
/// an operation without an observed output).
pub fn raw_history(max_ops: usize) -> impl Strategy<Value = RawHistory> {
    (prop::collection::vec(raw_op(), 1..=max_ops), prop::option::weighted(0.7, (0usize..16, 0i64..2)))
        .prop_map(|(ops, perturb)| RawHistory { ops, perturb })
}

/// Builds the history: a real sequential execution of a register (linearization point of
/// operation `i` at time `10 i + 30`), each operation's interval stretched around its point
/// without overlapping its own process's neighbours, then the perturbation applied: a changed
/// read value or witness, a flipped compare-and-set result, or an acknowledged write reported
/// as failed.
pub fn build(raw: &RawHistory) -> Reg {
    let mut state = 0i64;
    let mut ops: Vec<Operation<RegisterInput<i64>, RegisterOutput<i64>>> = Vec::new();
    for (i, r) in raw.ops.iter().enumerate() {
        let input = match r.kind {
            0 => RegisterInput::Read,
            1 => RegisterInput::Write(r.value),
            2 => RegisterInput::CompareAndSet { expect: r.expect, new: r.value },
            _ => RegisterInput::CompareAndExchange { expect: r.expect, new: r.value },
        };
        let applied = matches!(r.fate, Fate::Ok | Fate::UnknownApplied);
        let (next, output) = match &input {
            RegisterInput::Read => (state, RegisterOutput::Value(state)),
            RegisterInput::Write(v) => (*v, RegisterOutput::Written),
            RegisterInput::CompareAndSet { expect, new } => {
                if state == *expect {
                    (*new, RegisterOutput::Swapped(true))
                } else {
                    (state, RegisterOutput::Swapped(false))
                }
            }
            RegisterInput::CompareAndExchange { expect, new } => {
                (if state == *expect { *new } else { state }, RegisterOutput::Value(state))
            }
        };
        if applied {
            state = next;
        }
        let point = 10 * i as u64 + 30;
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
            let next_point = 10 * j as u64 + 30;
            ops[i].complete = ops[i].complete.min(next_point - 2);
            ops[j].invoke = ops[j].invoke.max(ops[i].complete + 1);
        }
    }
    if let Some((at, v)) = raw.perturb {
        let n = ops.len();
        let op = &mut ops[at % n];
        op.outcome = match (&op.outcome, &op.input) {
            (Outcome::Ok(RegisterOutput::Value(x)), _) => Outcome::Ok(RegisterOutput::Value(x + 1 + v)),
            (Outcome::Ok(RegisterOutput::Swapped(b)), _) => Outcome::Ok(RegisterOutput::Swapped(!b)),
            (Outcome::Ok(RegisterOutput::Written), _) => Outcome::Fail,
            (other, _) => other.clone(),
        };
    }
    let mut h = Reg::new();
    for op in ops {
        h.push(op).unwrap();
    }
    h
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
