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

// TerraformEnv is the environment a terraform run against the bed needs,
// as KEY=value (tfrun.Terraform.Run's env): the AWS provider and the S3
// backend reach the bed's endpoint with its static credentials, in its
// region, never AWS. Init the stack with envs.Environment.TerraformInit and
// path-style addressing, as the pipeline does with an endpoint.
func (b *Bed) TerraformEnv() []string {
	return []string{"AWS_ENDPOINT_URL=" + b.URL, "AWS_ACCESS_KEY_ID=" + AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + SecretAccessKey,
		"AWS_REGION=" + b.Region, "AWS_EC2_METADATA_DISABLED=true"}
}
