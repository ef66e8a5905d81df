// Package tfplan reads the JSON form of a saved Terraform plan (`terraform
// show -json <planfile>`): it summarises the planned changes as text and
// Markdown, refuses plans that would destroy a database, and reports drift.
package tfplan

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Plan is the part of `terraform show -json` the pipeline reads.
type Plan struct {
	FormatVersion    string           `json:"format_version"`
	TerraformVersion string           `json:"terraform_version"`
	ResourceChanges  []ResourceChange `json:"resource_changes"`
	// ResourceDrift lists changes made outside Terraform since the last
	// apply, found by the plan's refresh.
	ResourceDrift []ResourceChange `json:"resource_drift"`
	Variables     Variables        `json:"variables"`
	Errored       bool             `json:"errored"`
}

// ResourceChange is one resource instance's planned change.
type ResourceChange struct {
	Address       string `json:"address"`
	ModuleAddress string `json:"module_address"`
	Mode          string `json:"mode"`
	Type          string `json:"type"`
	Name          string `json:"name"`
	Change        struct {
		Actions []string `json:"actions"`
	} `json:"change"`
	// ActionReason says why, e.g. "replace_because_cannot_update".
	ActionReason string `json:"action_reason"`
}

// Action is what happens to one resource.
type Action string

// Actions, named as in Terraform's own output.
const (
	NoOp    Action = "no-op"
	Create  Action = "create"
	Read    Action = "read"
	Update  Action = "update"
	Delete  Action = "delete"
	Replace Action = "replace"
	Forget  Action = "forget"
)

// Action folds the change's action list into one Action: ["delete",
// "create"] and ["create", "delete"] are Replace.
func (rc ResourceChange) Action() Action {
	a := rc.Change.Actions
	switch {
	case len(a) == 2 && ((a[0] == "delete" && a[1] == "create") || (a[0] == "create" && a[1] == "delete")):
		return Replace
	case len(a) == 1:
		return Action(a[0])
	default:
		return Action(strings.Join(a, ","))
	}
}

// Destroys reports whether the change deletes the existing object.
func (rc ResourceChange) Destroys() bool {
	a := rc.Action()
	return a == Delete || a == Replace
}

// Parse reads `terraform show -json` output (format version 1.x).
func Parse(data []byte) (*Plan, error) {
	var p Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("reading the plan JSON (terraform show -json <planfile>): %w", err)
	}
	if p.FormatVersion == "" {
		return nil, fmt.Errorf("reading the plan JSON: no format_version; is this the output of `terraform show -json <planfile>`?")
	}
	if !strings.HasPrefix(p.FormatVersion, "1.") {
		return nil, fmt.Errorf("reading the plan JSON: format_version %s is not supported (want 1.x): use Terraform 1.x (the pipeline runs 1.11)", p.FormatVersion)
	}
	return &p, nil
}

// Variables are the input variables the plan was made with (only present in
// plans, not in drift-only JSON).
type Variables map[string]struct {
	Value any `json:"value"`
}

// CheckFor refuses a plan made for another environment or account than the
// one it is about to be applied to (read from the plan's `environment` and
// `aws_account_id` variables).
func (p *Plan) CheckFor(terraformEnv, accountID string) error {
	for name, want := range map[string]string{"environment": terraformEnv, "aws_account_id": accountID} {
		v, ok := p.Variables[name]
		if !ok || want == "" {
			continue
		}
		if got := fmt.Sprint(v.Value); got != want {
			return fmt.Errorf("refusing to apply: the plan was made with %s = %q, but this run targets %q; plan again with the same --env as apply", name, got, want)
		}
	}
	return nil
}
