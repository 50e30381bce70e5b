//! The simulation's CI budget: a bounded set of seeds must pass, and `SIM_SEED` reruns one.
//!
//! Kept small enough for `cargo test --workspace`: with locks that park, the CP semaphore,
//! AtomicReference, expiring sessions and membership changes in the workload, the 40 seeds
//! take 16 to 17.5 s in the test profile on the 2-core development machine (`cargo test -p
//! coterie-sim`: 23 s, built); they took 9 to 14 s before. Sampling for the invariant checkers (`coterie_sim::observe`) costs
//! little once it reads the metrics in place: CPU time of this test's binary, back to back on
//! the same loaded machine, 9.9 and 10.2 s with it, 9.8 and 10.3 s without (11.1 and 12.2 s
//! when it cloned the metrics). `scripts/sim.sh N` runs as many seeds as wanted.

use std::collections::BTreeMap;

use coterie_sim::{Checked, SimOptions, Status, run};

/// How many seeds CI runs, from 0.
const CI_SEEDS: u64 = 40;

#[test]
fn a_bounded_set_of_seeds_passes() {
    let mut failures = Vec::new();
    let mut exhausted = 0;
    // Per key: the seeds that checked it with at least one operation that returned.
    let mut checked: BTreeMap<String, u64> = BTreeMap::new();
    let (mut expiring, mut expired, mut woken, mut cancelled, mut changed) = (0, 0, 0, 0, 0);
    for seed in 0..CI_SEEDS {
        let report = run(seed, SimOptions::default()).unwrap_or_else(|err| panic!("seed {seed}: {err}"));
        for key in &report.keys {
            if key.ok > 0 && matches!(key.verdict, Checked::Linearizable { .. }) {
                *checked.entry(key.key.clone()).or_default() += 1;
            }
        }
        let c = report.coverage;
        expiring += u64::from(report.params.session_ttl.is_some());
        expired += u64::from(c.expired_calls > 0 && c.sessions > report.params.clients);
        woken += u64::from(c.woken_after_parking > 0);
        cancelled += u64::from(c.cancelled > 0);
        changed += u64::from(report.membership_steps >= 2);
        match report.status() {
            Status::Pass => {}
            Status::Exhausted => exhausted += 1,
            Status::Fail => failures.push(report.to_string()),
        }
    }
    assert!(failures.is_empty(), "{} of {CI_SEEDS} seeds failed:\n{}", failures.len(), failures.join("\n"));
    assert!(exhausted <= CI_SEEDS / 4, "{exhausted} of {CI_SEEDS} seeds exhausted the checker's budget");
    // Every model is checked, and the parking, cancelling and expiry paths run, in most seeds.
    for key in ["r0", "r1", "a0", "c0", "l0", "s0"] {
        let seeds = checked.get(key).copied().unwrap_or(0);
        assert!(seeds >= CI_SEEDS * 3 / 4, "{key} was checked in only {seeds} of {CI_SEEDS} seeds");
    }
    assert!(expiring >= 8 && expired >= expiring / 2, "{expired} of {expiring} expiring seeds saw an expiry");
    assert!(woken >= CI_SEEDS / 2, "parked calls were woken after a retry in only {woken} seeds");
    assert!(cancelled >= CI_SEEDS / 4, "parked calls were cancelled in only {cancelled} seeds");
    assert!(changed >= 4, "the membership changed (two steps or more) in only {changed} seeds");
}

/// Seeds that once failed, run on every CI run. 3785 and 4243 failed "no acknowledged write
/// lost" (16 and 22 acknowledged writes "in no log at all", histories linearizable): the
/// simulated disk archived nothing when a snapshot was installed over a log that lacked the
/// snapshot's last entry, so writes committed while one member was cut off were archived by
/// no member once all three had installed snapshots. The disk now archives the entries its
/// node was seen to apply (`Disk::note_applied`). They replayed exactly only in the
/// `tokio_unstable` build (`scripts/sim.sh --tests`), and only with the workload of then
/// (registers, counters, non-blocking locks): since locks park, semaphores and expiring
/// sessions joined the workload, they are two more seeds.
const REGRESSIONS: [u64; 2] = [3785, 4243];

#[test]
fn seeds_that_once_failed_pass() {
    for seed in REGRESSIONS {
        let report = run(seed, SimOptions::default()).unwrap_or_else(|err| panic!("seed {seed}: {err}"));
        assert_ne!(report.status(), Status::Fail, "{report}");
    }
}

/// `SIM_SEED=N cargo test -p coterie-sim --release --test integration -- ci::seed --exact --nocapture`
/// reruns seed N and prints its report; without `SIM_SEED` it does nothing.
#[test]
fn seed() {
    let Some(seed) = std::env::var("SIM_SEED").ok().and_then(|s| s.parse().ok()) else { return };
    let report = run(seed, SimOptions::default()).unwrap();
    println!("{report}");
    assert_ne!(report.status(), Status::Fail, "{report}");
}
