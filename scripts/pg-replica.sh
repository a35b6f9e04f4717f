#!/usr/bin/env bash
# A PostgreSQL primary and a synchronous standby on loopback (streaming replication), for the
# failover drill and for trying failover by hand. PostgreSQL 15 binaries from Debian
# (/usr/lib/postgresql/*/bin). As root, the servers run as the postgres account.
#
#   pg-replica.sh start DIR     initdb the primary, base-backup the standby, start both, wait
#                               until the standby is synchronous; writes DIR/env with
#                               KYOSAI_DATABASE_URL=postgres://kyosai@127.0.0.1:P1,127.0.0.1:P2/postgres;
#                               the primary archives its WAL into DIR/archive (pg-backup.sh)
#   pg-replica.sh kill-primary DIR   kill -9 the primary's postmaster (a crash, no shutdown)
#   pg-replica.sh promote DIR   promote the standby to primary (pg_ctl promote, waits)
#   pg-replica.sh status DIR    which server is up and which is in recovery
#   pg-replica.sh stop DIR      stop both servers (immediate) and remove DIR
#
# The primary gets synchronous_standby_names on its command line, not in postgresql.conf:
# the base backup copies postgresql.conf, and a promoted standby that inherited the setting
# would wait forever for a standby of its own. Durable settings (fsync on, synchronous_commit
# on): a commit is acknowledged only once the standby has flushed it, which is what makes
# RPO = 0.
set -euo pipefail

find_bin() {
  for d in /usr/local/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/$1" ] && { echo "$d/$1"; return 0; }
  done
  command -v "$1" 2>/dev/null
}

usage() { sed -n '2,17p' "$0" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2

as_pg=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  as_pg=(runuser -u postgres --)
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start() {
  local initdb pg_ctl basebackup psql
  initdb=$(find_bin initdb) || { echo "pg-replica: PostgreSQL binaries not found" >&2; exit 3; }
  pg_ctl=$(find_bin pg_ctl); basebackup=$(find_bin pg_basebackup); psql=$(find_bin psql)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  local p1 p2
  p1=$(free_port); p2=$(free_port)
  while [ "$p2" = "$p1" ]; do p2=$(free_port); done
  "${as_pg[@]}" "$initdb" -D "$dir/primary" -U kyosai --auth=trust --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  "${as_pg[@]}" bash -c "cat >> '$dir/primary/postgresql.conf'" <<EOF
listen_addresses = '127.0.0.1'
wal_level = replica
max_wal_senders = 4
max_connections = 100
hot_standby = on
wal_keep_size = 256MB
EOF
  # WAL archive for point-in-time recovery (scripts/pg-backup.sh), kept beside the servers.
  mkdir -p "$dir/archive"
  [ "$(id -u)" = 0 ] && chown postgres "$dir/archive"
  "$(dirname "$0")/pg-backup.sh" archive-config "$dir/archive" | "${as_pg[@]}" bash -c "cat >> '$dir/primary/postgresql.conf'"
  "${as_pg[@]}" bash -c "echo 'host replication kyosai 127.0.0.1/32 trust' >> '$dir/primary/pg_hba.conf'"
  "${as_pg[@]}" "$pg_ctl" -D "$dir/primary" -l "$dir/primary.log" -w \
    -o "-p $p1 -k $dir -c synchronous_standby_names=standby1 -c synchronous_commit=on" start >/dev/null
  "${as_pg[@]}" "$basebackup" -h 127.0.0.1 -p "$p1" -U kyosai -D "$dir/standby" -X stream -R \
    -d "host=127.0.0.1 port=$p1 user=kyosai application_name=standby1" >"$dir/basebackup.log" 2>&1 \
    || { cat "$dir/basebackup.log" >&2; exit 1; }
  "${as_pg[@]}" "$pg_ctl" -D "$dir/standby" -l "$dir/standby.log" -w -o "-p $p2 -k $dir" start >/dev/null
  # Wait until the primary reports the standby as synchronous.
  local state=""
  for _ in $(seq 1 100); do
    state=$("$psql" -h 127.0.0.1 -p "$p1" -U kyosai -d postgres -Atc \
      "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'" 2>/dev/null || true)
    [ "$state" = sync ] && break
    sleep 0.1
  done
  [ "$state" = sync ] || { echo "pg-replica: standby did not become synchronous" >&2; exit 1; }
  cat >"$dir/env" <<EOF
PRIMARY_PORT=$p1
STANDBY_PORT=$p2
KYOSAI_DATABASE_URL=postgres://kyosai@127.0.0.1:$p1,127.0.0.1:$p2/postgres
EOF
  cat "$dir/env"
}

kill_primary() {
  local pid
  pid=$(head -1 "$dir/primary/postmaster.pid")
  kill -9 "$pid"
  # The postmaster's children (backends, walsender) die with it once it is gone; wait until
  # nothing answers on its port.
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  pkill_children "$pid"
}

# Backends of a killed postmaster notice its death and exit; kill any that linger (by parent pid).
pkill_children() {
  local children
  children=$(ps -o pid= --ppid "$1" 2>/dev/null || true)
  [ -n "$children" ] && kill -9 $children 2>/dev/null || true
}

promote() {
  "${as_pg[@]}" "$(find_bin pg_ctl)" -D "$dir/standby" -w promote >/dev/null
}

status() {
  # shellcheck disable=SC1091
  . "$dir/env"
  for p in "$PRIMARY_PORT" "$STANDBY_PORT"; do
    printf '%s: ' "$p"
    "$(find_bin psql)" -h 127.0.0.1 -p "$p" -U kyosai -d postgres -Atc "SELECT CASE WHEN pg_is_in_recovery() THEN 'standby' ELSE 'primary' END" 2>/dev/null || echo down
  done
}

stop() {
  local pg_ctl
  pg_ctl=$(find_bin pg_ctl)
  # The primary, the standby and any server restored beside them (pg-backup.sh).
  for d in "$dir"/*/; do
    [ -f "$d/postmaster.pid" ] && "${as_pg[@]}" "$pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$dir"
}

case "$cmd" in
  start) start ;;
  kill-primary) kill_primary ;;
  promote) promote ;;
  status) status ;;
  stop) stop ;;
  *) usage ;;
esac
