//! The checker against a brute-force enumeration from the definition of linearizability
//! (every subset of the unknown operations, every permutation consistent with real time), on
//! generated register histories with `Unknown` and `Fail` operations.

mod common;

use std::cell::Cell;

use common::{brute_force, build, raw_history};
use coterie_check::models::CasRegister;
use coterie_check::{Budget, Verdict, check};
use proptest::test_runner::{Config, TestCaseError, TestRunner};

#[test]
fn the_checker_agrees_with_brute_force_on_generated_register_histories() {
    let cases = 3000;
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let (yes, no) = (Cell::new(0u32), Cell::new(0u32));
    let model = CasRegister::new(0i64);
    let result = runner.run(&raw_history(7), |raw| {
        let h = build(&raw);
        let mine = check(&model, &h, Budget::default());
        if let Verdict::Exhausted { steps } = mine {
            return Err(TestCaseError::fail(format!("exhausted after {steps} steps")));
        }
        let brute = brute_force(&model, &h);
        if mine.is_linearizable() != brute {
            return Err(TestCaseError::fail(format!(
                "coterie-check says {mine:?}, brute force says {brute} on {h:#?}"
            )));
        }
        if brute {
            yes.set(yes.get() + 1)
        } else {
            no.set(no.get() + 1)
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (yes, no) = (yes.get(), no.get());
    assert!(yes >= cases / 5 && no >= cases / 5, "linearizable {yes}, not {no}");
}
