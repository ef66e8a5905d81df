package tfscripts

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The database backups (scripts/neo4j-backup.sh) and their restore
// (scripts/neo4j-restore.sh), against a fake machine: a fake S3 (a
// directory per bucket, reached through a fake aws CLI), a fake neo4j-admin
// whose "databases" are files (state/<db>), and fake systemctl, runuser,
// chown and date. What is checked is what an operator relies on: Community
// is stopped only for the dump and always started again; each artifact is
// uploaded encrypted with the environment's key, then its checksum; success
// is reported only after everything is uploaded; a restore picks the newest
// complete backup, refuses a corrupt one before touching anything, keeps a
// safety copy, and leaves Neo4j stopped when loading fails.

const (
	bucket = "credex-staging-neo4j-backups-000000000000"
	kmsKey = "arn:aws:kms:af-south-1:000000000000:key/11111111-2222-3333-4444-555555555555"
)

var backupFakes = map[string]string{
	"aws": `if [ -n "${AWS_FAIL_ON:-}" ] && [[ "$*" == *"$AWS_FAIL_ON"* ]]; then echo "aws: simulated failure" >&2; exit 1; fi
case "$1 $2" in
"s3 cp")
  if [[ $3 == s3://* ]]; then cp "$SANDBOX/s3/${3#s3://}" "$4"
  else mkdir -p "$(dirname "$SANDBOX/s3/${4#s3://}")"; cp "$3" "$SANDBOX/s3/${4#s3://}"; fi ;;
"s3api list-objects-v2")
  while [ $# -gt 0 ]; do case $1 in --bucket) b=$2; shift;; --prefix) p=$2; shift;; esac; shift; done
  keys=$(cd "$SANDBOX/s3/$b" 2>/dev/null && find "$p" -type f 2>/dev/null | sort | paste -sd '\t')
  echo "${keys:-None}" ;;
"cloudwatch put-metric-data") ;;
*) echo "aws: unexpected $*" >&2; exit 2 ;;
esac`,
	"neo4j-admin": `sub=$2; db=""; from=""; to=""
for a in "$@"; do case $a in --to-path=*) to=${a#*=};; --from-path=*) from=${a#*=};; --*) ;; database|dump|load|backup|restore) ;; *) db=$a;; esac; done
if [ "${NEO4J_ADMIN_FAIL:-}" = "$sub" ]; then echo "neo4j-admin: simulated $sub failure" >&2; exit 1; fi
case $sub in
dump) cp "$SANDBOX/state/$db" "$to/$db.dump" ;;
backup) cp "$SANDBOX/state/$db" "$to/$db-2025-01-01T02-30-00.backup" ;;
load) cp "$from/$db.dump" "$SANDBOX/state/$db" ;;
restore) cp "$from" "$SANDBOX/state/$db" ;;
esac`,
	"systemctl": `case $1 in start) touch "$SANDBOX/running";; stop) rm -f "$SANDBOX/running";; esac`,
	"runuser":   `shift 3; exec "$@"`,
	"chown":     `:`,
	"date":      `n=$(( $(cat "$SANDBOX/clock" 2>/dev/null || echo 0) + 1 )); echo "$n" >"$SANDBOX/clock"; printf '20250101T0230%02dZ\n' "$n"`,
}

// backupMachine is a sandbox with the fakes, a running Neo4j whose
// databases hold the given contents, and the backup configuration.
func backupMachine(t *testing.T, edition string, databases map[string]string) *Sandbox {
	t.Helper()
	s, err := NewSandbox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range backupFakes {
		if err := s.Fake(name, body); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"state", "s3", "staging"} {
		if err := os.MkdirAll(s.Path(d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for db, content := range databases {
		setDatabase(t, s, db, content)
	}
	if err := os.WriteFile(s.Path("running"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s.Env = []string{"NEO4J_EDITION=" + edition, "DATABASE_NAME=ledgerspace", "BACKUP_BUCKET=" + bucket,
		"BACKUP_KMS_KEY=" + kmsKey, "BACKUP_DIR=" + s.Path("staging")}
	return s
}

func setDatabase(t *testing.T, s *Sandbox, db, content string) {
	t.Helper()
	if err := os.WriteFile(s.Path("state", db), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func database(t *testing.T, s *Sandbox, db string) string {
	t.Helper()
	data, err := os.ReadFile(s.Path("state", db))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func running(s *Sandbox) bool {
	_, err := os.Stat(s.Path("running"))
	return err == nil
}

// objects are the fake bucket's keys.
func objects(t *testing.T, s *Sandbox) []string {
	t.Helper()
	var keys []string
	root := s.Path("s3", bucket)
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			keys = append(keys, filepath.ToSlash(rel))
		}
		return nil
	})
	return keys
}

func backup(t *testing.T, s *Sandbox) Result {
	t.Helper()
	r, err := s.Run(t.Context(), []string{"neo4j-backup.sh"}, "backup_main")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func restore(t *testing.T, s *Sandbox, args string) Result {
	t.Helper()
	r, err := s.Run(t.Context(), []string{"neo4j-restore.sh"}, "restore_main "+args)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// ops are the calls of the commands that act on Neo4j, in order, without
// their arguments past the subcommand.
func ops(s *Sandbox) []string {
	var out []string
	for _, c := range s.Calls() {
		f := strings.Fields(c)
		switch f[0] {
		case "systemctl":
			out = append(out, f[0]+" "+f[1])
		case "neo4j-admin":
			out = append(out, f[0]+" "+f[2])
		case "aws":
			if f[1] == "cloudwatch" {
				out = append(out, "metric")
			}
		}
	}
	return out
}

func TestBackupCommunityStopsOnlyForTheDump(t *testing.T) {
	s := backupMachine(t, "community", map[string]string{"neo4j": "ledger v1", "system": "users v1"})
	r := backup(t, s)
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stderr)
	}
	if got, want := ops(s), []string{"systemctl stop", "neo4j-admin dump", "neo4j-admin dump", "systemctl start", "metric"}; !slices.Equal(got, want) {
		t.Errorf("operations %q, want %q", got, want)
	}
	stamp := "20250101T023001Z"
	want := []string{"ledgerspace/" + stamp + "/neo4j.dump", "ledgerspace/" + stamp + "/neo4j.dump.sha256",
		"ledgerspace/" + stamp + "/system.dump", "ledgerspace/" + stamp + "/system.dump.sha256"}
	if got := objects(t, s); !slices.Equal(got, want) {
		t.Errorf("uploaded %q, want %q", got, want)
	}
	for _, c := range s.Called("aws s3 cp") {
		if !strings.Contains(c, "--sse aws:kms --sse-kms-key-id "+kmsKey) {
			t.Errorf("uploaded without the environment's key: %s", c)
		}
	}
	// The checksum goes after its artifact: it marks the artifact complete.
	uploads := s.Called("aws s3 cp")
	if len(uploads) != 4 || !strings.Contains(uploads[0], "/neo4j.dump --sse") || !strings.Contains(uploads[1], "/neo4j.dump.sha256 --sse") {
		t.Errorf("upload order: %q", uploads)
	}
	if m := s.Called("aws cloudwatch"); len(m) != 1 || !strings.Contains(m[0], "--metric-name BackupSucceeded --dimensions Database=ledgerspace --value 1") {
		t.Errorf("metric: %q", m)
	}
	if !running(s) {
		t.Error("Neo4j is not running after the backup")
	}
	if left, _ := os.ReadDir(s.Path("staging")); len(left) != 0 {
		t.Errorf("the staging directory was not cleaned: %v", left)
	}
}

func TestBackupCommunityRestartsNeo4jWhenTheDumpFails(t *testing.T) {
	s := backupMachine(t, "community", map[string]string{"neo4j": "ledger v1", "system": "users v1"})
	s.Env = append(s.Env, "NEO4J_ADMIN_FAIL=dump")
	r := backup(t, s)
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "dumping neo4j failed") {
		t.Errorf("exit %d: %s", r.ExitCode, r.Stderr)
	}
	if !running(s) || !slices.Contains(ops(s), "systemctl start") {
		t.Error("Neo4j was left stopped after a failed dump")
	}
	if got := objects(t, s); len(got) != 0 {
		t.Errorf("uploaded %q after a failed dump", got)
	}
	if m := s.Called("aws cloudwatch"); len(m) != 0 {
		t.Errorf("reported success after a failed dump: %q", m)
	}
	if left, _ := os.ReadDir(s.Path("staging")); len(left) != 0 {
		t.Errorf("the staging directory was not cleaned: %v", left)
	}
}

func TestBackupEnterpriseIsOnline(t *testing.T) {
	s := backupMachine(t, "enterprise", map[string]string{"neo4j": "ledger v1", "system": "users v1"})
	r := backup(t, s)
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stderr)
	}
	if got := s.Called("systemctl"); len(got) != 0 {
		t.Errorf("an online backup stopped or started Neo4j: %q", got)
	}
	for _, c := range s.Called("neo4j-admin") {
		if !strings.Contains(c, "database backup --from=127.0.0.1:6362 --type=FULL") {
			t.Errorf("not a full online backup from the local listener: %s", c)
		}
	}
	if got := objects(t, s); !slices.Contains(got, "ledgerspace/20250101T023001Z/neo4j.backup") || !slices.Contains(got, "ledgerspace/20250101T023001Z/system.backup.sha256") {
		t.Errorf("uploaded %q", got)
	}
}

func TestBackupNotReportedWhenAnUploadFails(t *testing.T) {
	s := backupMachine(t, "community", map[string]string{"neo4j": "ledger v1", "system": "users v1"})
	s.Env = append(s.Env, "AWS_FAIL_ON=system.dump.sha256")
	r := backup(t, s)
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "uploading system.dump.sha256 failed") {
		t.Errorf("exit %d: %s", r.ExitCode, r.Stderr)
	}
	if m := s.Called("aws cloudwatch"); len(m) != 0 {
		t.Errorf("reported success after a failed upload: %q", m)
	}
}

func TestBackupRefusesAMissingSetting(t *testing.T) {
	s := backupMachine(t, "community", nil)
	s.Env = s.Env[:len(s.Env)-1] // no BACKUP_DIR
	r := backup(t, s)
	if r.ExitCode != 2 || !strings.Contains(r.Stderr, "BACKUP_DIR is not set") || len(s.Calls()) != 0 {
		t.Errorf("exit %d, calls %q: %s", r.ExitCode, s.Calls(), r.Stderr)
	}
}

// backups makes one backup per content of the neo4j database, in order.
func backups(t *testing.T, s *Sandbox, contents ...string) {
	t.Helper()
	for _, c := range contents {
		setDatabase(t, s, "neo4j", c)
		if r := backup(t, s); r.ExitCode != 0 {
			t.Fatalf("backup of %q: exit %d\n%s", c, r.ExitCode, r.Stderr)
		}
	}
}

func TestRestoreLatestCompleteBackup(t *testing.T) {
	s := backupMachine(t, "community", map[string]string{"system": "users v1"})
	backups(t, s, "ledger v1", "ledger v2")
	// A newer backup whose checksum never arrived (the upload was cut).
	setDatabase(t, s, "neo4j", "ledger v3")
	s.Env = append(s.Env, "AWS_FAIL_ON=neo4j.dump.sha256")
	if r := backup(t, s); r.ExitCode == 0 {
		t.Fatal("the cut upload should fail")
	}
	s.Env = s.Env[:len(s.Env)-1]
	setDatabase(t, s, "neo4j", "ledger broken")

	listed := restore(t, s, "")
	for _, stamp := range []string{"20250101T023001Z", "20250101T023002Z"} {
		if !strings.Contains(listed.Stdout, stamp+" neo4j.dump") {
			t.Errorf("the listing misses %s:\n%s", stamp, listed.Stdout)
		}
	}
	if strings.Contains(listed.Stdout, "20250101T023003Z") {
		t.Errorf("the listing shows the incomplete backup:\n%s", listed.Stdout)
	}

	before := len(s.Calls())
	r := restore(t, s, "--yes latest")
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stderr)
	}
	if got := database(t, s, "neo4j"); got != "ledger v2" {
		t.Errorf("restored %q, want the newest complete backup, ledger v2", got)
	}
	var restoreOps []string
	for _, c := range s.Calls()[before:] {
		f := strings.Fields(c)
		if f[0] == "systemctl" || f[0] == "neo4j-admin" {
			restoreOps = append(restoreOps, f[0]+" "+f[1]+" "+strings.Join(f[2:3], ""))
		}
	}
	if want := []string{"systemctl stop neo4j", "neo4j-admin database dump", "neo4j-admin database load", "systemctl start neo4j"}; !slices.Equal(restoreOps, want) {
		t.Errorf("restore operations %q, want %q", restoreOps, want)
	}
	if !running(s) {
		t.Error("Neo4j is not running after the restore")
	}
	if database(t, s, "system") != "users v1" {
		t.Error("restoring neo4j touched the system database")
	}
	safety, _ := filepath.Glob(s.Path("staging", "before-restore-*", "neo4j.dump"))
	if len(safety) != 1 {
		t.Fatalf("no safety dump: %v", safety)
	}
	if data, _ := os.ReadFile(safety[0]); string(data) != "ledger broken" {
		t.Errorf("the safety dump holds %q, want the database as it was", data)
	}
	if !strings.Contains(r.Stdout, "the database as it was is in") {
		t.Errorf("stdout: %s", r.Stdout)
	}
}

func TestRestoreRefusesACorruptBackup(t *testing.T) {
	s := backupMachine(t, "community", map[string]string{"system": "users v1"})
	backups(t, s, "ledger v1")
	if err := os.WriteFile(s.Path("s3", bucket, "ledgerspace/20250101T023001Z/neo4j.dump"), []byte("bit rot"), 0o644); err != nil {
		t.Fatal(err)
	}
	setDatabase(t, s, "neo4j", "ledger now")
	before := len(s.Called("systemctl"))
	r := restore(t, s, "--yes latest")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "does not match its checksum; nothing was changed") {
		t.Errorf("exit %d: %s", r.ExitCode, r.Stderr)
	}
	if len(s.Called("systemctl")) != before || !running(s) || database(t, s, "neo4j") != "ledger now" {
		t.Error("a corrupt backup touched Neo4j")
	}
}

func TestRestoreAsksForYes(t *testing.T) {
	s := backupMachine(t, "community", map[string]string{"system": "users v1"})
	backups(t, s, "ledger v1")
	before := len(s.Calls())
	r := restore(t, s, "latest")
	if r.ExitCode != 2 || !strings.Contains(r.Stdout, "would replace database neo4j on this instance with ledgerspace/20250101T023001Z/neo4j.dump; run again with --yes") {
		t.Errorf("exit %d: %s %s", r.ExitCode, r.Stdout, r.Stderr)
	}
	for _, c := range s.Calls()[before:] {
		if !strings.HasPrefix(c, "aws s3api list-objects-v2") {
			t.Errorf("without --yes it ran %s", c)
		}
	}
}

func TestRestoreOfAnUnknownBackupListsTheCompleteOnes(t *testing.T) {
	s := backupMachine(t, "community", map[string]string{"system": "users v1"})
	backups(t, s, "ledger v1", "ledger v2")
	r := restore(t, s, "--yes 20240101T000000Z")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "no complete backup 20240101T000000Z of neo4j") ||
		!strings.Contains(r.Stderr, "  20250101T023001Z\n  20250101T023002Z") {
		t.Errorf("exit %d: %s", r.ExitCode, r.Stderr)
	}
	if r := restore(t, s, "--yes 20250101T023001Z"); r.ExitCode != 0 || database(t, s, "neo4j") != "ledger v1" {
		t.Errorf("restoring a named backup: exit %d, database %q\n%s", r.ExitCode, database(t, s, "neo4j"), r.Stderr)
	}
}

func TestRestoreLeavesNeo4jStoppedWhenLoadingFails(t *testing.T) {
	s := backupMachine(t, "community", map[string]string{"system": "users v1"})
	backups(t, s, "ledger v1")
	s.Env = append(s.Env, "NEO4J_ADMIN_FAIL=load")
	r := restore(t, s, "--yes latest")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "may be half restored, so Neo4j stays stopped") || !strings.Contains(r.Stderr, "to go back: runuser -u neo4j -- neo4j-admin database load neo4j --from-path="+s.Path("staging", "before-restore-")) {
		t.Errorf("exit %d: %s", r.ExitCode, r.Stderr)
	}
	if running(s) {
		t.Error("Neo4j was started on a half-restored database")
	}
}

func TestRestoreEnterpriseBackup(t *testing.T) {
	s := backupMachine(t, "enterprise", map[string]string{"system": "users v1"})
	backups(t, s, "ledger v1")
	setDatabase(t, s, "neo4j", "ledger now")
	r := restore(t, s, "--yes latest")
	if r.ExitCode != 0 || database(t, s, "neo4j") != "ledger v1" {
		t.Fatalf("exit %d, database %q\n%s", r.ExitCode, database(t, s, "neo4j"), r.Stderr)
	}
	var restored bool
	for _, c := range s.Called("neo4j-admin") {
		restored = restored || strings.Contains(c, "database restore --from-path="+s.Path("staging", "restore-20250101T023001Z", "neo4j.backup")+" --overwrite-destination=true neo4j")
	}
	if !restored {
		t.Errorf("no neo4j-admin database restore of the downloaded backup: %q", s.Called("neo4j-admin"))
	}
}
