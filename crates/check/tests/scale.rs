//! How large a history the checker decides within the default budget, as regression tests.
//!
//! Measured on generated register histories (20 each, test profile), in model steps:
//! linearizable-by-construction histories take about 2 steps per operation even with unknown
//! operations (500 operations by 8 processes, about 10 overlapping: at most 1,945; 1000
//! operations: 4,595). Histories with a violation and no unknown operations: at most 7,680
//! (500 operations) and 15,317 (1000); with about 20 operations overlapping, 26,580 (200); with
//! about 40 overlapping, 3.1 million (100). Histories with a violation *and* unknown operations
//! are the hard case: the search must rule out every subset of the unknown operations, and from
//! 100 operations on, one or two in twenty exhaust even ten million steps (`Exhausted`).

use crate::common;

use common::{Fate, build, raw_history_with};
use coterie_check::models::CasRegister;
use coterie_check::{Budget, Verdict, check};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

fn run(cases: u32, strategy: impl Strategy<Value = common::RawHistory>, want: fn(&Verdict) -> bool) {
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let result = runner.run(&strategy, |raw| {
        let h = build(&raw);
        let v = check(&CasRegister::new(0i64), &h, Budget::default());
        if !want(&v) {
            return Err(TestCaseError::fail(format!("{} operations: {v:?}", h.len())));
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn a_linearizable_history_of_500_operations_with_unknowns_is_confirmed_within_budget() {
    let s = raw_history_with(500..=500, 8, 50, 0.5).prop_map(|mut r| {
        r.perturb = None;
        r
    });
    run(20, s, |v| v.is_linearizable() && v.steps() < 20_000);
}

#[test]
fn a_perturbed_history_of_300_operations_without_unknowns_is_decided_within_budget() {
    let s = raw_history_with(300..=300, 6, 50, 0.99).prop_map(|mut r| {
        for op in &mut r.ops {
            if matches!(op.fate, Fate::UnknownApplied | Fate::UnknownGhost) {
                op.fate = Fate::Ok;
            }
        }
        r
    });
    run(20, s, |v| !matches!(v, Verdict::Exhausted { .. }));
}
