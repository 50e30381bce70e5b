//! Determinism: the same seed gives the same trace (every network decision and client event
//! with its virtual time, hashed), and a different seed a different one.
//!
//! Exact replay needs tokio's own generator seeded, which only a `--cfg tokio_unstable` build
//! can do ([`coterie_sim::SEEDED_RUNTIME`]); `scripts/sim.sh --tests` builds that way and runs
//! this test. In a normal build it is skipped: two runs of one seed
//! then diverge as soon as two tasks wait on one `watch` channel (measured in the session
//! report), each still a valid run to check.

use coterie_sim::{SimOptions, run};

#[test]
#[cfg_attr(not(tokio_unstable), ignore = "exact replay needs --cfg tokio_unstable: run scripts/sim.sh --tests")]
fn a_seed_replays_to_the_same_trace() {
    for seed in [1, 7, 10] {
        let options = SimOptions { keep_trace: true, ..SimOptions::default() };
        let (a, b) = (run(seed, options).unwrap(), run(seed, options).unwrap());
        if a.trace.hash() != b.trace.hash() {
            let (la, lb) = (a.trace.lines().unwrap_or_default(), b.trace.lines().unwrap_or_default());
            let first = la.iter().zip(lb).position(|(x, y)| x != y).unwrap_or(la.len().min(lb.len()));
            panic!("seed {seed} diverged at event {first}:\n  {:?}\n  {:?}", la.get(first), lb.get(first));
        }
        assert_eq!(a.trace.events(), b.trace.events());
    }
    let other = run(2, SimOptions::default()).unwrap();
    assert_ne!(other.trace.hash(), run(1, SimOptions::default()).unwrap().trace.hash());
}
