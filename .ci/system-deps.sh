#!/usr/bin/env bash
# System packages the integration tests need, installed with apt when missing and we are allowed
# to (idempotent: does nothing when everything is present):
# - a PostgreSQL server (started per test session as the unprivileged postgres user);
# - Dovecot's IMAP server (started per test session on a free loopback port with a throwaway
#   config, to test reading a landlord's existing mailbox). Debian's package may try to start a
#   system-wide dovecot; the tests never use it.
set -euo pipefail
have_pg() { command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
have_dovecot() { command -v dovecot >/dev/null 2>&1 && [ -x /usr/lib/dovecot/imap ]; }
missing=()
if ! { have_pg && id postgres >/dev/null 2>&1; }; then
  missing+=(postgresql)
fi
if ! have_dovecot; then
  missing+=(dovecot-imapd)
fi
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: ${missing[*]} not installed and cannot install here; those tests will be skipped" >&2
  exit 0
fi
echo "installing ${missing[*]} for the integration tests (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
