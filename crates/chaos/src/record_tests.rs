#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use coterie_check::Budget;

use super::*;
use crate::report::{KeyVerdict, Report};

fn line(process: u64, key: &str, input: Input, invoke: u64, complete: u64, outcome: RecordOutcome) -> String {
    serde_json::to_string(&Record { process, key: key.to_owned(), input, invoke, complete, outcome }).unwrap()
}

fn ok(v: Output) -> RecordOutcome {
    RecordOutcome::Ok(v)
}

fn verdict(lines: &[String]) -> KeyVerdict {
    let histories = Histories::parse(&lines.join("\n")).unwrap();
    Report::check(&histories, Budget::default()).verdict()
}

#[test]
fn a_record_round_trips_through_its_line() {
    let record = Record {
        process: 3,
        key: "k".into(),
        input: Input::Cas { expect: 1, new: 2 },
        invoke: 10,
        complete: 20,
        outcome: ok(Output::Swapped(true)),
    };
    let text = serde_json::to_string(&record).unwrap();
    assert_eq!(serde_json::from_str::<Record>(&text).unwrap(), record);
}

#[test]
fn a_sequential_register_history_is_linearizable() {
    let h = [
        line(0, "r", Input::Write { value: 2 }, 0, 1, ok(Output::Written)),
        line(1, "r", Input::Cas { expect: 2, new: 3 }, 2, 3, ok(Output::Swapped(true))),
        line(0, "r", Input::Read, 4, 5, ok(Output::Value(3))),
    ];
    assert_eq!(verdict(&h), KeyVerdict::Linearizable);
}

#[test]
fn a_stale_read_after_a_completed_write_is_caught() {
    let h = [
        line(0, "r", Input::Write { value: 2 }, 0, 1, ok(Output::Written)),
        line(1, "r", Input::Read, 2, 3, ok(Output::Value(0))),
    ];
    assert_eq!(verdict(&h), KeyVerdict::NotLinearizable);
}

#[test]
fn an_unknown_write_may_have_happened_and_a_failed_one_did_not() {
    let unknown = [
        line(0, "r", Input::Write { value: 2 }, 0, 1, RecordOutcome::Unknown("timeout".into())),
        line(1, "r", Input::Read, 5, 6, ok(Output::Value(2))),
        line(1, "r", Input::Read, 7, 8, ok(Output::Value(2))),
    ];
    assert_eq!(verdict(&unknown), KeyVerdict::Linearizable);
    let failed = [
        line(0, "r", Input::Write { value: 2 }, 0, 1, RecordOutcome::Fail("unavailable".into())),
        line(1, "r", Input::Read, 5, 6, ok(Output::Value(2))),
    ];
    assert_eq!(verdict(&failed), KeyVerdict::NotLinearizable);
}

#[test]
fn a_duplicated_increment_is_caught() {
    // Two increments that returned 1 and 2, then a read of 3: one was applied twice.
    let h = [
        line(0, "c", Input::Incr, 0, 1, ok(Output::Value(1))),
        line(1, "c", Input::Incr, 2, 3, ok(Output::Value(2))),
        line(0, "c", Input::Count, 4, 5, ok(Output::Value(3))),
    ];
    assert_eq!(verdict(&h), KeyVerdict::NotLinearizable);
    let concurrent =
        [line(0, "c", Input::Incr, 0, 10, ok(Output::Value(2))), line(1, "c", Input::Incr, 1, 9, ok(Output::Value(1)))];
    assert_eq!(verdict(&concurrent), KeyVerdict::Linearizable);
}

#[test]
fn keys_are_checked_apart_and_counted() {
    let h = [
        line(0, "a", Input::Write { value: 1 }, 0, 1, ok(Output::Written)),
        line(1, "b", Input::Read, 2, 3, ok(Output::Value(0))),
        line(2, "c", Input::Incr, 0, 1, RecordOutcome::Unknown("x".into())),
        line(3, "c", Input::Incr, 0, 1, RecordOutcome::Fail("y".into())),
    ];
    let histories = Histories::parse(&h.join("\n")).unwrap();
    let report = Report::check(&histories, Budget::default());
    assert_eq!(report.verdict(), KeyVerdict::Linearizable);
    assert_eq!(report.keys.len(), 3);
    assert_eq!(histories.counts["c"], Counts { ok: 0, fail: 1, unknown: 1 });
    assert_eq!(report.totals(), Counts { ok: 2, fail: 1, unknown: 1 });
}

#[test]
fn malformed_histories_are_refused_with_their_line() {
    let mixed =
        [line(0, "k", Input::Read, 0, 1, ok(Output::Value(0))), line(0, "k", Input::Incr, 2, 3, ok(Output::Value(1)))];
    assert!(matches!(Histories::parse(&mixed.join("\n")), Err(RecordError::MixedKey { line: 2, .. })));
    let mismatch = [line(0, "k", Input::Read, 0, 1, ok(Output::Written))];
    assert!(matches!(Histories::parse(&mismatch.join("\n")), Err(RecordError::OutputMismatch { line: 1, .. })));
    let backwards = [line(0, "k", Input::Read, 5, 1, ok(Output::Value(0)))];
    assert!(matches!(Histories::parse(&backwards.join("\n")), Err(RecordError::Malformed { line: 1, .. })));
    assert!(matches!(Histories::parse("{not json"), Err(RecordError::Parse { line: 1, .. })));
}
