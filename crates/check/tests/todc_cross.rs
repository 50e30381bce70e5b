//! The checker against todc-utils' `WGLChecker`, an independent implementation of the same
//! algorithm, on the same generated register histories.
//!
//! todc-utils only takes complete histories (every call has a response), so each history is
//! translated without losing meaning: `Fail` operations are dropped; an `Unknown` operation
//! either never took effect (dropped) or took effect successfully with a response after every
//! other event (a write, a swapping compare-and-set, a compare-and-exchange that found its
//! expected value). An unknown read, or an unknown compare that did not swap, changes no state,
//! so any linearization using it also works without it. The history is linearizable iff one
//! of these 2^k translations is, for todc-utils.

use crate::common;

use common::{Reg, agree_with, build};
use coterie_check::Outcome;
use coterie_check::models::{CasRegister, RegisterInput, RegisterOutput};
use todc_utils::linearizability::WGLChecker;
use todc_utils::linearizability::history::{Action, History as TodcHistory};
use todc_utils::specifications::Specification;

/// A register operation as todc-utils sees it: the call carries no output, the response does.
#[derive(Clone, Debug)]
enum TOp {
    Read(Option<i64>),
    Write(i64),
    Cas(i64, i64, Option<bool>),
    Cax(i64, i64, Option<i64>),
}

struct TodcRegister;

impl Specification for TodcRegister {
    type State = i64;
    type Operation = TOp;

    fn init() -> i64 {
        0
    }

    fn apply(op: &TOp, state: &i64) -> (bool, i64) {
        match op {
            TOp::Read(Some(v)) => (v == state, *state),
            TOp::Write(v) => (true, *v),
            TOp::Cas(e, n, Some(swapped)) => {
                let hit = e == state;
                (hit == *swapped, if hit && *swapped { *n } else { *state })
            }
            TOp::Cax(e, n, Some(w)) => (w == state, if e == state && w == state { *n } else { *state }),
            _ => (false, *state),
        }
    }
}

fn call(input: &RegisterInput<i64>) -> TOp {
    match input {
        RegisterInput::Read => TOp::Read(None),
        RegisterInput::Write(v) => TOp::Write(*v),
        RegisterInput::CompareAndSet { expect, new } => TOp::Cas(*expect, *new, None),
        RegisterInput::CompareAndExchange { expect, new } => TOp::Cax(*expect, *new, None),
    }
}

/// The response for an observed output, or for an unknown operation assumed to succeed
/// (`None`: an unknown operation that cannot change state, so it is always dropped).
fn response(input: &RegisterInput<i64>, out: Option<&RegisterOutput<i64>>) -> Option<TOp> {
    Some(match (input, out) {
        (RegisterInput::Read, Some(RegisterOutput::Value(v))) => TOp::Read(Some(*v)),
        (RegisterInput::Write(v), _) => TOp::Write(*v),
        (RegisterInput::CompareAndSet { expect, new }, Some(RegisterOutput::Swapped(b))) => {
            TOp::Cas(*expect, *new, Some(*b))
        }
        (RegisterInput::CompareAndSet { expect, new }, None) => TOp::Cas(*expect, *new, Some(true)),
        (RegisterInput::CompareAndExchange { expect, new }, Some(RegisterOutput::Value(w))) => {
            TOp::Cax(*expect, *new, Some(*w))
        }
        (RegisterInput::CompareAndExchange { expect, new }, None) => TOp::Cax(*expect, *new, Some(*expect)),
        _ => return None,
    })
}

/// todc-utils' verdict: some translation of the unknown operations is linearizable.
fn todc_verdict(h: &Reg) -> bool {
    let ops = h.ops();
    let unknown: Vec<usize> = (0..ops.len())
        .filter(|&i| matches!(ops[i].outcome, Outcome::Unknown) && response(&ops[i].input, None).is_some())
        .collect();
    let end = ops.iter().map(|o| o.complete.max(o.invoke)).max().unwrap_or(0) + 1;
    (0u32..(1 << unknown.len())).any(|mask| {
        // (time, is_response, process, action): calls before responses at equal times, since
        // equal times overlap.
        let mut events: Vec<(u64, bool, usize, Action<TOp>)> = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            let (complete, resp) = match &op.outcome {
                Outcome::Ok(out) => (op.complete, response(&op.input, Some(out))),
                Outcome::Fail => continue,
                Outcome::Unknown => match unknown.iter().position(|&u| u == i) {
                    Some(b) if mask & (1 << b) != 0 => (end, response(&op.input, None)),
                    _ => continue,
                },
            };
            let Some(resp) = resp else { continue };
            // One todc process per operation: its processes pair calls and responses FIFO,
            // and an unknown operation extended to the end overlaps its process's later ones.
            events.push((op.invoke, false, i, Action::Call(call(&op.input))));
            events.push((complete, true, i, Action::Response(resp)));
        }
        if events.is_empty() {
            return true;
        }
        events.sort_by_key(|e| (e.0, e.1));
        let actions = events.into_iter().map(|(_, _, p, a)| (p, a)).collect();
        WGLChecker::<TodcRegister>::is_linearizable(TodcHistory::from_actions(actions))
    })
}

#[test]
fn the_checker_agrees_with_todc_utils_on_generated_register_histories() {
    agree_with(&CasRegister::new(0i64), 3000, 8, build, "todc-utils", todc_verdict);
}
