#!/usr/bin/env bash
# System packages the integration tests need: a PostgreSQL server (started per test session
# as the unprivileged postgres user). Installed with apt when missing and we are allowed to.
set -euo pipefail
have_pg() { command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
if have_pg && id postgres >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: PostgreSQL server not installed and cannot install it here; PostgreSQL tests will be skipped" >&2
  exit 0
fi
echo "installing PostgreSQL server for the integration tests (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
