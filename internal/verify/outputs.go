package verify

import (
	"github.com/great-sun-group/credex-ci/internal/tfoutputs"
)

// ApplyOutputs fills what the caller left empty in the target from the
// Terraform stack's outputs (`terraform output -json`), after checking that
// the outputs belong to the configuration's environment. Values already set
// (from flags or function arguments) win.
func (c *Config) ApplyOutputs(out tfoutputs.Outputs) error {
	if err := out.Matches(c.Env); err != nil {
		return err
	}
	t := &c.Target
	for _, f := range []struct {
		dst *string
		v   string
	}{
		{&t.Cluster, out.ClusterName}, {&t.Service, out.ServiceName}, {&t.TaskDefinition, out.TaskDefinitionARN},
		{&t.URL, out.APIURL}, {&c.ContainerName, out.ContainerName}, {&c.LogGroup, out.LogGroupName},
		{&c.LogStreamPrefix, out.LogStreamPrefix},
	} {
		if *f.dst == "" {
			*f.dst = f.v
		}
	}
	return nil
}
