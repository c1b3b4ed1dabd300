#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for berth's tests: no system service, no
# fixed port, everything in one state directory.
#
#   scripts/test-backends/postgres.sh start   # initdb + start (idempotent); prints the env
#   scripts/test-backends/postgres.sh env     # prints `export` lines for a running server
#   scripts/test-backends/postgres.sh stop    # stops it and deletes the state directory
#
#   eval "$(scripts/test-backends/postgres.sh start)"
#
# Printed variables:
#   BERTH_TEST_POSTGRES_URL    postgresql://berth:<password>@127.0.0.1:<port>/postgres
#                              (a superuser: the tests create one database per case)
#   BERTH_TEST_POSTGRES_STATE  the state directory
#
# State directory: $BERTH_TEST_POSTGRES_STATE if set, else
# ${TMPDIR:-/tmp}/berth-test-postgres-<uid>. It holds data/ (PGDATA), the
# socket, postgres.log, port and password. The port is a free one picked
# at random on 127.0.0.1. The superuser `berth` has a random password and
# TCP logins need it (scram-sha-256), so tests can also check a wrong one.
#
# As root, the server runs as the `postgres` user (else `nobody`), since
# PostgreSQL refuses to run as root; the state directory's parent must then
# be traversable by that user (the default under /tmp is).
#
# Test settings, not production ones: fsync, full_page_writes and
# synchronous_commit are off (nothing here must survive a power cut), and
# max_connections is 300 (parallel test processes, each with a pool).
set -euo pipefail

STATE=${BERTH_TEST_POSTGRES_STATE:-${TMPDIR:-/tmp}/berth-test-postgres-$(id -u)}

pg_bindir() {
  local dir
  for dir in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    if [[ -x $dir/pg_ctl ]]; then echo "$dir"; return; fi
  done
  echo "postgres.sh: no PostgreSQL server binaries (install Debian postgresql-15)" >&2
  exit 1
}
BIN=$(pg_bindir)

run_as=""
if [[ $(id -u) -eq 0 ]]; then
  if id postgres >/dev/null 2>&1; then run_as=postgres; else run_as=nobody; fi
fi

# Runs a command as the server's user.
as_server() {
  if [[ -n $run_as ]]; then runuser -u "$run_as" -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

running() {
  [[ -f $STATE/data/postmaster.pid ]] && as_server "$BIN/pg_ctl" -D "$STATE/data" status >/dev/null 2>&1
}

print_env() {
  local port password
  port=$(cat "$STATE/port")
  password=$(cat "$STATE/password")
  echo "export BERTH_TEST_POSTGRES_URL='postgresql://berth:${password}@127.0.0.1:${port}/postgres'"
  echo "export BERTH_TEST_POSTGRES_STATE='$STATE'"
}

start() {
  if running; then
    print_env
    return
  fi
  rm -rf "$STATE"
  mkdir -p "$STATE"
  chmod 755 "$STATE"
  [[ -n $run_as ]] && chown "$run_as" "$STATE"
  if [[ -n $run_as ]] && ! runuser -u "$run_as" -- test -w "$STATE"; then
    echo "postgres.sh: $run_as cannot write $STATE (a parent directory is closed to it); set BERTH_TEST_POSTGRES_STATE" >&2
    exit 1
  fi
  openssl rand -hex 16 >"$STATE/password"
  free_port >"$STATE/port"
  chmod 644 "$STATE/password" "$STATE/port"
  as_server "$BIN/initdb" -D "$STATE/data" -U berth --pwfile="$STATE/password" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-locale --no-sync \
    >"$STATE/initdb.log" 2>&1 || {
    cat "$STATE/initdb.log" >&2
    exit 1
  }
  cat >>"$STATE/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $(cat "$STATE/port")
unix_socket_directories = '$STATE'
max_connections = 300
fsync = off
full_page_writes = off
synchronous_commit = off
log_min_messages = warning
CONF
  if ! as_server "$BIN/pg_ctl" -D "$STATE/data" -l "$STATE/postgres.log" -w -t 60 start >/dev/null; then
    tail -20 "$STATE/postgres.log" >&2 || true
    exit 1
  fi
  print_env
}

stop() {
  if [[ -d $STATE/data ]]; then
    as_server "$BIN/pg_ctl" -D "$STATE/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env)
    if ! running; then
      echo "postgres.sh: no server running in $STATE" >&2
      exit 1
    fi
    print_env
    ;;
  *)
    echo "usage: $0 start|stop|env" >&2
    exit 2
    ;;
esac
