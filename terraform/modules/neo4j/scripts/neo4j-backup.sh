#!/usr/bin/env bash
# shellcheck shell=bash
# neo4j-backup: backs this instance's Neo4j databases (neo4j and system) up to
# the environment's backup bucket, encrypted with its KMS key, and reports
# BackupSucceeded to CloudWatch (an alarm fires when a day passes without).
# A systemd timer runs it daily (the boot script installs both, and this file
# as /usr/local/sbin/neo4j-backup); run it by hand the same way, as root.
#
#   Community: the server is stopped for the dump (Community has no online
#   backup) and started again whatever happens.
#   Enterprise: a full online backup from the local backup listener.
#
# Each run uploads s3://$BACKUP_BUCKET/$DATABASE_NAME/<UTC stamp>/<db>.dump (or
# .backup) and then <db>.dump.sha256: a checksum marks its artifact complete
# (neo4j-restore skips a backup without one).
#
# Configuration, from the environment (the unit's EnvironmentFile,
# /etc/credex/neo4j-backup.env): NEO4J_EDITION, DATABASE_NAME, BACKUP_BUCKET,
# BACKUP_KMS_KEY, BACKUP_DIR (the staging directory, on the data volume),
# METRIC_NAMESPACE. The tests (internal/tfscripts) source this file with
# fake systemctl, runuser, neo4j-admin, chown and aws commands.

: "${BACKUP_DATABASES:=neo4j system}"
: "${NEO4J_USER:=neo4j}"
: "${METRIC_NAMESPACE:=Credex/Neo4j}"
# The Enterprise backup listener (server.backup.listen_address).
: "${BACKUP_FROM:=127.0.0.1:6362}"

# as_neo4j runs a command as the Neo4j user, so the files it writes are
# Neo4j's.
as_neo4j() {
  runuser -u "$NEO4J_USER" -- "$@"
}

# dump_offline DIR stops Neo4j, dumps each database into DIR (<db>.dump) and
# starts Neo4j again, whether the dumps worked or not.
dump_offline() {
  local dir=$1 db rc=0
  systemctl stop neo4j
  for db in $BACKUP_DATABASES; do
    if ! as_neo4j neo4j-admin database dump "$db" --to-path="$dir" >&2; then
      echo "neo4j-backup: dumping $db failed" >&2
      rc=1
      break
    fi
  done
  if ! systemctl start neo4j; then
    echo "neo4j-backup: Neo4j did not start again after the dump: systemctl status neo4j" >&2
    rc=1
  fi
  return "$rc"
}

# backup_online DIR makes a full online backup of each database into DIR,
# named <db>.backup.
backup_online() {
  local dir=$1 db f
  for db in $BACKUP_DATABASES; do
    mkdir -p "$dir/$db"
    chown "$NEO4J_USER:$NEO4J_USER" "$dir/$db"
    if ! as_neo4j neo4j-admin database backup --from="$BACKUP_FROM" --type=FULL --to-path="$dir/$db" "$db" >&2; then
      echo "neo4j-backup: the online backup of $db failed" >&2
      return 1
    fi
    for f in "$dir/$db"/*.backup; do
      [ -e "$f" ] || { echo "neo4j-backup: the backup of $db wrote no .backup file" >&2; return 1; }
      mv "$f" "$dir/$db.backup"
    done
    rmdir "$dir/$db"
  done
}

# upload_backup DIR STAMP uploads each artifact in DIR, then its SHA-256
# checksum, under $DATABASE_NAME/STAMP/.
upload_backup() {
  local dir=$1 stamp=$2 f name part
  for f in "$dir"/*.dump "$dir"/*.backup; do
    [ -e "$f" ] || continue
    name=$(basename "$f")
    (cd "$dir" && sha256sum "$name" >"$name.sha256") || return 1
    for part in "$name" "$name.sha256"; do
      if ! aws s3 cp "$dir/$part" "s3://$BACKUP_BUCKET/$DATABASE_NAME/$stamp/$part" \
        --sse aws:kms --sse-kms-key-id "$BACKUP_KMS_KEY" --only-show-errors; then
        echo "neo4j-backup: uploading $part failed; this backup is incomplete (no checksum), so restores skip it" >&2
        return 1
      fi
    done
  done
}

# backup_steps DIR STAMP makes the backup in DIR, uploads it and reports it.
backup_steps() {
  local dir=$1 stamp=$2 count
  case $NEO4J_EDITION in
    community) dump_offline "$dir" || return 1 ;;
    enterprise) backup_online "$dir" || return 1 ;;
    *)
      echo "neo4j-backup: NEO4J_EDITION is '$NEO4J_EDITION', not community or enterprise" >&2
      return 2
      ;;
  esac
  count=$(find "$dir" -maxdepth 1 \( -name '*.dump' -o -name '*.backup' \) | wc -l)
  if [ "$count" -ne "$(wc -w <<<"$BACKUP_DATABASES")" ]; then
    echo "neo4j-backup: $count backup files for the databases $BACKUP_DATABASES; nothing uploaded" >&2
    return 1
  fi
  upload_backup "$dir" "$stamp" || return 1
  aws cloudwatch put-metric-data --namespace "$METRIC_NAMESPACE" --metric-name BackupSucceeded \
    --dimensions "Database=$DATABASE_NAME" --value 1 --unit Count || return 1
  echo "neo4j-backup: s3://$BACKUP_BUCKET/$DATABASE_NAME/$stamp/ ($BACKUP_DATABASES)"
}

# backup_main makes, uploads and reports one backup; the staging directory
# is removed however it ends.
backup_main() {
  local stamp dir v
  for v in NEO4J_EDITION DATABASE_NAME BACKUP_BUCKET BACKUP_KMS_KEY BACKUP_DIR; do
    [ -n "${!v:-}" ] || { echo "neo4j-backup: $v is not set (see /etc/credex/neo4j-backup.env)" >&2; return 2; }
  done
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  dir="$BACKUP_DIR/$stamp"
  mkdir -p "$dir"
  chown "$NEO4J_USER:$NEO4J_USER" "$dir"
  (
    trap 'rm -rf "$dir"' EXIT
    backup_steps "$dir" "$stamp"
  )
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  if [ -r "${NEO4J_BACKUP_CONFIG:=/etc/credex/neo4j-backup.env}" ]; then
    # shellcheck disable=SC1090 # written by the boot script
    . "$NEO4J_BACKUP_CONFIG"
  fi
  backup_main "$@"
fi
