//! Validation: each planted bug is caught, on a named seed, and the same seeds pass without
//! the bug (the CI seeds include them).
//!
//! The seeds were found with `scripts/sim.sh 40 --bug <name>`, in the seeded build (seeds of
//! 0..40 caught, with the workload of locks, semaphores, session expiry and membership
//! changes: stale reads 26, fresh sequence on retry 15, unknown as fail 9, lossy disk 7,
//! parked retry under a fresh sequence 5).
//! In that build a seed replays exactly, so only the named seed runs. In a normal build (no
//! `tokio_unstable`, see `coterie_sim::SEEDED_RUNTIME`) a seed's interleaving can differ from
//! run to run, so if the named seed happens to pass, the next seeds of a short list are tried
//! until one catches the bug.

#![allow(clippy::unwrap_used, reason = "test helper; clippy exempts only #[test] functions themselves")]

use coterie_sim::{Bugs, SEEDED_RUNTIME, SimOptions, SimReport, Status, run};

fn with(seed: u64, bugs: Bugs) -> SimReport {
    run(seed, SimOptions { bugs, ..SimOptions::default() }).unwrap()
}

/// The first report among `seed`, then (in a build that does not replay exactly) `more`, for
/// which `found` holds; the last report tried otherwise.
fn caught(bugs: Bugs, seed: u64, more: std::ops::Range<u64>, found: impl Fn(&SimReport) -> bool) -> (bool, SimReport) {
    let report = with(seed, bugs);
    if found(&report) || SEEDED_RUNTIME {
        return (found(&report), report);
    }
    let mut last = report;
    for other in more {
        last = with(other, bugs);
        if found(&last) {
            return (true, last);
        }
    }
    (false, last)
}

#[test]
fn a_read_answered_by_any_member_without_read_index_is_caught() {
    let bugs = Bugs { stale_reads: true, ..Bugs::default() };
    let (found, report) = caught(bugs, 10, 0..8, SimReport::violates_linearizability);
    assert!(found, "the stale reads were not caught:\n{report}");
}

#[test]
fn a_retry_that_skips_the_dedup_window_is_caught() {
    let bugs = Bugs { fresh_seq_on_retry: true, ..Bugs::default() };
    let (found, report) = caught(bugs, 10, 11..24, SimReport::violates_linearizability);
    assert!(found, "the duplicated retries were not caught:\n{report}");
}

#[test]
fn a_client_that_reports_an_unknown_outcome_as_failed_is_caught() {
    let bugs = Bugs { unknown_as_fail: true, ..Bugs::default() };
    let (found, report) = caught(bugs, 10, 0..24, SimReport::violates_linearizability);
    assert!(found, "the misreported outcomes were not caught:\n{report}");
}

/// A client that resends a parked call under a fresh sequence number each time an attempt
/// answers `StillParked`: every resend enqueues another waiter in the lock's (or the
/// semaphore's) queue, and the earlier ones, which the client no longer waits for, are
/// granted in its session later. Caught when the session is granted the lock a second time
/// after it released it (its next unlock succeeds while the model says it holds nothing), or
/// another session finds the lock held while the history says it is free. Found with
/// `scripts/sim.sh 40 --bug parked-retry-fresh-seq` in the seeded build: seeds 3, 6, 14, 27
/// and 30 of 0..40 caught, all on the lock's key.
#[test]
fn a_parked_call_resent_as_a_new_call_is_caught() {
    let bugs = Bugs { parked_retry_fresh_seq: true, ..Bugs::default() };
    let (found, report) = caught(bugs, 3, 0..40, SimReport::violates_linearizability);
    assert!(found, "the doubly enqueued waiters were not caught:\n{report}");
    assert!(report.keys.iter().any(|k| k.key.starts_with('l') && k.detail.is_some()), "{report}");
}

/// Caught by the liveness phase rather than the checker: the members whose disks lost
/// acknowledged entries never rejoin (openraft stops on the reverted log), and the healed
/// cluster cannot open a session.
#[test]
fn a_disk_that_loses_acknowledged_entries_in_a_crash_is_caught() {
    let bugs = Bugs { lossy_disk: true, ..Bugs::default() };
    let (found, report) = caught(bugs, 28, 0..40, |r| r.status() == Status::Fail);
    assert!(found, "the lost entries were not caught:\n{report}");
}

/// The same planted disk caught by the invariant checkers alone: the histories are
/// linearizable and the healed cluster serves, but writes the clients were told were done
/// are in no member's committed log ("no acknowledged write lost"), or two members applied
/// different entries at one index (state-machine safety). Found with `coterie-sim --seeds
/// 0..40 --bug lossy-disk` in the normal (unseeded) build: caught by an invariant on seeds 2,
/// 8, 14, 28 and 33, and by an invariant only (linearizable, live) on 8 and 33. Since that
/// build does not replay a seed exactly, and the seeded one was not searched, the test tries
/// those seeds and then a few more, in any build, until one is caught by an invariant alone.
#[test]
fn a_disk_that_loses_acknowledged_entries_is_caught_by_the_invariant_checkers_alone() {
    let bugs = Bugs { lossy_disk: true, ..Bugs::default() };
    let only_invariants = |r: &SimReport| {
        r.violates_invariants()
            && !r.violates_linearizability()
            && matches!(r.liveness, coterie_sim::Liveness::Served(_))
    };
    let mut last = None;
    for seed in [8, 33, 2, 14, 28].into_iter().chain(34..44) {
        let report = with(seed, bugs);
        if only_invariants(&report) {
            assert!(report.invariants.iter().all(|v| v.contains("violated")), "{report}");
            return;
        }
        last = Some(report);
    }
    panic!("no invariant alone caught the lost entries:\n{}", last.map(|r| r.to_string()).unwrap_or_default());
}
