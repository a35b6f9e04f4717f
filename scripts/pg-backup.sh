#!/usr/bin/env bash
# PostgreSQL backups with the standard tools: a WAL archive (continuous, archive_command) plus
# base backups (pg_basebackup), which together allow point-in-time recovery (PITR). Kyosai's own
# `kyosai backup` covers the embedded SQLite database only.
#
#   pg-backup.sh archive-config ARCHIVE_DIR
#       prints the postgresql.conf lines that archive every WAL segment into ARCHIVE_DIR
#       (then restart the server once: archive_mode needs it)
#   pg-backup.sh base HOST PORT BACKUP_DIR
#       takes a base backup (plain format, WAL included, fast checkpoint) into
#       BACKUP_DIR/base-YYYYmmddTHHMMSSZ and checks it with pg_verifybackup
#   pg-backup.sh restore BASE ARCHIVE_DIR NEW_DATA_DIR [TARGET_TIME]
#       prepares NEW_DATA_DIR (must not exist) from base backup BASE, replaying the archive up to
#       TARGET_TIME ('2026-11-28 10:15:00+09', default: the end of the archive), then promoting.
#   pg-backup.sh start DATA_DIR PORT
#       starts a restored server on loopback PORT and waits until recovery has finished (the
#       server is writable); then run `kyosai verify` against it
#
# As root, the tools run as the postgres account. User kyosai, trust or ~/.pgpass for passwords.
set -euo pipefail

find_bin() {
  for d in /usr/local/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/$1" ] && { echo "$d/$1"; return 0; }
  done
  command -v "$1" 2>/dev/null
}

as_pg=()
if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); fi

usage() { sed -n '2,22p' "$0" >&2; exit 2; }
[ $# -ge 1 ] || usage

case "$1" in
  archive-config)
    [ $# -eq 2 ] || usage
    archive=$(realpath -m "$2")
    cat <<EOF
archive_mode = on
archive_command = 'test ! -f $archive/%f && cp %p $archive/%f.part && mv $archive/%f.part $archive/%f'
archive_timeout = 60
wal_level = replica
EOF
    ;;
  base)
    [ $# -eq 4 ] || usage
    host=$2; port=$3; out=$4
    mkdir -p "$out"
    [ "$(id -u)" = 0 ] && chown postgres "$out"
    dest="$out/base-$(date -u +%Y%m%dT%H%M%SZ)"
    "${as_pg[@]}" "$(find_bin pg_basebackup)" -h "$host" -p "$port" -U kyosai -D "$dest" \
      -Fp -X stream --checkpoint=fast --manifest-checksums=SHA256 --label="kyosai $(date -u +%FT%TZ)"
    "${as_pg[@]}" "$(find_bin pg_verifybackup)" "$dest" >/dev/null
    echo "$dest"
    ;;
  restore)
    [ $# -ge 4 ] && [ $# -le 5 ] || usage
    base=$2; archive=$(realpath -m "$3"); data=$4; target=${5:-}
    [ -e "$data" ] && { echo "pg-backup: $data exists; restore only into a new directory" >&2; exit 1; }
    cp -a "$base" "$data"
    rm -f "$data/postmaster.pid" "$data/standby.signal"
    touch "$data/recovery.signal"
    {
      echo "restore_command = 'cp $archive/%f %p'"
      echo "recovery_target_action = 'promote'"
      [ -n "$target" ] && echo "recovery_target_time = '$target'"
      # A base backup of a primary that had a synchronous standby must not wait for one.
      echo "synchronous_standby_names = ''"
    } >>"$data/postgresql.auto.conf"
    [ "$(id -u)" = 0 ] && chown -R postgres "$data"
    chmod 700 "$data"
    echo "prepared $data: start it with $0 start $data PORT, then run kyosai verify"
    ;;
  start)
    [ $# -eq 3 ] || usage
    data=$2; port=$3
    "${as_pg[@]}" "$(find_bin pg_ctl)" -D "$data" -l "$data/restore.log" -w \
      -o "-p $port -k $data -c listen_addresses=127.0.0.1" start >/dev/null
    for _ in $(seq 1 300); do
      [ "$("$(find_bin psql)" -h 127.0.0.1 -p "$port" -U kyosai -d postgres -Atc 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && exit 0
      sleep 0.1
    done
    echo "pg-backup: $data did not finish recovery; see $data/restore.log" >&2
    exit 1
    ;;
  *) usage ;;
esac
