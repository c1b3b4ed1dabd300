#!/usr/bin/env bash
# Installs the Debian 12 packages berth needs to build and test, skipping
# those already present. Idempotent; run by `make run` and `make test`.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev libpq-dev libcurl4-openssl-dev
  libspdlog-dev libcli11-dev libre2-dev libgtest-dev libgmock-dev libbenchmark-dev
  python3-pytest python3-boto3 python3-requests awscli skopeo curl openssl
  # parses GET /metrics in tests/integration/test_ops.py
  python3-prometheus-client
  # a throwaway PostgreSQL server for the tests (scripts/test-backends/postgres.sh)
  postgresql-15 postgresql-client-15
  # the load balancer of the scale-out topology (scripts/scale-out-local.sh)
  haproxy
  # a throwaway Ceph RADOS Gateway, the S3-compatible store of the tests
  # (scripts/test-backends/rgw.sh)
  ceph-mon ceph-osd radosgw ceph-common uuid-runtime
  # the web console's browser test (tests/integration/test_console.py)
  chromium chromium-driver python3-selenium
  # fuzz targets (fuzz/, docs/fuzzing.md): the libFuzzer engine archive
  libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
