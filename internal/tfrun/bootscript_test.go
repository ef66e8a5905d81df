//go:build terraform

package tfrun_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// userDataLimit is the most user data EC2 takes, in bytes (before base64);
// the module gzips the script (base64gzip), which cloud-init unpacks.
const userDataLimit = 16 * 1024

// bootScriptVars are the template variables modules/neo4j passes to its boot
// script (user_data.sh.tftpl), as HCL, for one edition: keep them in step
// with the module's templatefile call (a missing one fails the render).
func bootScriptVars(edition string) string {
	pkg := "neo4j"
	if edition == "enterprise" {
		pkg = "neo4j-enterprise"
	}
	return fmt.Sprintf(`{
    package               = %[1]q
    version               = "5.26.0"
    secret_arn            = "arn:aws:secretsmanager:af-south-1:000000000000:secret:neo4j_stage_secrets-AbCdEf"
    password_key          = "ledgerspacepass"
    heap_size             = "1g"
    database_name         = "ledgerspace"
    volume_id             = "vol-0123456789abcdef0"
    data_dir              = "/var/lib/neo4j"
    data_volume_functions = file("%[2]s/scripts/data-volume.sh")
    bolt_tls_functions    = file("%[2]s/scripts/bolt-tls.sh")
    name                  = "credex-staging"
    region                = "af-south-1"
    edition               = %[3]q
    backup_script         = file("%[2]s/scripts/neo4j-backup.sh")
    restore_script        = file("%[2]s/scripts/neo4j-restore.sh")
    backup_bucket         = "credex-staging-neo4j-backups-000000000000"
    backup_kms_key        = "arn:aws:kms:af-south-1:000000000000:key/11111111-2222-3333-4444-555555555555"
    backup_namespace      = "Credex/Neo4j"
    backup_time           = "02:30"
  }`, pkg, neo4jModule(nil), edition)
}

func neo4jModule(t *testing.T) string {
	abs, err := filepath.Abs(filepath.Join(stackDir, "modules", "neo4j"))
	if err != nil && t != nil {
		t.Fatal(err)
	}
	return abs
}

// The Neo4j boot script as Terraform renders it, for each edition: within
// EC2's user data limit, valid bash, and clean under shellcheck (when it is
// installed).
func TestNeo4jBootScriptRenders(t *testing.T) {
	t.Parallel()
	tf := terraform(t)
	for _, edition := range []string{"community", "enterprise"} {
		t.Run(edition, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			config := fmt.Sprintf("output \"user_data\" {\n  value = templatefile(\"%s/user_data.sh.tftpl\", %s)\n}\n", neo4jModule(t), bootScriptVars(edition))
			if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o644); err != nil {
				t.Fatal(err)
			}
			run(t, tf, dir, nil, "init", "-input=false", "-no-color")
			run(t, tf, dir, nil, "apply", "-input=false", "-no-color", "-auto-approve")
			script := run(t, tf, dir, nil, "output", "-raw", "user_data").Stdout
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			_, _ = zw.Write([]byte(script))
			_ = zw.Close()
			if n := gz.Len(); n > userDataLimit {
				t.Errorf("the %s boot script is %d bytes gzipped; EC2 takes at most %d of user data", edition, n, userDataLimit)
			}
			t.Logf("%s boot script: %d bytes, %d gzipped", edition, len(script), gz.Len())
			path := filepath.Join(dir, "user_data.sh")
			if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.CommandContext(t.Context(), "bash", "-n", path).CombinedOutput(); err != nil {
				t.Errorf("bash -n: %v\n%s", err, out)
			}
			for _, want := range []string{`volume_device "vol-0123456789abcdef0"`, "\nserver.bolt.tls_level=REQUIRED\n", "\nserver.http.listen_address=127.0.0.1:7474\n",
				"bolt_certificate /var/lib/neo4j/certificates/bolt ", "\nNEO4J_EDITION=" + edition + "\n", "systemctl enable --now neo4j-backup.timer", "\nOnCalendar=*-*-* 02:30:00 UTC\n"} {
				if !strings.Contains(script, want) {
					t.Errorf("the boot script has no %q", want)
				}
			}
			if online := strings.Contains(script, "\nserver.backup.listen_address=127.0.0.1:6362\n"); online != (edition == "enterprise") {
				t.Errorf("%s: the backup listener on the loopback: %v", edition, online)
			}
			// The installed tools are the scripts as tested, whole.
			for _, f := range []string{"neo4j-backup.sh", "neo4j-restore.sh"} {
				body, err := os.ReadFile(filepath.Join(neo4jModule(t), "scripts", f))
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(script, string(body)) {
					t.Errorf("the boot script does not install %s as it is", f)
				}
			}
			sc, err := exec.LookPath("shellcheck")
			if err != nil {
				t.Log("shellcheck is not installed: the rendered script is not linted")
				return
			}
			if out, err := exec.CommandContext(t.Context(), sc, "--severity=style", path).CombinedOutput(); err != nil {
				t.Errorf("shellcheck of the rendered %s boot script: %v\n%s", edition, err, out)
			}
		})
	}
}
