#!/usr/bin/env bash
# A throwaway S3-compatible store for berth's tests: Ceph RADOS Gateway on a
# single-node Ceph (1 mon, 1 OSD on a sparse bluestore file, no mgr), all on
# 127.0.0.1, no system service, everything in one state directory. Debian 12
# packages ceph-mon ceph-osd radosgw ceph-common uuid-runtime (installed by
# scripts/install-deps.sh). Starts in about 10 s.
#
#   scripts/test-backends/rgw.sh start          # start (idempotent); prints the env
#   scripts/test-backends/rgw.sh env            # prints `export` lines for a running one
#   scripts/test-backends/rgw.sh stop           # kills the daemons, deletes the state
#   scripts/test-backends/rgw.sh stop-gateway   # kills only radosgw (fault tests)
#   scripts/test-backends/rgw.sh start-gateway  # starts it again on the same port
#
#   eval "$(scripts/test-backends/rgw.sh start)"
#
# Printed variables:
#   BERTH_TEST_S3_ENDPOINT    http://127.0.0.1:<port> (path-style addressing)
#   BERTH_TEST_S3_ACCESS_KEY  the S3 user's key (random per start)
#   BERTH_TEST_S3_SECRET_KEY
#   BERTH_TEST_S3_REGION      us-east-1
#   BERTH_TEST_RGW_STATE      the state directory
#
# State directory: $BERTH_TEST_RGW_STATE if set, else
# ${TMPDIR:-/tmp}/berth-test-rgw-<uid>; it must be on a disk filesystem
# (bluestore opens its block file with O_DIRECT, which tmpfs refuses). Ports
# are free ones picked at random; the daemons' messenger ports lie in
# 6800-7300. Test settings only: no authentication between the daemons,
# one replica, deleted data reclaimed within seconds.
set -euo pipefail

STATE=${BERTH_TEST_RGW_STATE:-${TMPDIR:-/tmp}/berth-test-rgw-$(id -u)}
case $STATE in
  /?*/?*) ;;
  *) echo "rgw.sh: BERTH_TEST_RGW_STATE must be an absolute path two levels deep (it is deleted)" >&2; exit 2 ;;
esac
CONF=$STATE/ceph.conf

log() { printf 'rgw.sh: %s\n' "$*" >&2; }
die() {
  log "$*"
  local f
  for f in "$STATE"/log/*.log "$STATE"/log/*.out; do
    [[ -s $f ]] && { echo "---- $f" >&2; tail -n 15 "$f" >&2; }
  done
  exit 1
}

for tool in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool ceph-authtool uuidgen; do
  command -v "$tool" >/dev/null || { echo "rgw.sh: $tool is missing (install Debian ceph-mon ceph-osd radosgw ceph-common uuid-runtime)" >&2; exit 1; }
done

ceph_() { timeout 30 ceph -c "$CONF" "$@"; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Two consecutive free ports for the monitor (msgr v1 and v2).
free_port_pair() {
  local p
  for _ in $(seq 1 50); do
    p=$(free_port)
    if ((p < 65535)) && python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', $((p + 1))))" 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  die "no two consecutive free ports"
}

# Running, and not a zombie waiting to be reaped.
alive() {
  [[ -f $STATE/pids/$1 ]] || return 1
  local pid
  pid=$(cat "$STATE/pids/$1")
  kill -0 "$pid" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]]
}

spawn() {
  local name=$1
  shift
  nohup "$@" >"$STATE/log/$name.out" 2>&1 </dev/null &
  echo $! >"$STATE/pids/$name"
  disown $! 2>/dev/null || true
}

# Kills one daemon by its recorded PID, only if that PID still runs our
# configuration (a recycled PID is left alone).
kill_daemon() {
  local name=$1 pid
  [[ -f $STATE/pids/$name ]] || return 0
  pid=$(cat "$STATE/pids/$name")
  if [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *"$CONF"* ]]; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  for _ in $(seq 1 50); do
    alive "$name" || break
    sleep 0.1
  done
  rm -f "$STATE/pids/$name"
}

write_conf() {
  local mon=$1 rgw=$2
  cat >"$CONF" <<CONF
[global]
fsid = $(uuidgen)
mon_host = [v2:127.0.0.1:$((mon + 1)),v1:127.0.0.1:$mon]
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_ipv4 = true
ms_bind_ipv6 = false
ms_bind_port_min = 6800
ms_bind_port_max = 7300
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
# without cephx, daemons must not ask the monitor for msgr2 secure mode
ms_mon_client_mode = crc
ms_client_mode = crc
keyring = $STATE/keyring
run_dir = $STATE/run
admin_socket = $STATE/run/\$name.asok
log_file = $STATE/log/\$name.log
pid_file = $STATE/run/\$name.pid
crash_dir = $STATE/crash
log_to_stderr = false
err_to_stderr = false
mon_cluster_log_file = $STATE/log/cluster.log
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
mon_data_avail_warn = 2
mon_data_avail_crit = 1
mon_max_pg_per_osd = 1000
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
# pool creation by radosgw waits on the monitor's proposal interval (1 s)
paxos_propose_interval = 0.05
paxos_min_wait = 0.01

[mon]
mon_data = $STATE/mon.\$id

[osd]
osd_data = $STATE/osd.\$id
osd_objectstore = bluestore
bluestore_block_create = true
bluestore_block_size = $((16 * 1024 * 1024 * 1024))
bluestore_fsck_on_mkfs = false
bluestore_fsck_on_mount = false
osd_memory_target = 1073741824

[client.rgw.test]
rgw_frontends = beast endpoint=127.0.0.1:$rgw
rgw_data = $STATE/rgw
rgw_dns_name = localhost
rgw_gc_obj_min_wait = 5
rgw_gc_processor_period = 5
CONF
}

print_env() {
  echo "export BERTH_TEST_S3_ENDPOINT='http://127.0.0.1:$(cat "$STATE/rgw_port")'"
  echo "export BERTH_TEST_S3_ACCESS_KEY='$(cat "$STATE/access_key")'"
  echo "export BERTH_TEST_S3_SECRET_KEY='$(cat "$STATE/secret_key")'"
  echo "export BERTH_TEST_S3_REGION='us-east-1'"
  echo "export BERTH_TEST_RGW_STATE='$STATE'"
}

wait_gateway() {
  local endpoint=http://127.0.0.1:$(cat "$STATE/rgw_port")
  for _ in $(seq 1 240); do
    curl -fsS "$endpoint/" 2>/dev/null | grep -q ListAllMyBucketsResult && return 0
    alive rgw || die "radosgw died"
    sleep 0.25
  done
  die "radosgw does not answer on $endpoint"
}

start_gateway() {
  alive rgw && return 0
  spawn rgw radosgw -c "$CONF" -f -n client.rgw.test --keyring "$STATE/keyring"
  wait_gateway
}

start() {
  if alive mon.a && alive osd.0 && alive rgw; then
    print_env
    return
  fi
  stop
  mkdir -p "$STATE"/{run,log,crash,pids,rgw,osd.0}
  local mon rgw
  mon=$(free_port_pair)
  rgw=$(free_port)
  echo "$rgw" >"$STATE/rgw_port"
  # S3 keys of the usual shapes: 20 upper-case characters, 40 characters.
  openssl rand -hex 10 | tr a-f A-F >"$STATE/access_key"
  openssl rand -hex 20 >"$STATE/secret_key"
  write_conf "$mon" "$rgw"

  ceph-authtool --create-keyring "$STATE/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$STATE/keyring" --gen-key -n client.admin --cap mon 'allow *' \
    --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$STATE/keyring" --gen-key -n client.rgw.test --cap mon 'allow rw' \
    --cap osd 'allow rwx' >/dev/null
  monmaptool --create --fsid "$(awk '/^fsid/ {print $3}' "$CONF")" --enable-all-features \
    --set-min-mon-release pacific --addv a "[v2:127.0.0.1:$((mon + 1)),v1:127.0.0.1:$mon]" \
    "$STATE/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$STATE/monmap" --keyring "$STATE/keyring"
  spawn mon.a ceph-mon -c "$CONF" -f -i a
  for _ in $(seq 1 60); do
    ceph_ mon stat >/dev/null 2>&1 && break
    sleep 0.25
  done
  ceph_ mon stat >/dev/null 2>&1 || die "the monitor did not come up"

  local osd_uuid
  osd_uuid=$(uuidgen)
  ceph_ osd new "$osd_uuid" 0 >/dev/null
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >"$STATE/log/osd.mkfs.out" 2>&1 ||
    die "osd mkfs failed"
  spawn osd.0 ceph-osd -c "$CONF" -f -i 0
  for _ in $(seq 1 120); do
    ceph_ osd stat -f json 2>/dev/null | grep -q '"num_up_osds":1' && break
    alive osd.0 || die "the OSD died"
    sleep 0.25
  done

  spawn rgw radosgw -c "$CONF" -f -n client.rgw.test --keyring "$STATE/keyring"
  local out=""
  for _ in $(seq 1 60); do
    if out=$(timeout 60 radosgw-admin -c "$CONF" -n client.admin user create --uid berth-test \
        --display-name berth-test --access-key "$(cat "$STATE/access_key")" \
        --secret-key "$(cat "$STATE/secret_key")" 2>&1); then
      break
    fi
    sleep 0.5
  done
  grep -q "$(cat "$STATE/access_key")" <<<"$out" || die "radosgw-admin user create failed: $out"
  wait_gateway
  print_env
}

stop() {
  if [[ -d $STATE/pids ]]; then
    # Thrown away: SIGKILL is fastest (radosgw waits up to 120 s for a
    # gone OSD on TERM).
    kill_daemon rgw
    kill_daemon osd.0
    kill_daemon mon.a
  fi
  rm -rf "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  stop-gateway) kill_daemon rgw ;;
  start-gateway) start_gateway ;;
  env)
    alive rgw || { echo "rgw.sh: no gateway running in $STATE" >&2; exit 1; }
    print_env
    ;;
  *)
    echo "usage: $0 start|stop|env|stop-gateway|start-gateway" >&2
    exit 2
    ;;
esac
