package testbed

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/great-sun-group/credex-ci/internal/envs"
)

// WriteTerraformDir writes, under dir, the part of a terraform/ directory
// the pipeline reads: environments/<env>.tfvars for every environment,
// naming account and region. Pointed at the bed's AccountID, the preflight
// passes.
func WriteTerraformDir(dir, account, region string) error {
	envDir := filepath.Join(dir, "environments")
	if err := os.MkdirAll(envDir, 0o755); err != nil {
		return fmt.Errorf("test bed: writing the terraform directory: %w", err)
	}
	for _, name := range envs.AWSNames() {
		env, err := envs.Lookup(name)
		if err != nil {
			return err
		}
		vars := fmt.Sprintf("# written by the credex-ci test bed: not a real account\naws_account_id = %q\naws_region     = %q\n", account, region)
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(env.TFVarsFile)), []byte(vars), 0o644); err != nil {
			return fmt.Errorf("test bed: writing the terraform directory: %w", err)
		}
	}
	return nil
}
