#!/usr/bin/env bash
# shellcheck shell=bash
# neo4j-restore: restores one of this instance's Neo4j databases from a
# backup neo4j-backup made (docs/terraform.md, "Restoring a database").
# Installed as /usr/local/sbin/neo4j-restore by the boot script; run as root:
#
#   neo4j-restore                       # lists the complete backups
#   neo4j-restore latest                # says what it would restore
#   neo4j-restore --yes latest          # restores the newest complete backup
#   neo4j-restore --yes 20250101T023000Z
#   neo4j-restore --yes --database system latest   # the users and roles too
#
# It downloads the backup and checks its SHA-256 before touching anything;
# then stops Neo4j, dumps the current database to a safety copy, loads the
# backup over it and starts Neo4j. If loading fails, Neo4j is left stopped
# (a half-restored database must not take writes) and the way back from the
# safety copy is printed.
#
# Configuration as neo4j-backup's (/etc/credex/neo4j-backup.env). The tests
# (internal/tfscripts) source this file with fake systemctl, runuser,
# neo4j-admin and aws commands.

: "${NEO4J_USER:=neo4j}"

# backup_artifacts DB prints "<stamp> <artifact>" for each complete backup
# of DB under $DATABASE_NAME/ (its artifact, <db>.dump or <db>.backup, and
# the artifact's .sha256 both uploaded), oldest first.
backup_artifacts() {
  local db=$1 keys
  keys=$(aws s3api list-objects-v2 --bucket "$BACKUP_BUCKET" --prefix "$DATABASE_NAME/" \
    --query 'Contents[].Key' --output text) || return 1
  tr '\t' '\n' <<<"$keys" | awk -F/ -v db="$db" -v prefix="$DATABASE_NAME" '
    $1 == prefix && NF == 3 { have[$2 "/" $3] = 1; stamps[$2] = 1 }
    END {
      for (s in stamps)
        for (i = 1; i <= 2; i++) {
          a = db (i == 1 ? ".dump" : ".backup")
          if ((s "/" a) in have && (s "/" a ".sha256") in have) print s, a
        }
    }' | sort
}

# choose_backup DB WHICH prints "<stamp> <artifact>" of the backup WHICH
# ("latest" or a stamp), or fails listing the complete backups there are.
choose_backup() {
  local db=$1 which=$2 all chosen
  all=$(backup_artifacts "$db") || return 1
  if [ -z "$all" ]; then
    echo "neo4j-restore: no complete backup of $db under s3://$BACKUP_BUCKET/$DATABASE_NAME/" >&2
    return 1
  fi
  if [ "$which" = latest ]; then
    chosen=$(tail -n 1 <<<"$all")
  else
    chosen=$(awk -v s="$which" '$1 == s' <<<"$all")
  fi
  if [ -z "$chosen" ]; then
    echo "neo4j-restore: no complete backup $which of $db; the complete ones are:" >&2
    awk '{ print "  " $1 }' <<<"$all" >&2
    return 1
  fi
  echo "$chosen"
}

# fetch_backup STAMP ARTIFACT DIR downloads a backup and its checksum into
# DIR and checks it.
fetch_backup() {
  local stamp=$1 artifact=$2 dir=$3 part
  for part in "$artifact" "$artifact.sha256"; do
    aws s3 cp "s3://$BACKUP_BUCKET/$DATABASE_NAME/$stamp/$part" "$dir/$part" --only-show-errors || return 1
  done
  if ! (cd "$dir" && sha256sum --check --status "$artifact.sha256"); then
    echo "neo4j-restore: $DATABASE_NAME/$stamp/$artifact does not match its checksum; nothing was changed" >&2
    return 1
  fi
}

# load_backup DB DIR ARTIFACT replaces database DB with the backup in DIR.
load_backup() {
  local db=$1 dir=$2 artifact=$3
  case $artifact in
    *.dump) runuser -u "$NEO4J_USER" -- neo4j-admin database load "$db" --from-path="$dir" --overwrite-destination=true >&2 ;;
    *.backup) runuser -u "$NEO4J_USER" -- neo4j-admin database restore --from-path="$dir/$artifact" --overwrite-destination=true "$db" >&2 ;;
    *)
      echo "neo4j-restore: $artifact is neither a dump nor a backup" >&2
      return 1
      ;;
  esac
}

# restore_database DB STAMP ARTIFACT DIR: the backup (already fetched into
# DIR) replaces DB, after a safety dump of DB as it is.
restore_database() {
  local db=$1 stamp=$2 artifact=$3 dir=$4 safety
  safety="$BACKUP_DIR/before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$safety"
  chown "$NEO4J_USER:$NEO4J_USER" "$safety" "$dir"
  systemctl stop neo4j
  if ! runuser -u "$NEO4J_USER" -- neo4j-admin database dump "$db" --to-path="$safety" >&2; then
    echo "neo4j-restore: the safety dump of $db failed; nothing was restored, starting Neo4j again" >&2
    systemctl start neo4j
    return 1
  fi
  if ! load_backup "$db" "$dir" "$artifact"; then
    echo "neo4j-restore: loading $DATABASE_NAME/$stamp/$artifact failed; $db may be half restored, so Neo4j stays stopped." >&2
    echo "neo4j-restore: to go back: runuser -u $NEO4J_USER -- neo4j-admin database load $db --from-path=$safety --overwrite-destination=true && systemctl start neo4j" >&2
    return 1
  fi
  systemctl start neo4j
  echo "neo4j-restore: $db restored from s3://$BACKUP_BUCKET/$DATABASE_NAME/$stamp/$artifact; the database as it was is in $safety/$db.dump"
}

# restore_main [--yes] [--database DB] [latest|STAMP]
restore_main() {
  local yes=false db=neo4j which="" chosen stamp artifact dir v
  while [ $# -gt 0 ]; do
    case $1 in
      --yes) yes=true ;;
      --database)
        db=${2:-}
        shift
        ;;
      -*)
        echo "neo4j-restore: unknown option $1 (--yes, --database DB)" >&2
        return 2
        ;;
      *) which=$1 ;;
    esac
    shift
  done
  for v in DATABASE_NAME BACKUP_BUCKET BACKUP_DIR; do
    [ -n "${!v:-}" ] || { echo "neo4j-restore: $v is not set (see /etc/credex/neo4j-backup.env)" >&2; return 2; }
  done
  if [ -z "$which" ]; then
    echo "complete backups of $db in s3://$BACKUP_BUCKET/$DATABASE_NAME/ (oldest first):"
    backup_artifacts "$db"
    return
  fi
  chosen=$(choose_backup "$db" "$which") || return 1
  read -r stamp artifact <<<"$chosen"
  if ! $yes; then
    echo "neo4j-restore: would replace database $db on this instance with $DATABASE_NAME/$stamp/$artifact; run again with --yes to do it"
    return 2
  fi
  dir="$BACKUP_DIR/restore-$stamp"
  mkdir -p "$dir"
  fetch_backup "$stamp" "$artifact" "$dir" || return 1
  restore_database "$db" "$stamp" "$artifact" "$dir" || return 1
  rm -rf "$dir"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  if [ -r "${NEO4J_BACKUP_CONFIG:=/etc/credex/neo4j-backup.env}" ]; then
    # shellcheck disable=SC1090 # written by the boot script
    . "$NEO4J_BACKUP_CONFIG"
  fi
  restore_main "$@"
fi
