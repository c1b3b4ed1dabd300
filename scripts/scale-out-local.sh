#!/usr/bin/env bash
# berth scaled out on one machine, for trying it and for the tests:
# PostgreSQL (metadata) + a blob store shared by N identical `berth serve`
# processes behind haproxy, all on 127.0.0.1.
#
#   scripts/scale-out-local.sh start   # prints `export` lines; idempotent
#   scripts/scale-out-local.sh env     # the same lines for a running topology
#   scripts/scale-out-local.sh stop    # stops everything, deletes the state
#
#   eval "$(scripts/scale-out-local.sh start)"
#   aws --endpoint-url "$BERTH_URL" ecr describe-repositories
#
# Settings (environment):
#   BERTH_BINARY            the berth executable (default: build/src/app/berth)
#   BERTH_SCALE_OUT_STATE   state directory (default: ${TMPDIR:-/tmp}/berth-scale-out-<uid>)
#   BERTH_SCALE_OUT_PROCESSES  how many berth processes (default 3)
#   BERTH_SCALE_OUT_PORT    haproxy's port (default: a free one)
#   BERTH_SCALE_OUT_BLOBS   s3 (Ceph RGW via scripts/test-backends/rgw.sh,
#                           the default when that script can start one) or
#                           file (one directory shared by the processes)
#
# Printed variables: BERTH_URL (haproxy), BERTH_PROCESS_URLS (space-separated,
# one per process, in order), BERTH_PROCESS_PIDS, BERTH_META_STORE,
# BERTH_BLOB_STORE, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_DEFAULT_REGION
# (berth's own credentials, for the aws CLI and SDKs), BERTH_SCALE_OUT_STATE.
#
# Every process shares one PostgreSQL database, one blob store, one
# credentials file and one --token-secret: a registry password or a download
# URL issued by one process is valid on every other, and no request needs to
# return to the process that started its upload (haproxy balances round-robin
# with no stickiness). haproxy health-checks each process on /v2/ and retries
# a request whose connection failed on another one.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
STATE=${BERTH_SCALE_OUT_STATE:-${TMPDIR:-/tmp}/berth-scale-out-$(id -u)}
BERTH=${BERTH_BINARY:-$root/build/src/app/berth}
PROCESSES=${BERTH_SCALE_OUT_PROCESSES:-3}
backends=$root/scripts/test-backends

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() {  # url: until it answers anything, or 30 s
  local i
  for i in $(seq 1 300); do
    if curl -s -o /dev/null "$1"; then return 0; fi
    sleep 0.1
  done
  echo "scale-out-local.sh: nothing answers on $1" >&2
  return 1
}

print_env() {
  cat "$STATE/env"
}

start_blobs() {
  local mode=${BERTH_SCALE_OUT_BLOBS:-}
  if [[ -z $mode ]]; then
    if [[ -x $backends/rgw.sh ]] && command -v radosgw >/dev/null; then mode=s3; else mode=file; fi
  fi
  case $mode in
    s3)
      BERTH_TEST_RGW_STATE=$STATE/rgw "$backends/rgw.sh" start >"$STATE/rgw.env"
      # shellcheck disable=SC1091
      source "$STATE/rgw.env"
      # The RGW user's keys go to berth through its credentials file, not
      # its environment, so that AWS_* can name berth's own keys.
      echo "$BERTH_TEST_S3_ACCESS_KEY $BERTH_TEST_S3_SECRET_KEY" >"$STATE/s3-credentials"
      chmod 600 "$STATE/s3-credentials"
      BLOB_STORE="s3://berth-scale-out?endpoint=$BERTH_TEST_S3_ENDPOINT&region=$BERTH_TEST_S3_REGION&path-style=true"
      BLOB_ARGS=(--blob-store "$BLOB_STORE" --blob-store-credentials "$STATE/s3-credentials" --create-bucket)
      ;;
    file)
      mkdir -p "$STATE/blobs"
      BLOB_STORE="file://$STATE/blobs"
      BLOB_ARGS=(--blob-store "$BLOB_STORE")
      ;;
    *)
      echo "scale-out-local.sh: BERTH_SCALE_OUT_BLOBS must be s3 or file" >&2
      exit 2
      ;;
  esac
}

start() {
  if [[ -f $STATE/env ]]; then
    print_env
    return
  fi
  if ! command -v haproxy >/dev/null; then
    echo "scale-out-local.sh: haproxy is not installed (Debian haproxy)" >&2
    exit 1
  fi
  if [[ ! -x $BERTH ]]; then
    echo "scale-out-local.sh: no berth binary at $BERTH (build it, or set BERTH_BINARY)" >&2
    exit 1
  fi
  rm -rf "$STATE"
  mkdir -p "$STATE"
  chmod 755 "$STATE"

  BERTH_TEST_POSTGRES_STATE=$STATE/postgres "$backends/postgres.sh" start >"$STATE/postgres.env"
  # shellcheck disable=SC1091
  source "$STATE/postgres.env"
  psql -X -q "$BERTH_TEST_POSTGRES_URL" -c "CREATE DATABASE berth" >/dev/null
  META_STORE=${BERTH_TEST_POSTGRES_URL%/postgres}/berth

  start_blobs

  local key secret secret_token lb_port
  key=AKIA$(openssl rand -hex 8 | tr a-f A-F)
  secret=$(openssl rand -base64 30 | tr -d '/+=' | head -c 40)
  secret_token=$(openssl rand -hex 32)
  echo "$key $secret 123456789012" >"$STATE/credentials"
  chmod 600 "$STATE/credentials"
  lb_port=${BERTH_SCALE_OUT_PORT:-$(free_port)}

  local urls=() pids=() i port
  for i in $(seq 1 "$PROCESSES"); do
    port=$(free_port)
    mkdir -p "$STATE/berth-$i"
    BERTH_TOKEN_SECRET=$secret_token setsid "$BERTH" serve --listen "127.0.0.1:$port" \
      --data-dir "$STATE/berth-$i" --meta-store "$META_STORE" "${BLOB_ARGS[@]}" \
      --credentials "$STATE/credentials" --public-url "http://127.0.0.1:$lb_port" \
      --log-level warn >"$STATE/berth-$i.log" 2>&1 </dev/null &
    pids+=("$!")
    urls+=("http://127.0.0.1:$port")
    echo "$!" >"$STATE/berth-$i.pid"
    # One at a time: the first process runs the schema migrations.
    wait_http "http://127.0.0.1:$port/v2/" || { tail -5 "$STATE/berth-$i.log" >&2; exit 1; }
  done

  {
    cat <<CFG
global
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 600s
  timeout server 600s
  retries 3
  option redispatch
  retry-on conn-failure empty-response
frontend berth
  bind 127.0.0.1:$lb_port
  default_backend berths
backend berths
  balance roundrobin
  option httpchk GET /v2/
  http-check expect rstatus ^(200|401)\$
CFG
    for i in $(seq 1 "$PROCESSES"); do
      echo "  server berth-$i ${urls[$((i - 1))]#http://} check inter 1s fall 2 rise 1"
    done
  } >"$STATE/haproxy.cfg"
  haproxy -f "$STATE/haproxy.cfg" -D -p "$STATE/haproxy.pid" 2>"$STATE/haproxy.log"
  wait_http "http://127.0.0.1:$lb_port/v2/"

  cat >"$STATE/env" <<ENV
export BERTH_URL='http://127.0.0.1:$lb_port'
export BERTH_PROCESS_URLS='${urls[*]}'
export BERTH_PROCESS_PIDS='${pids[*]}'
export BERTH_META_STORE='$META_STORE'
export BERTH_BLOB_STORE='$BLOB_STORE'
export AWS_ACCESS_KEY_ID='$key'
export AWS_SECRET_ACCESS_KEY='$secret'
export AWS_DEFAULT_REGION='us-east-1'
export BERTH_SCALE_OUT_STATE='$STATE'
ENV
  print_env
}

stop() {
  local f
  if [[ -f $STATE/haproxy.pid ]]; then kill "$(cat "$STATE/haproxy.pid")" 2>/dev/null || true; fi
  for f in "$STATE"/berth-*.pid; do
    [[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null || true
  done
  sleep 0.5
  for f in "$STATE"/berth-*.pid; do
    [[ -f $f ]] && kill -9 "$(cat "$f")" 2>/dev/null || true
  done
  if [[ -d $STATE/rgw ]] && [[ -x $backends/rgw.sh ]]; then
    BERTH_TEST_RGW_STATE=$STATE/rgw "$backends/rgw.sh" stop || true
  fi
  if [[ -d $STATE/postgres ]]; then
    BERTH_TEST_POSTGRES_STATE=$STATE/postgres "$backends/postgres.sh" stop || true
  fi
  rm -rf "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env)
    if [[ ! -f $STATE/env ]]; then
      echo "scale-out-local.sh: nothing running in $STATE" >&2
      exit 1
    fi
    print_env
    ;;
  *)
    echo "usage: $0 start|stop|env" >&2
    exit 2
    ;;
esac
