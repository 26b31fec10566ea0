#!/usr/bin/env bash
# Makes sure everything the test suites talk to is installed and running:
# PostgreSQL and Redis (real services, never mocks), Debian's Chromium for the
# browser tests and nginx as the cluster tests' load balancer.
set -euo pipefail

log() { echo "[test-prerequisites] $*"; }

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v pg_ctlcluster >/dev/null 2>&1 || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]} with apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
# Debian starts nginx on install; the tests run their own instances.
if [ -f /run/nginx.pid ] && [ -z "${CINDER_KEEP_SYSTEM_NGINX:-}" ]; then
  nginx -s quit 2>/dev/null || true
fi

if ! (echo > /dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
fi
for _ in $(seq 1 50); do (echo > /dev/tcp/127.0.0.1/5432) 2>/dev/null && break; sleep 0.2; done
# The suites use database `test`; create it on machines that lack it.
if command -v psql >/dev/null 2>&1; then
  if ! psql -h 127.0.0.1 -U postgres -d test -tAc 'select 1' >/dev/null 2>&1; then
    (su postgres -c "createdb test" 2>/dev/null || createdb -h 127.0.0.1 -U postgres test 2>/dev/null) || true
  fi
fi

if ! (echo > /dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi
for _ in $(seq 1 50); do (echo > /dev/tcp/127.0.0.1/6379) 2>/dev/null && break; sleep 0.2; done
log "PostgreSQL, Redis, Chromium and nginx are ready"
# Databases left by earlier runs' server processes (tests create one per server).
if command -v psql >/dev/null 2>&1; then
  psql -h 127.0.0.1 -U postgres -d test -tAc "select datname from pg_database where datname like 'cinder\_%'" 2>/dev/null |
    while read -r db; do [ -n "$db" ] && psql -h 127.0.0.1 -U postgres -d test -qc "drop database if exists \"$db\" with (force)" >/dev/null 2>&1 || true; done
fi
