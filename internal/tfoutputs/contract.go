package tfoutputs

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/great-sun-group/credex-ci/internal/envs"
)

type field struct {
	name     string
	required bool
}

// fields lists a struct's outputs from its json and contract tags.
func fields(v any) []field {
	t := reflect.TypeOf(v)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	out := make([]field, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		out = append(out, field{name: name, required: f.Tag.Get("contract") == "required"})
	}
	return out
}

// Contract lists the main stack's outputs the pipeline requires.
func Contract() []string {
	var names []string
	for _, f := range fields(Outputs{}) {
		if f.required {
			names = append(names, f.name)
		}
	}
	return names
}

// Matches checks the outputs against the names the pipeline derives for the
// environment (internal/envs), so a stack applied with another environment's
// tfvars, or into another account, is caught before anything acts on it.
// Outputs the state does not have (an apply that stopped part-way) are not
// compared; ParseFor has already required the ones the caller needs.
func (o Outputs) Matches(e envs.Environment) error {
	var diffs []string
	check := func(what, got, want string) {
		if want != "" && got != "" && got != want {
			diffs = append(diffs, fmt.Sprintf("%s is %q, want %q", what, got, want))
		}
	}
	check("aws_account_id", o.AWSAccountID, e.AccountID)
	check("aws_region", o.AWSRegion, e.Region)
	check("cluster_name", o.ClusterName, e.ClusterName())
	check("service_name", o.ServiceName, e.ServiceName())
	check("task_family", o.TaskFamily, e.TaskFamily())
	check("container_name", o.ContainerName, e.ContainerName())
	check("log_group_name", o.LogGroupName, e.LogGroupName())
	if _, ok := o.SecretARNs["neo4j"]; o.SecretARNs != nil && !ok {
		diffs = append(diffs, `secret_arns has no "neo4j" entry`)
	}
	if n, ok := o.SecretNames["neo4j"]; ok {
		check(`secret_names["neo4j"]`, n, e.Neo4jSecretName)
	}
	if len(diffs) == 0 {
		return nil
	}
	return fmt.Errorf("the Terraform outputs do not belong to environment %s (%s): %s; check terraform/%s and the state key %s",
		e.Name, e.TerraformEnv, strings.Join(diffs, "; "), e.TFVarsFile, e.StateKey)
}
