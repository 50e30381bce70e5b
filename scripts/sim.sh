#!/usr/bin/env bash
# Runs the deterministic CP simulation (crates/sim).
#
#   scripts/sim.sh N                 runs seeds FIRST..FIRST+N (FIRST=0 unless set), prints the
#                                    counts of pass / fail / exhausted and the failing seeds
#   scripts/sim.sh --seed S [...]    runs one seed; any other coterie-sim flag passes through
#                                    (--bug stale-reads|fresh-seq-on-retry|unknown-as-fail|
#                                    lossy-disk|parked-retry-fresh-seq, --trace, --twice)
#   scripts/sim.sh --tests           runs the crate's tests in the seeded build, where the replay
#                                    test (crates/sim/tests/determinism.rs) is not skipped
#
# It builds with `--cfg tokio_unstable`, which is what lets the simulation seed tokio's own
# generator (it decides the wake order of a watch channel's waiters): only in that build does
# a seed replay exactly. The flag changes every crate's build, so it uses its own target
# directory (SIM_TARGET_DIR, default target/sim-unstable) and never disturbs the normal one.
# Exit status: 0 if every run passed or was exhausted, 1 if any failed, 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."

export RUSTFLAGS="--cfg tokio_unstable"
export CARGO_TARGET_DIR=${SIM_TARGET_DIR:-target/sim-unstable}
FIRST=${FIRST:-0}

if [[ $# -lt 1 ]]; then
    sed -n '2,15p' "$0" >&2
    exit 2
fi
if [[ $1 == --tests ]]; then
    exec cargo test --quiet -p coterie-sim --release
fi
cargo build --quiet -p coterie-sim --release
BIN=$CARGO_TARGET_DIR/release/coterie-sim
if [[ $1 =~ ^[0-9]+$ ]]; then
    N=$1
    shift
    # The per-seed headline, whatever went wrong, and the totals.
    "$BIN" --seeds "$FIRST..$((FIRST + N))" "$@" |
        grep -v -E '^  ([a-z][0-9]+: .*→ Linearizable|liveness: Served|network: |invariants over |sessions: )' || exit $?
else
    exec "$BIN" "$@"
fi
