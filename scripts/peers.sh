#!/usr/bin/env bash
# Starts or stops the peers Coterie is benchmarked against, on 127.0.0.1 only:
#   scripts/peers.sh start|stop|status etcd|zookeeper|redis|all
#   scripts/peers.sh revive etcd    (restart the etcd members that died, e.g. killed by a failover run)
# - etcd: a 3-member cluster, clients on 127.0.0.1:2379,22379,32379
# - zookeeper: a 3-member ensemble, clients on 127.0.0.1:2181,2182,2183
# - redis: one server on 127.0.0.1:6379 (no persistence)
# Installs the Debian packages if missing (etcd-server etcd-client, zookeeper, redis-server).
# Data and logs live under $PEERS_DIR (default: /tmp/coterie-peers); every process started is
# recorded in $PEERS_DIR/<peer>/pids and stopped by that PID. Waits are bounded.
set -euo pipefail

PEERS_DIR=${PEERS_DIR:-/tmp/coterie-peers}
READY_TIMEOUT=${READY_TIMEOUT:-60}

die() { echo "peers.sh: $*" >&2; exit 1; }

need_packages() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if ((${#missing[@]})); then
    echo "installing ${missing[*]}" >&2
    local sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# wait_for DESCRIPTION COMMAND...: retries COMMAND until it succeeds, at most READY_TIMEOUT s.
wait_for() {
  local what=$1; shift
  local deadline=$((SECONDS + READY_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$what was not ready after ${READY_TIMEOUT}s (logs in $PEERS_DIR)"
    sleep 0.5
  done
}

running() { [[ -s $PEERS_DIR/$1/pids ]]; }

ETCD_PORTS=(2379 22379 32379)
ETCD_PEER_PORTS=(2380 22380 32380)

# start_etcd_member I: starts member mI (0-based) in the background and prints its pid.
start_etcd_member() {
  local i=$1 dir=$PEERS_DIR/etcd cluster=""
  for j in 0 1 2; do cluster+="${cluster:+,}m$j=http://127.0.0.1:${ETCD_PEER_PORTS[$j]}"; done
  etcd --name "m$i" --data-dir "$dir/m$i" \
    --listen-client-urls "http://127.0.0.1:${ETCD_PORTS[$i]}" --advertise-client-urls "http://127.0.0.1:${ETCD_PORTS[$i]}" \
    --listen-peer-urls "http://127.0.0.1:${ETCD_PEER_PORTS[$i]}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${ETCD_PEER_PORTS[$i]}" \
    --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token coterie-bench \
    >>"$dir/m$i.log" 2>&1 &
  echo $!
}

etcd_healthy() {
  wait_for "etcd" env ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379 endpoint health
}

start_etcd() {
  need_packages etcd-server etcd-client
  local dir=$PEERS_DIR/etcd
  mkdir -p "$dir"
  for i in 0 1 2; do start_etcd_member "$i" >>"$dir/pids"; done
  etcd_healthy
  echo "etcd ready: 127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379 (pids $(paste -sd, "$dir/pids"))"
}

# revive_etcd: restarts every member whose recorded process is gone (after a failover
# measurement killed it), keeping the pids file's order (line I+1 is member mI).
revive_etcd() {
  local dir=$PEERS_DIR/etcd pids=() revived=""
  mapfile -t pids <"$dir/pids"
  for i in 0 1 2; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null || [[ $(awk '{print $3}' "/proc/${pids[$i]}/stat" 2>/dev/null) == Z ]]; then
      pids[i]=$(start_etcd_member "$i")
      revived+=" m$i"
    fi
  done
  printf '%s\n' "${pids[@]}" >"$dir/pids"
  etcd_healthy
  echo "etcd revived:${revived:- none} (pids $(paste -sd, "$dir/pids"))"
}

zk_ok() { # zk_ok PORT: the member answers 'srvr' as leader or follower
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf srvr >&3
  local answer; answer=$(timeout 2 cat <&3 || true)
  exec 3>&-
  grep -Eq "Mode: (leader|follower)" <<<"$answer"
}

start_zookeeper() {
  need_packages zookeeper
  local dir=$PEERS_DIR/zookeeper
  mkdir -p "$dir"
  for i in 1 2 3; do
    mkdir -p "$dir/m$i/data" "$dir/m$i/conf"
    echo "$i" >"$dir/m$i/data/myid"
    cat >"$dir/m$i/conf/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$dir/m$i/data
clientPort=$((2180 + i))
clientPortAddress=127.0.0.1
maxClientCnxns=0
4lw.commands.whitelist=srvr,ruok
admin.enableServer=false
server.1=127.0.0.1:2888:3888
server.2=127.0.0.1:2889:3889
server.3=127.0.0.1:2890:3890
CFG
    cp /etc/zookeeper/conf/log4j.properties "$dir/m$i/conf/" 2>/dev/null || true
    ZOO_LOG_DIR="$dir/m$i" JVMFLAGS="-Xmx512m" \
      /usr/share/zookeeper/bin/zkServer.sh start-foreground "$dir/m$i/conf/zoo.cfg" >"$dir/m$i.log" 2>&1 &
    echo $! >>"$dir/pids"
  done
  for port in 2181 2182 2183; do wait_for "zookeeper member on $port" zk_ok "$port"; done
  echo "zookeeper ready: 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183 (pids $(paste -sd, "$dir/pids"))"
}

start_redis() {
  need_packages redis-server
  local dir=$PEERS_DIR/redis
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port 6379 --dir "$dir" --save '' --appendonly no --daemonize no \
    --protected-mode yes >"$dir/redis.log" 2>&1 &
  echo $! >>"$dir/pids"
  wait_for "redis" redis-cli -h 127.0.0.1 -p 6379 ping
  echo "redis ready: 127.0.0.1:6379 (pid $(cat "$dir/pids"))"
}

stop_peer() {
  local dir=$PEERS_DIR/$1
  [[ -f $dir/pids ]] || { echo "$1 is not running (no $dir/pids)"; return 0; }
  local pids; pids=$(cat "$dir/pids")
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  local deadline=$((SECONDS + 20))
  for pid in $pids; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
  echo "$1 stopped (pids $(tr '\n' ' ' <<<"$pids"))"
}

action=${1:-}; peer=${2:-}
case $peer in etcd|zookeeper|redis) peers=("$peer") ;; all) peers=(etcd zookeeper redis) ;; *) die "usage: $0 start|stop|status etcd|zookeeper|redis|all" ;; esac
for p in "${peers[@]}"; do
  case $action in
    start) running "$p" && die "$p already started (pids in $PEERS_DIR/$p/pids); stop it first"; "start_$p" ;;
    stop) stop_peer "$p" ;;
    revive) [[ $p == etcd ]] || die "revive is only for etcd"; running etcd || die "etcd is not started"; revive_etcd ;;
    status) if running "$p"; then echo "$p: pids $(paste -sd, "$PEERS_DIR/$p/pids")"; else echo "$p: stopped"; fi ;;
    *) die "usage: $0 start|stop|status|revive etcd|zookeeper|redis|all" ;;
  esac
done
