#!/usr/bin/env bash
# Installs what bench/run.py needs from Debian, only if missing:
#   docker-registry (CNCF Distribution, the OCI peer), wrk, apache2-utils (ab),
#   curl, openssl, gcc (builds bench/tools/minserv.c), python3-botocore (SigV4 signer).
# moto_server (the ECR peer) is not packaged by Debian; the harness uses the
# first python3 on PATH that can import moto and skips moto otherwise.
set -euo pipefail
need=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_cmd docker-registry || [ -x /usr/bin/docker-registry ] || need+=(docker-registry)
have_cmd wrk || need+=(wrk)
have_cmd ab || need+=(apache2-utils)
have_cmd curl || need+=(curl)
have_cmd openssl || need+=(openssl)
have_cmd cc || need+=(gcc)
/usr/bin/python3 -c 'import botocore' 2>/dev/null || need+=(python3-botocore)
if [ ${#need[@]} -gt 0 ]; then
  echo "bench: installing ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
