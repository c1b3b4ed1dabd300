#!/usr/bin/env bash
# Runs a command with the test backends up: a throwaway PostgreSQL
# (postgres.sh) and Ceph RGW (rgw.sh), each in a state directory of its own
# under /tmp, their BERTH_TEST_* variables exported and
# BERTH_REQUIRE_BACKENDS=1 set, so a backend case that would skip fails
# instead. Both are stopped afterwards, whatever the command's outcome.
#
#   scripts/test-backends/with-backends.sh ctest --test-dir build -j2
#
# A backend that does not start fails the run (make test is CI's command).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# /tmp rather than $TMPDIR: the PostgreSQL server runs as another user, and
# bluestore needs a disk filesystem.
run_dir=$(mktemp -d /tmp/berth-backends-XXXXXX)
chmod 755 "$run_dir"
export BERTH_TEST_POSTGRES_STATE=$run_dir/postgres
export BERTH_TEST_RGW_STATE=$run_dir/rgw

cleanup() {
  "$here/rgw.sh" stop >/dev/null 2>&1 || true
  "$here/postgres.sh" stop >/dev/null 2>&1 || true
  rm -rf "$run_dir"
}
trap cleanup EXIT

eval "$("$here/postgres.sh" start)"
eval "$("$here/rgw.sh" start)"
export BERTH_REQUIRE_BACKENDS=1
"$@"
