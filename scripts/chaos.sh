#!/usr/bin/env bash
# Real-process fault runs (issue 10, item 6). For each scenario: starts 3 `coterie serve`
# members on fresh data dirs, records a client history with `coterie-chaos run` while it
# injects the scenario's faults, heals everything, then checks the history for
# linearizability with `coterie-chaos check`. Stops everything it started, by PID.
#
#   scripts/chaos.sh [kill9|pause|killall|partition ...]    (default: all four)
#
# Scenarios:
#   kill9      kill -9 a member (the CP leader, then a random one, alternating), restart it on
#              its data dir, repeat.
#   pause      SIGSTOP a member (leader / random, alternating) for PAUSE_S seconds, SIGCONT.
#   killall    kill -9 every member at once, restart them all on their data dirs, repeat.
#   partition  members in network namespaces of their own, bridged in a hub namespace where
#              the client runs; a member (leader / random) is cut off from the other members
#              with blackhole routes on both sides (the client still reaches every member),
#              then healed. Needs root (`ip netns add`); skipped, saying why, otherwise.
# Every other scenario listens on 127.0.0.1 only; the partition one only inside its own
# namespaces (10.77.0.0/24 on a bridge in the hub namespace, no link to the host).
#
# Overridable by environment: DURATION_S (20: the recorded run), HEAL_S (6: the quiet tail,
# no faults, at the end of the run), CLIENTS (8), OP_TIMEOUT (2s), PAUSE_S (3),
# PROFILE (debug or release), WORK (a fresh temp dir: histories, logs, reports),
# RESULTS (WORK/results.md: one markdown table row per scenario).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION_S=${DURATION_S:-20}
HEAL_S=${HEAL_S:-6}
CLIENTS=${CLIENTS:-8}
OP_TIMEOUT=${OP_TIMEOUT:-2s}
PAUSE_S=${PAUSE_S:-3}
PROFILE=${PROFILE:-debug}
WORK=${WORK:-$(mktemp -d /tmp/coterie-chaos.XXXXXX)}
RESULTS=${RESULTS:-$WORK/results.md}
TARGET=${CARGO_TARGET_DIR:-target}/$PROFILE
COTERIE=$TARGET/coterie
CHAOS=$TARGET/coterie-chaos
SCENARIOS=("$@")
((${#SCENARIOS[@]})) || SCENARIOS=(kill9 pause killall partition)

PIDS=()        # member pids, index n-1
NS=()          # member network namespaces (partition scenario), index n-1
HUB=""         # the hub namespace (partition scenario)
ADDR=()        # member addresses, index n-1
RECORDER=""

log() { echo "[chaos $(date -u +%T)] $*" >&2; }

# in_ns N CMD...: runs CMD in member N's namespace (or here, without namespaces).
in_ns() { local n=$1; shift; if ((${#NS[@]})); then ip netns exec "${NS[n - 1]}" "$@"; else "$@"; fi; }
# in_hub CMD...: runs CMD where the client runs.
in_hub() { if [[ -n $HUB ]]; then ip netns exec "$HUB" "$@"; else "$@"; fi; }

stop_members() {
  for pid in "${PIDS[@]}"; do [[ -n $pid ]] && { kill -CONT "$pid" 2>/dev/null; kill -9 "$pid" 2>/dev/null; } || true; done
  for pid in "${PIDS[@]}"; do [[ -n $pid ]] && wait "$pid" 2>/dev/null || true; done
  PIDS=()
}

teardown_netns() {
  for ns in "${NS[@]}" $HUB; do ip netns del "$ns" 2>/dev/null || true; done
  NS=()
  HUB=""
}

cleanup() {
  local status=$?
  [[ -n $RECORDER ]] && kill -9 "$RECORDER" 2>/dev/null || true
  stop_members
  teardown_netns
  exit "$status"
}
trap cleanup EXIT INT TERM

log "building coterie and coterie-chaos ($PROFILE)..."
BUILD=(cargo build -p coterie-cli -p coterie-chaos)
[[ $PROFILE == release ]] && BUILD+=(--release)
"${BUILD[@]}" >&2

# free_port: a TCP port nobody listens on here.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 20000))
    ss -Htln "sport = :$port" | grep -q . || { echo "$port"; return; }
  done
}

members_flag() { local out="" n; for n in 1 2 3; do out+="${out:+,}$n=${ADDR[n - 1]}"; done; echo "$out"; }
endpoints() { (IFS=,; echo "${ADDR[*]}"); }

# start_member N: member N on its data dir, in its namespace if any.
start_member() {
  local n=$1 dir=$SCENARIO_DIR/member$n
  mkdir -p "$dir"
  local cmd=("$COTERIE" serve --id "$n" --members "$(members_flag)" --data-dir "$dir")
  # Not through a shell function: `$!` must be coterie's own pid (ip netns exec execs it).
  if ((${#NS[@]})); then ip netns exec "${NS[n - 1]}" "${cmd[@]}" >>"$dir.log" 2>&1 &
  else "${cmd[@]}" >>"$dir.log" 2>&1 & fi
  PIDS[n - 1]=$!
}

# wait_ready: until one small write succeeds (a leader, a commit), bounded.
wait_ready() {
  local deadline=$((SECONDS + 60))
  until in_hub "$COTERIE" --endpoints "$(endpoints)" atomic-long chaos-ready increment >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { log "the cluster did not become ready in 60s (logs in $SCENARIO_DIR)"; exit 1; }
    sleep 0.5
  done
}

# leader: the member id leading the CP group the AtomicLongs live in (per member 1's or any
# answering member's view), or a random member if none answers.
leader() {
  local n id
  for n in 1 2 3; do
    id=$(in_hub timeout 3 "$COTERIE" --endpoints "${ADDR[n - 1]}" status 2>/dev/null \
      | grep -E '^  group default ' | grep -oE ' leader [0-9]+' | head -1 | grep -oE '[0-9]+' || true)
    [[ -n $id ]] && { echo "$id"; return; }
  done
  echo $((1 + RANDOM % 3))
}

# target I: the member the I-th fault hits: the leader on even I, a random member on odd I.
target() {
  local n
  if (($1 % 2 == 0)); then n=$(leader); log "fault $1 targets the default group's leader, member $n"
  else n=$((1 + RANDOM % 3)); log "fault $1 targets random member $n"; fi
  echo "$n"
}

setup_netns() {
  if ! ip netns add "coterie-chaos-probe-$$" 2>/dev/null; then
    log "network namespaces are not usable here (ip netns add failed as $(id -un)): skipping partition"
    return 1
  fi
  ip netns del "coterie-chaos-probe-$$"
  HUB=coterie-chaos-hub-$$
  ip netns add "$HUB"
  ip -n "$HUB" link set lo up
  ip -n "$HUB" link add br0 type bridge
  ip -n "$HUB" addr add 10.77.0.100/24 dev br0
  ip -n "$HUB" link set br0 up
  local n ns
  for n in 1 2 3; do
    ns=coterie-chaos-$$-$n
    NS[n - 1]=$ns
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip -n "$HUB" link add "m$n" type veth peer name eth0 netns "$ns"
    ip -n "$HUB" link set "m$n" master br0 up
    ip -n "$ns" addr add "10.77.0.$n/24" dev eth0
    ip -n "$ns" link set eth0 up
    ADDR[n - 1]=10.77.0.$n:7101
  done
}

# isolate N / heal N: cut member N off from the other members (both directions), or undo it.
isolate() { local n=$1 m; for m in 1 2 3; do ((m == n)) && continue
  ip -n "${NS[n - 1]}" route add blackhole "10.77.0.$m/32"; ip -n "${NS[m - 1]}" route add blackhole "10.77.0.$n/32"; done; }
heal() { local n=$1 m; for m in 1 2 3; do ((m == n)) && continue
  ip -n "${NS[n - 1]}" route del blackhole "10.77.0.$m/32" 2>/dev/null || true
  ip -n "${NS[m - 1]}" route del blackhole "10.77.0.$n/32" 2>/dev/null || true; done; }

# nemesis SCENARIO: injects faults until the quiet tail; echoes what it injected.
nemesis() {
  local until=$((SECONDS + DURATION_S - HEAL_S)) i=0 n pid
  sleep 2
  while ((SECONDS < until)); do
    case $1 in
      kill9)
        n=$(target "$i"); pid=${PIDS[n - 1]}
        log "kill -9 member $n (pid $pid)"; kill -9 "$pid" || log "member $n was not running"; wait "$pid" 2>/dev/null || true
        sleep 1; start_member "$n"; sleep 3 ;;
      pause)
        n=$(target "$i"); pid=${PIDS[n - 1]}
        log "SIGSTOP member $n (pid $pid) for ${PAUSE_S}s"; kill -STOP "$pid" || true; sleep "$PAUSE_S"; kill -CONT "$pid" || true; sleep 2 ;;
      killall)
        log "kill -9 every member (pids ${PIDS[*]})"
        for pid in "${PIDS[@]}"; do kill -9 "$pid" || true; done
        for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
        sleep 1; for n in 1 2 3; do start_member "$n"; done; sleep 6 ;;
      partition)
        n=$(target "$i")
        log "isolate member $n from the other members for 4s"; isolate "$n"; sleep 4; heal "$n"; sleep 3 ;;
    esac
    i=$((i + 1))
  done
  INJECTED=$i
}

run_scenario() {
  local scenario=$1
  SCENARIO_DIR=$WORK/$scenario
  mkdir -p "$SCENARIO_DIR"
  ADDR=()
  if [[ $scenario == partition ]]; then
    setup_netns || { echo "| partition | skipped: network namespaces not usable | | | | | | |" >>"$RESULTS"; return; }
  else
    local n; for n in 1 2 3; do ADDR[n - 1]=127.0.0.1:$(free_port); done
  fi
  for n in 1 2 3; do start_member "$n"; done
  wait_ready
  local history=$SCENARIO_DIR/history.jsonl
  log "$scenario: recording ${DURATION_S}s, $CLIENTS clients, members $(endpoints)"
  local cmd=("$CHAOS" run --endpoints "$(endpoints)" --duration "${DURATION_S}s" --clients "$CLIENTS"
    --op-timeout "$OP_TIMEOUT" --prefix "$scenario" --seed "$RANDOM" --out "$history")
  [[ -n $HUB ]] && cmd=(ip netns exec "$HUB" "${cmd[@]}")
  echo "${cmd[*]}" >"$SCENARIO_DIR/recorder.cmd"
  "${cmd[@]}" 2>>"$SCENARIO_DIR/recorder.log" &
  RECORDER=$!
  INJECTED=0
  nemesis "$scenario"
  wait "$RECORDER" || log "the recorder failed (see $SCENARIO_DIR/recorder.log)"
  RECORDER=""
  stop_members
  teardown_netns
  local started=$EPOCHREALTIME status=0
  "$CHAOS" check "$history" >"$SCENARIO_DIR/check.txt" || status=$?
  local wall
  wall=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
  cat "$SCENARIO_DIR/check.txt" >&2
  local total
  total=$(grep '^TOTAL' "$SCENARIO_DIR/check.txt" || echo "TOTAL check failed (status $status)")
  log "$scenario: $INJECTED faults; $total; check wall ${wall}ms; exit $status"
  # | scenario | faults | ops | ok | fail | unknown | verdict | check ms (search / wall) |
  echo "$total" | awk -v s="$scenario" -v f="$INJECTED" -v w="$wall" '{
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "| %s | %s | %s | %s | %s | %s | %s | %s / %s |\n", s, f, v["ops"], v["ok"], v["fail"], v["unknown"], v["verdict"], v["check_ms"], w
  }' >>"$RESULTS"
}

echo "| scenario | faults injected | ops | ok | fail | unknown | verdict | check ms (search / wall) |" >"$RESULTS"
echo "|---|---|---|---|---|---|---|---|" >>"$RESULTS"
for scenario in "${SCENARIOS[@]}"; do
  case $scenario in kill9 | pause | killall | partition) run_scenario "$scenario" ;; *) log "unknown scenario $scenario"; exit 2 ;; esac
done
log "results (histories, logs and reports in $WORK):"
cat "$RESULTS"
