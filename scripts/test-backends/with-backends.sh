#!/usr/bin/env bash
# Runs one command with berth's throwaway test backends up, then stops them:
#
#   scripts/test-backends/with-backends.sh ctest --test-dir build -j2
#
# Each backend's start script prints `export` lines (BERTH_TEST_POSTGRES_URL,
# ...) that the unit and integration tests read; BERTH_REQUIRE_BACKENDS=1
# then turns a missing backend into a failure instead of a skip, so CI
# cannot pass by skipping. The command's exit status is the script's.
#
# BERTH_TEST_BACKEND_TAG keeps the state directories of concurrent runs
# (several checkouts on one machine) apart; default: a hash of the cwd.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tag=${BERTH_TEST_BACKEND_TAG:-$(pwd | cksum | cut -d' ' -f1)}
export BERTH_TEST_POSTGRES_STATE=${BERTH_TEST_POSTGRES_STATE:-${TMPDIR:-/tmp}/berth-test-postgres-$tag}

stop_all() {
  "$here/postgres.sh" stop || true
}
trap stop_all EXIT

if ! exports=$("$here/postgres.sh" start); then
  echo "with-backends.sh: PostgreSQL did not start" >&2
  exit 1
fi
eval "$exports"

export BERTH_REQUIRE_BACKENDS=1
"$@"
