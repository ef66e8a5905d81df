package deploy

import (
	"errors"
	"strings"

	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/tfoutputs"
	"github.com/great-sun-group/credex-ci/internal/tfplan"
)

// A Stack implemented with Terraform reads the stack's outputs and plans
// through these, whoever runs terraform (the Dagger module's containers,
// the tests' real binary).

// ReadDeployed is what the stack deployed before this deploy, from
// `terraform output -json` after init: nothing before the environment's
// first apply. A state left by an apply that stopped part-way has some
// outputs, which is enough: this deploy's plan and apply complete the
// stack. The outputs must be e's (account, region, environment).
func ReadDeployed(e envs.Environment, outputJSON []byte) (Deployed, tfoutputs.Outputs, error) {
	o, err := tfoutputs.ParseFor(outputJSON, tfoutputs.Existing("deploy"))
	if errors.Is(err, tfoutputs.ErrNotApplied) {
		return Deployed{}, tfoutputs.Outputs{}, nil
	}
	if err != nil {
		return Deployed{}, o, err
	}
	if err := o.Matches(e); err != nil {
		return Deployed{}, o, err
	}
	return Deployed{Image: o.Image, TaskDefinition: o.TaskDefinitionARN, URL: o.APIURL, Container: o.ContainerName}, o, nil
}

// ReadApplied is what the service runs after an apply, from `terraform
// output -json`: the whole outputs contract, for e.
func ReadApplied(e envs.Environment, outputJSON []byte) (Applied, tfoutputs.Outputs, error) {
	o, err := tfoutputs.ParseFor(outputJSON, tfoutputs.WholeContract())
	if err != nil {
		return Applied{}, o, err
	}
	if err := o.Matches(e); err != nil {
		return Applied{}, o, err
	}
	return Applied{TaskDefinition: o.TaskDefinitionARN, URL: o.APIURL}, o, nil
}

// PlanOf is a saved plan of image, as the deploy reports it: its resources
// changed, its one-line count and its Markdown table.
func PlanOf(image string, s tfplan.Summary) Plan {
	headline := strings.TrimSuffix(strings.TrimPrefix(s.Headline(), "Plan: "), ".")
	return Plan{Image: image, Changes: len(s.Lines), Summary: headline, Markdown: s.Markdown()}
}
