#!/usr/bin/env bash
# Runs the benchmark matrix against Coterie (3 `coterie serve` processes) and the peers
# (scripts/peers.sh), interleaved A B A B so that machine drift hits every system alike,
# then writes docs/benchmarks.md with `coterie bench report`. Stops everything it started.
#
# Overridable by environment:
#   WORKLOADS ("cp-incr cp-cas cp-get cp-lock cp-lock-each cp-semaphore"; also obj-create obj-cas,
#   the object store's create-only put and ETag compare-and-swap, measured beside etcd only;
#   and sharded-incr sharded-incr-each sharded-put sharded-get sharded-lock, the sharded
#   engine's Counter, Map and Lock, measured beside Redis only: INCR of one key / a key per
#   client, SET, GET, SET NX PX + DEL),
#   CLIENTS ("1 16 64"),
#   PEERS ("etcd zookeeper redis"), ROUNDS (2), DURATION (10s), WARMUP (2s), OP_TIMEOUT (5s),
#   MAX_OPS (2000000), COTERIE_PORT_BASE (7400: the members on 7401-7403), OUT
#   (docs/benchmarks.md), WORK (a fresh temp dir), COTERIE (the binary:
#   $CARGO_TARGET_DIR/release/coterie, else target/release/coterie),
#   FAILOVER_ROUNDS (3; 0 skips it): leader-kill measurements on Coterie and (if in PEERS) etcd,
#   after the matrix, interleaved; the killed member is restarted between rounds.
set -euo pipefail
cd "$(dirname "$0")/.."

WORKLOADS=${WORKLOADS:-"cp-incr cp-cas cp-get cp-lock cp-lock-each cp-semaphore"}
CLIENTS=${CLIENTS:-"1 16 64"}
PEERS=${PEERS:-"etcd zookeeper redis"}
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
OP_TIMEOUT=${OP_TIMEOUT:-5s}
MAX_OPS=${MAX_OPS:-2000000}
FAILOVER_ROUNDS=${FAILOVER_ROUNDS:-3}
OUT=${OUT:-docs/benchmarks.md}
WORK=${WORK:-$(mktemp -d /tmp/coterie-compare.XXXXXX)}
export PEERS_DIR=$WORK/peers
RESULTS=$WORK/results.jsonl
PREAMBLE=$WORK/preamble.md
COTERIE=${COTERIE:-${CARGO_TARGET_DIR:-target}/release/coterie}
# Coterie's members listen on BASE+1..BASE+3: not `coterie dev`'s 7101-7103, so a dev cluster
# left running is neither measured nor disturbed.
COTERIE_PORT_BASE=${COTERIE_PORT_BASE:-7400}
COTERIE_PORTS=("$((COTERIE_PORT_BASE + 1))" "$((COTERIE_PORT_BASE + 2))" "$((COTERIE_PORT_BASE + 3))")
COTERIE_ENDPOINTS=127.0.0.1:${COTERIE_PORTS[0]},127.0.0.1:${COTERIE_PORTS[1]},127.0.0.1:${COTERIE_PORTS[2]}
COTERIE_PIDS=()
STARTED_PEERS=()

declare -A ENDPOINTS=(
  [etcd]=127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379
  [zookeeper]=127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183
  [redis]=127.0.0.1:6379
)
# Workloads a peer has no driver for (the harness refuses them rather than fake them): the
# semaphore on every peer; the object workloads on every peer but etcd; the sharded
# workloads on every peer but Redis.
unsupported() {
  [[ $1 == coterie ]] && return 1
  [[ $2 == cp-semaphore ]] || [[ $2 == obj-* && $1 != etcd ]] || [[ $2 == sharded-* && $1 != redis ]]
}

cleanup() {
  local status=$?
  for pid in "${COTERIE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${COTERIE_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  done
  for peer in "${STARTED_PEERS[@]}"; do scripts/peers.sh stop "$peer" || true; done
  exit "$status"
}
trap cleanup EXIT INT TERM

# Every TCP port this run would listen on (Coterie's and, for each peer in PEERS, the client,
# peer and election ports scripts/peers.sh gives it): the run refuses to start if one is taken,
# rather than measure, or stop, a server it did not start.
declare -A PEER_PORTS=(
  [etcd]="2379 22379 32379 2380 22380 32380"
  [zookeeper]="2181 2182 2183 2888 2889 2890 3888 3889 3890"
  [redis]="6379"
)
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
TAKEN=()
for port in "${COTERIE_PORTS[@]}"; do port_in_use "$port" && TAKEN+=("$port (coterie)"); done
for peer in $PEERS; do
  [[ -v PEER_PORTS[$peer] ]] || { echo "unknown peer $peer in PEERS (etcd, zookeeper, redis)" >&2; exit 2; }
  for port in ${PEER_PORTS[$peer]}; do port_in_use "$port" && TAKEN+=("$port ($peer)"); done
done
if ((${#TAKEN[@]})); then
  echo "compare.sh: refusing to start, these ports on 127.0.0.1 are in use: ${TAKEN[*]}." >&2
  echo "  Stop what listens there (a peer left running: scripts/peers.sh status / stop NAME), or move" >&2
  echo "  Coterie's members with COTERIE_PORT_BASE (now $COTERIE_PORT_BASE: ports BASE+1..BASE+3)." >&2
  exit 1
fi

echo "building coterie (release, with the peer drivers)..." >&2
cargo build --release -p coterie-cli --features peers

COTERIE_MEMBERS=1=127.0.0.1:${COTERIE_PORTS[0]},2=127.0.0.1:${COTERIE_PORTS[1]},3=127.0.0.1:${COTERIE_PORTS[2]}

# alive PID: the process exists and is not a zombie waiting to be reaped.
alive() { kill -0 "$1" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]; }

# start_member N: starts member N (1-3) in the background, its pid in COTERIE_PIDS[N-1].
start_member() {
  local n=$1
  mkdir -p "$WORK/coterie/$n"
  "$COTERIE" serve --id "$n" --listen "127.0.0.1:${COTERIE_PORTS[n - 1]}" --members "$COTERIE_MEMBERS" --data-dir "$WORK/coterie/$n" \
    >>"$WORK/coterie/$n.log" 2>&1 &
  COTERIE_PIDS[n - 1]=$!
}

# wait_coterie: until a tiny bounded write succeeds (it needs a leader and a commit), and
# every member answers status naming a leader (a restarted member has rejoined).
wait_coterie() {
  local deadline=$((SECONDS + 60))
  until "$COTERIE" bench --system coterie --endpoints "$COTERIE_ENDPOINTS" --workload cp-incr --clients 1 \
      --duration 1s --warmup 0s --ops 1 --op-timeout 2s 2>/dev/null | grep -Eq '^errors +0$'; do
    ((SECONDS < deadline)) || { echo "coterie did not become ready in 60s (logs in $WORK/coterie)" >&2; exit 1; }
    sleep 0.5
  done
  for n in 1 2 3; do
    until "$COTERIE" --endpoints "127.0.0.1:${COTERIE_PORTS[n - 1]}" status 2>/dev/null | grep -q ' leader [0-9]'; do
      ((SECONDS < deadline)) || { echo "coterie member $n did not rejoin in 60s (logs in $WORK/coterie)" >&2; exit 1; }
      sleep 0.5
    done
  done
}

start_coterie() {
  for n in 1 2 3; do start_member "$n"; done
  wait_coterie
}

for peer in $PEERS; do
  scripts/peers.sh start "$peer"
  STARTED_PEERS+=("$peer")
done
start_coterie
ENDPOINTS[coterie]=$COTERIE_ENDPOINTS

pids_of() {
  if [[ $1 == coterie ]]; then (IFS=,; echo "${COTERIE_PIDS[*]}"); else paste -sd, "$PEERS_DIR/$1/pids"; fi
}

LOAD_AT_START=$(cut -d' ' -f1 /proc/loadavg)
COMMANDS=()
for round in $(seq "$ROUNDS"); do
  for workload in $WORKLOADS; do
    for clients in $CLIENTS; do
      for system in coterie $PEERS; do
        unsupported "$system" "$workload" && continue
        cmd=("$COTERIE" bench --system "$system" --endpoints "${ENDPOINTS[$system]}" --workload "$workload"
          --clients "$clients" --duration "$DURATION" --warmup "$WARMUP" --ops "$MAX_OPS" --op-timeout "$OP_TIMEOUT"
          --json "$RESULTS" --pids "$(pids_of "$system")")
        echo "round $round: ${cmd[*]}" >&2
        ((round == 1 && clients == ${CLIENTS%% *})) && COMMANDS+=("${cmd[*]}")
        "${cmd[@]}" || echo "run failed: ${cmd[*]}" >&2
      done
    done
  done
done

# Failover: kill (SIGKILL) or pause (SIGSTOP, resumed by the bench) the leader under one
# writer, time until writes resume, restart a killed member. Kill and pause alternate.
FAILOVER_COMMANDS=()
for round in $(seq "$FAILOVER_ROUNDS"); do
  for fault in kill pause; do
  for system in coterie etcd; do
    [[ $system == coterie || " $PEERS " == *" $system "* ]] || continue
    if [[ $system == coterie ]]; then
      member_pids=1=${COTERIE_PIDS[0]},2=${COTERIE_PIDS[1]},3=${COTERIE_PIDS[2]}
    else
      member_pids=$(awk '{printf "%s%d=%s", (NR > 1 ? "," : ""), NR, $1}' "$PEERS_DIR/etcd/pids")
    fi
    cmd=("$COTERIE" bench failover --system "$system" --fault "$fault" --endpoints "${ENDPOINTS[$system]}"
      --member-pids "$member_pids" --timeout 30s --json "$RESULTS")
    echo "failover round $round: ${cmd[*]}" >&2
    ((round == 1)) && FAILOVER_COMMANDS+=("${cmd[*]}")
    "${cmd[@]}" || echo "failover run failed: ${cmd[*]}" >&2
    if [[ $system == coterie ]]; then
      for n in 1 2 3; do alive "${COTERIE_PIDS[n - 1]}" || start_member "$n"; done
      wait_coterie
    else
      scripts/peers.sh revive etcd >&2
    fi
  done
  done
done

{
  echo "## How these were measured"
  echo
  echo "- Date: $(date -u +%Y-%m-%dT%H:%MZ); commit $(git rev-parse --short HEAD)"
  echo "- Coterie: $("$COTERIE" --version 2>/dev/null || echo unknown), 3 \`coterie serve\` processes on loopback"
  echo "- etcd: $(etcd --version 2>/dev/null | head -1 || echo not installed), 3 members"
  echo "- ZooKeeper: $(dpkg-query -W -f='${Version}' zookeeper 2>/dev/null || echo not installed), 3 members"
  echo "- Redis: $(redis-server --version 2>/dev/null | awk '{print $3}' || echo not installed), one server, no persistence"
  echo "- Shape: closed loop, each client its own connection and one request in flight; warm-up $WARMUP, then"
  echo "  $DURATION or $MAX_OPS ops; op timeout $OP_TIMEOUT (a timeout is an error); $ROUNDS interleaved rounds."
  echo "- Every server on this one machine, sharing its cores with the load generator."
  echo "- 1-minute load average when the matrix started: $LOAD_AT_START."
  echo
  echo "Commands (first client count of round 1; the others differ only in \`--clients\`):"
  echo
  echo '```'
  echo "scripts/compare.sh   # WORKLOADS='$WORKLOADS' CLIENTS='$CLIENTS' PEERS='$PEERS' ROUNDS=$ROUNDS"
  printf '%s\n' "${COMMANDS[@]}" | sed "s|$WORK|\$WORK|g"
  ((${#FAILOVER_COMMANDS[@]})) && printf '%s\n' "${FAILOVER_COMMANDS[@]}" | sed -E "s|$WORK|\$WORK|g; s|=[0-9]+|=PID|g"
  echo '```'
} >"$PREAMBLE"

"$COTERIE" bench report --json "$RESULTS" --out "$OUT" --preamble "$PREAMBLE"
echo "wrote $OUT (raw results in $RESULTS)" >&2
