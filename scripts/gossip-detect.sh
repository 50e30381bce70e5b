#!/usr/bin/env bash
# Gossip failure detection on real processes (issue 11, item 1). Each round starts three
# `coterie serve` members with --gossip and --seeds (every member's gossip address, started
# in the order 3, 1, 2), waits until members 1 and 2 print that member 3 is up, kills
# member 3 with kill -9, and reports how long until both print that it is down (gossip's
# suggestion) and until both print that the committed member table says so (the metadata
# leader's decision, which makes its partitions lost until it returns); then stops
# member 2 with SIGTERM and reports how long until member 1 prints that it has left. Waits
# poll the members' logs every 5 ms, bounded (10 s). Stops everything it started, by PID.
#
#   scripts/gossip-detect.sh [ROUNDS]      (default 5)
#
# Overridable by environment: BIN (target/debug/coterie, or $CARGO_TARGET_DIR/debug/coterie),
# BASE_TCP (7301), BASE_UDP (7401), WORK (a fresh temp dir for the logs).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-5}
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/debug/coterie}
BASE_TCP=${BASE_TCP:-7301}
BASE_UDP=${BASE_UDP:-7401}
WORK=${WORK:-$(mktemp -d)}
[[ -x "$BIN" ]] || { echo "no $BIN: run cargo build -p coterie-cli first" >&2; exit 1; }

# The members share a cluster secret, so gossip datagrams are authenticated as in production.
export COTERIE_CLUSTER_SECRET=${COTERIE_CLUSTER_SECRET:-gossip-detect-secret-0001}
MEMBERS="1=127.0.0.1:$BASE_TCP,2=127.0.0.1:$((BASE_TCP + 1)),3=127.0.0.1:$((BASE_TCP + 2))"
SEEDS="127.0.0.1:$BASE_UDP,127.0.0.1:$((BASE_UDP + 1)),127.0.0.1:$((BASE_UDP + 2))"
declare -A PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# Waits (at most 10 s) until every "FILE:PATTERN" argument matches; the seconds waited.
wait_for() {
  local start now
  start=$(date +%s.%N)
  for _ in $(seq 1 2000); do
    local all=1
    for spec in "$@"; do grep -q "${spec#*:}" "$WORK/${spec%%:*}" || all=0; done
    if (( all )); then now=$(date +%s.%N); echo "$now - $start" | bc; return 0; fi
    sleep 0.005
  done
  echo "timeout after 10 s waiting for: $*" >&2
  return 1
}

for round in $(seq 1 "$ROUNDS"); do
  PIDS=()
  for i in 3 1 2; do
    "$BIN" serve --id "$i" --members "$MEMBERS" --gossip "127.0.0.1:$((BASE_UDP + i - 1))" --seeds "$SEEDS" \
      >"$WORK/log$i" 2>&1 &
    PIDS[$i]=$!
  done
  wait_for "log1:member 3 .* is up" "log2:member 3 .* is up" "log2:member 1 .* is up" >/dev/null
  sleep 0.$((RANDOM % 10))   # a random phase against the probe period
  kill -9 "${PIDS[3]}"; wait "${PIDS[3]}" 2>/dev/null || true; unset 'PIDS[3]'
  down=$(wait_for "log1:member 3 .* is down as" "log2:member 3 .* is down as")
  committed=$(wait_for "log1:member 3 .* is down in the committed" "log2:member 3 .* is down in the committed")
  committed=$(echo "$down + $committed" | bc)
  kill -TERM "${PIDS[2]}"
  left=$(wait_for "log1:member 2 .* is left")
  wait "${PIDS[2]}" || true; unset 'PIDS[2]'
  kill -TERM "${PIDS[1]}"; wait "${PIDS[1]}" || true; unset 'PIDS[1]'
  echo "round $round: kill -9 -> gossip down at both others ${down}s, committed down at both ${committed}s; SIGTERM -> left ${left}s"
done
