package main

import (
	"os"

	"github.com/great-sun-group/credex-ci/internal/tfoutputs"
	"github.com/great-sun-group/credex-ci/internal/verify"
)

// applyTerraformOutputs fills what the flags left empty from the file
// `terraform output -json` wrote, after checking the outputs belong to the
// environment. Flags win over outputs.
func (o *options) applyTerraformOutputs(cfg *verify.Config) error {
	if o.terraformOutputs == "" {
		return nil
	}
	data, err := os.ReadFile(o.terraformOutputs)
	if err != nil {
		return usageErr("--terraform-outputs: %v (write it with `terraform -chdir=terraform output -json > outputs.json`)", err)
	}
	out, err := tfoutputs.ParseFor(data, tfoutputs.ForVerify(o.taskDefinition != "", o.apiURL != ""))
	if err != nil {
		return usageErr("--terraform-outputs %s: %v", o.terraformOutputs, err)
	}
	if err := cfg.ApplyOutputs(out); err != nil {
		return usageErr("--terraform-outputs %s: %v", o.terraformOutputs, err)
	}
	return nil
}
