#!/usr/bin/env bash
# The sharded engine's write path with its journal (each member with --data-dir: every write
# fsynced before it is answered) vs the in-memory mode (no --data-dir: nothing journaled, lost on
# restart): two 3-member clusters of the release binary up at once (members on 7401-7403 and
# 7501-7503), 16 clients, 5 s runs after 1 s of warm-up, interleaved, 2 rounds. Stops what it
# started. Usage: scripts/sharded-journal-ab.sh (after `cargo build --release -p coterie-cli`).
set -euo pipefail
cd "$(dirname "$0")/.."
C=${COTERIE:-${CARGO_TARGET_DIR:-target}/release/coterie}
W=$(mktemp -d /tmp/coterie-journal-ab.XXXXXX)
PIDS=()
start() { # start BASE DATA(yes/no)
  local b=$1 m="1=127.0.0.1:$(($1+1)),2=127.0.0.1:$(($1+2)),3=127.0.0.1:$(($1+3))"
  for n in 1 2 3; do
    local d=(); [[ $2 == yes ]] && { mkdir -p $W/$b-$n; d=(--data-dir $W/$b-$n); }
    $C serve --id $n --listen 127.0.0.1:$(($b+$n)) --members $m "${d[@]}" >$W/$b-$n.log 2>&1 & PIDS+=($!)
  done
}
eps() { echo "127.0.0.1:$(($1+1)),127.0.0.1:$(($1+2)),127.0.0.1:$(($1+3))"; }
start 7400 yes; start 7500 no
trap 'kill ${PIDS[*]} 2>/dev/null; wait' EXIT
for b in 7400 7500; do for i in $(seq 120); do $C bench --system coterie --endpoints $(eps $b) --workload sharded-get --clients 1 --duration 1s --warmup 0s --ops 1 --op-timeout 2s 2>/dev/null | grep -Eq '^errors +0$' && break; sleep 0.5; done; done
for round in 1 2; do
  for wl in sharded-incr sharded-incr-each sharded-put; do
    for b in 7400 7500; do
      out=$($C bench --system coterie --endpoints $(eps $b) --workload $wl --clients 16 --duration 5s --warmup 1s --op-timeout 5s 2>&1)
      mode=fsync; [[ $b == 7500 ]] && mode=in-memory
      echo "round $round $wl $mode: $(echo "$out" | grep -E '^(ops/s|p50|p99|errors)' | tr -s ' ' | tr '\n' ';')"
    done
  done
done
