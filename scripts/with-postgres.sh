#!/usr/bin/env bash
# Runs a command with a throw-away PostgreSQL server: initdb into a temporary directory, start it
# on a free loopback port, export KYOSAI_TEST_POSTGRES_URL, run the command, stop the server.
# Installs PostgreSQL from Debian's packages when it is missing. Usage: with-postgres.sh CMD...
# Tests run without fsync (nothing to keep); WITH_POSTGRES_DURABLE=1 keeps PostgreSQL's durable
# defaults (fsync, synchronous_commit, full_page_writes) for benchmarks.
set -euo pipefail

find_bin() {
  for d in /usr/local/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/$1" ] && { echo "$d/$1"; return 0; }
  done
  command -v "$1" 2>/dev/null
}

if [ -z "$(find_bin initdb || true)" ]; then
  echo "with-postgres: installing PostgreSQL (Debian package)" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; fi
fi
INITDB=$(find_bin initdb)
PG_CTL=$(find_bin pg_ctl)

dir=$(mktemp -d /tmp/kyosai-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# PostgreSQL refuses to run as root: use the postgres account (created if missing).
as_pg=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$dir"
  as_pg=(runuser -u postgres --)
fi

"${as_pg[@]}" "$INITDB" -D "$dir/data" -U kyosai --auth=trust --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
if [ "${WITH_POSTGRES_DURABLE:-0}" = 1 ]; then
  durability="-c shared_buffers=256MB -c max_wal_size=4GB"
else
  durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi
"${as_pg[@]}" "$PG_CTL" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 $durability -c max_connections=300" start >/dev/null

cleanup() { "${as_pg[@]}" "$PG_CTL" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT

export KYOSAI_TEST_POSTGRES_URL="postgres://kyosai@127.0.0.1:$port/postgres"
echo "with-postgres: PostgreSQL on port $port" >&2
"$@"
