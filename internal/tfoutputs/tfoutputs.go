// Package tfoutputs reads the outputs of the credex-core Terraform stacks
// (`terraform output -json`) into typed structs: the contract between the
// stack (terraform/outputs.tf, docs/terraform.md) and the pipeline.
package tfoutputs

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Outputs are the main stack's outputs. Secret values are never outputs:
// only ARNs and names.
type Outputs struct {
	AWSAccountID        string            `json:"aws_account_id" contract:"required"`
	AWSRegion           string            `json:"aws_region" contract:"required"`
	Environment         string            `json:"environment"`
	ClusterName         string            `json:"cluster_name" contract:"required"`
	ServiceName         string            `json:"service_name" contract:"required"`
	TaskFamily          string            `json:"task_family" contract:"required"`
	TaskDefinitionARN   string            `json:"task_definition_arn"`
	ContainerName       string            `json:"container_name" contract:"required"`
	Image               string            `json:"image"`
	APIURL              string            `json:"api_url" contract:"required"`
	LoadBalancerDNSName string            `json:"load_balancer_dns_name"`
	TargetGroupARN      string            `json:"target_group_arn" contract:"required"`
	ECRRepositoryURL    string            `json:"ecr_repository_url" contract:"required"`
	LogGroupName        string            `json:"log_group_name" contract:"required"`
	LogStreamPrefix     string            `json:"log_stream_prefix"`
	SecretARNs          map[string]string `json:"secret_arns" contract:"required"`
	SecretNames         map[string]string `json:"secret_names"`
	AlarmTopicARN       string            `json:"alarm_topic_arn"`
	Neo4jInstanceIDs    map[string]string `json:"neo4j_instance_ids"`
}

// Registry are the registry stack's outputs (terraform/registry).
type Registry struct {
	RepositoryName string `json:"repository_name" contract:"required"`
	RepositoryURL  string `json:"repository_url" contract:"required"`
}

// ErrNotApplied is returned (wrapped) when a stack has no outputs at all.
var ErrNotApplied = errors.New("the stack has not been applied")

// ErrMissing is returned (wrapped) when required outputs are missing.
var ErrMissing = errors.New("missing Terraform outputs")

// Parse reads the main stack's `terraform output -json`, requiring the whole
// contract (Contract).
func Parse(data []byte) (Outputs, error) {
	return ParseFor(data, WholeContract())
}

// ParseFor reads the main stack's `terraform output -json`, requiring only
// the outputs one caller reads (n.Outputs): after an apply that stopped
// part-way, the outputs that exist are enough for a caller that needs no
// others.
func ParseFor(data []byte, n Need) (Outputs, error) {
	var o Outputs
	err := decode(data, &o, "terraform/outputs.tf", n)
	return o, err
}

// ParseRegistry reads the registry stack's `terraform output -json`.
func ParseRegistry(data []byte) (Registry, error) {
	var r Registry
	var required []string
	for _, f := range fields(r) {
		if f.required {
			required = append(required, f.name)
		}
	}
	err := decode(data, &r, "terraform/registry/outputs.tf", Need{Outputs: required,
		Instead: "apply the current stack (its outputs change only on apply)"})
	return r, err
}

// decode unwraps {"name": {"value": ..., "type": ..., "sensitive": ...}}
// into the struct's json fields and checks the outputs n needs are present.
func decode(data []byte, into any, defined string, n Need) error {
	var raw map[string]struct {
		Value     json.RawMessage `json:"value"`
		Sensitive bool            `json:"sensitive"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("reading terraform output -json: %w", err)
	}
	if len(raw) == 0 {
		instead := "run plan and apply for this environment first"
		if n.Caller != "" {
			instead = n.Instead + ", or run plan and apply for this environment first"
		}
		return fmt.Errorf("%w: it has no outputs; %s", ErrNotApplied, instead)
	}
	read := map[string]bool{}
	for _, f := range fields(into) {
		read[f.name] = true
	}
	values := make(map[string]json.RawMessage, len(raw))
	var sensitive []string
	for name, o := range raw {
		if len(o.Value) > 0 && string(o.Value) != "null" {
			values[name] = o.Value
		}
		if o.Sensitive && read[name] {
			sensitive = append(sensitive, name)
		}
	}
	// A sensitive output is a secret (output -json prints it in the clear),
	// and what the pipeline reads ends up in its reports and errors.
	if len(sensitive) > 0 {
		sort.Strings(sensitive)
		return fmt.Errorf("terraform output %s is marked sensitive, and the pipeline prints what it reads in its reports: outputs carry names and ARNs only, never a secret; output the secret's ARN instead in %s",
			strings.Join(sensitive, ", "), defined)
	}
	var missing []string
	for _, name := range n.Outputs {
		if _, ok := values[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		if n.Caller == "" {
			return fmt.Errorf("%w: %s; they are defined in %s: %s", ErrMissing, strings.Join(missing, ", "), defined, n.Instead)
		}
		return fmt.Errorf("%w: %s needs %s, which the state does not have (an apply that stopped part-way, or one made before %s defined them): %s, or apply the current stack",
			ErrMissing, n.Caller, strings.Join(missing, ", "), defined, n.Instead)
	}
	flat, _ := json.Marshal(values)
	if err := json.Unmarshal(flat, into); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("terraform output %s is a %s, want a %s: fix %s", te.Field, te.Value, te.Type, defined)
		}
		return fmt.Errorf("reading terraform output -json: %w", err)
	}
	return nil
}
