package main

import "github.com/great-sun-group/credex-ci/internal/verify"

// applyTerraformOutputs fills the target from `terraform output -json`.
func (o *options) applyTerraformOutputs(cfg *verify.Config) error {
	if o.terraformOutputs == "" {
		return nil
	}
	return usageErr("--terraform-outputs is not available in this build yet: pass --cluster, --service, --task-definition and --api-url")
}
