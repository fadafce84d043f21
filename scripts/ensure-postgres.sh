#!/usr/bin/env bash
# Make sure a PostgreSQL server runs on 127.0.0.1 with a `tether` role that may create databases,
# installing Debian's postgresql when it is missing. Prints the URL the tests use.
set -euo pipefail

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
PORT="${TETHER_PG_PORT:-5432}"

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  echo "installing PostgreSQL from Debian's packages…" >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >&2
fi

cluster=$(pg_lsclusters --no-header | head -n 1 || true)
if [ -z "$cluster" ]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  $SUDO pg_createcluster "$version" main --port "$PORT" >&2
  cluster=$(pg_lsclusters --no-header | head -n 1)
fi
read -r version name port status _ <<<"$cluster"
if [ "$status" != "online" ]; then
  $SUDO pg_ctlcluster "$version" "$name" start >&2
fi

as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
for _ in $(seq 1 30); do
  as_postgres psql -p "$port" -tAc "select 1" >/dev/null 2>&1 && break
  sleep 0.5
done
if [ "$(as_postgres psql -p "$port" -tAc "select 1 from pg_roles where rolname = 'tether'")" != "1" ]; then
  as_postgres psql -p "$port" -qc "create role tether login createdb password 'tether'" >&2
fi
if [ "$(as_postgres psql -p "$port" -tAc "select 1 from pg_database where datname = 'tether'")" != "1" ]; then
  as_postgres createdb -p "$port" -O tether tether >&2
fi
echo "postgresql://tether:tether@127.0.0.1:${port}/tether"
