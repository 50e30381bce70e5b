#!/usr/bin/env bash
# An interleaved A/B of two Coterie clusters up at once: cluster A (members on 7401-7403) runs
# binary $A, cluster B (7501-7503) binary $B; each with a data dir (journaled, fsynced) unless
# A_DATA/B_DATA=no (the in-memory mode). Each round runs every workload on A, then on B, so
# drift on this machine hits both alike; give A and B the same binary to see the noise.
# Stops what it started (by PID) and refuses to start if a port it needs is taken.
#
#   A=/tmp/coterie-old B=target/release/coterie scripts/ab.sh
#   WORKLOADS="cp-incr cp-lock" CLIENTS="1 16" ROUNDS=3 A=... B=... scripts/ab.sh
#
# Defaults: A and B the release binary, WORKLOADS="sharded-incr sharded-incr-each sharded-put",
# CLIENTS=16, ROUNDS=2, DURATION=5s, WARMUP=1s.
set -euo pipefail
cd "$(dirname "$0")/.."
DEFAULT=${CARGO_TARGET_DIR:-target}/release/coterie
A=${A:-$DEFAULT} B=${B:-$DEFAULT}
A_DATA=${A_DATA:-yes} B_DATA=${B_DATA:-yes}
WORKLOADS=${WORKLOADS:-sharded-incr sharded-incr-each sharded-put}
CLIENTS=${CLIENTS:-16} ROUNDS=${ROUNDS:-2} DURATION=${DURATION:-5s} WARMUP=${WARMUP:-1s}
for bin in "$A" "$B"; do [[ -x $bin ]] || { echo "no executable $bin (build with: cargo build --release -p coterie-cli)" >&2; exit 2; }; done
for port in 7401 7402 7403 7501 7502 7503; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then echo "port $port is taken: stop what listens there first" >&2; exit 2; fi
done
W=$(mktemp -d /tmp/coterie-ab.XXXXXX)
PIDS=()
trap 'kill ${PIDS[*]} 2>/dev/null; wait; rm -rf "$W"' EXIT
start() { # start BIN BASE DATA(yes/no)
  local bin=$1 b=$2 m="1=127.0.0.1:$(($2+1)),2=127.0.0.1:$(($2+2)),3=127.0.0.1:$(($2+3))"
  for n in 1 2 3; do
    local d=(); [[ $3 == yes ]] && { mkdir -p "$W/$b-$n"; d=(--data-dir "$W/$b-$n"); }
    "$bin" serve --id $n --listen 127.0.0.1:$(($b+$n)) --members $m "${d[@]}" >"$W/$b-$n.log" 2>&1 & PIDS+=($!)
  done
}
eps() { echo "127.0.0.1:$(($1+1)),127.0.0.1:$(($1+2)),127.0.0.1:$(($1+3))"; }
start "$A" 7400 "$A_DATA"; start "$B" 7500 "$B_DATA"
# Ready once one sharded read and one CP write succeed (bounded: 60 s).
for b in 7400 7500; do
  ready=no
  for _ in $(seq 120); do
    if "$A" bench --system coterie --endpoints "$(eps $b)" --workload sharded-get --clients 1 --duration 1s --warmup 0s --ops 1 --op-timeout 2s 2>/dev/null | grep -Eq '^errors +0$' &&
       "$A" bench --system coterie --endpoints "$(eps $b)" --workload cp-incr --clients 1 --duration 1s --warmup 0s --ops 1 --op-timeout 2s 2>/dev/null | grep -Eq '^errors +0$'; then
      ready=yes; break
    fi
    sleep 0.5
  done
  [[ $ready == yes ]] || { echo "cluster on $(eps $b) never became ready; logs in $W" >&2; trap - EXIT; kill ${PIDS[*]} 2>/dev/null; exit 3; }
done
echo "A: $A (data: $A_DATA)  B: $B (data: $B_DATA)"
for round in $(seq "$ROUNDS"); do
  for wl in $WORKLOADS; do
    for clients in $CLIENTS; do
      for side in A B; do
        b=7400; [[ $side == B ]] && b=7500
        out=$("$A" bench --system coterie --endpoints "$(eps $b)" --workload "$wl" --clients "$clients" --duration "$DURATION" --warmup "$WARMUP" --op-timeout 5s 2>&1)
        echo "round $round $wl clients $clients $side: $(echo "$out" | grep -E '^(ops/s|p50|p99|errors)' | tr -s ' ' | tr '\n' ';')"
      done
    done
  done
done
