package tfpolicy

import (
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/great-sun-group/credex-ci/internal/envs"
)

// checkImageDigest: the image variable (root stack and any module taking
// one) is validated to be pinned by digest.
func checkImageDigest(c *checker, s *stack) {
	rootHas := false
	for _, b := range s.blocks("variable", "image") {
		rootHas = rootHas || b.file.dir == "."
		ok := false
		for _, v := range nested(b.Body, "validation") {
			if a, found := v.Body.Attributes["condition"]; found {
				cond := b.file.source(a.Expr.Range())
				ok = ok || (strings.Contains(cond, "@sha256:") && strings.Contains(cond, "{64}"))
			}
		}
		if !ok {
			c.report(RuleImageDigest, b.DefRange(), "variable \"image\" in %s accepts tags: add a validation block with condition = can(regex(\"^[^@\\\\s]+@sha256:[0-9a-f]{64}$\", var.image))", b.file.name)
		}
	}
	if !rootHas {
		c.report(RuleImageDigest, hcl.Range{Filename: "variables.tf", Start: hcl.Pos{Line: 1}}, "the root stack declares no variable \"image\": the pipeline passes the pushed image's digest as -var=image=<repository>@sha256:<digest>")
	}
}

// checkVariablesDocumented: every variable has a type and a description.
func checkVariablesDocumented(c *checker, s *stack) {
	for _, b := range s.blocks("variable", "") {
		if _, ok := b.Body.Attributes["type"]; !ok {
			c.report(RuleVariableDocumented, b.DefRange(), "variable %q has no type: add type = string (or the type it takes)", b.Labels[0])
		}
		if a, ok := b.Body.Attributes["description"]; !ok || key(a.Expr) == "" {
			c.report(RuleVariableDocumented, b.DefRange(), "variable %q has no description: add description = \"what it is and its unit\"", b.Labels[0])
		}
	}
}

// checkTFVars: each environment's tfvars file sets every root variable that
// has no default (except those the pipeline passes), and nothing undeclared.
func checkTFVars(c *checker, s *stack) {
	declared := map[string]hcl.Range{}
	var required []string
	for _, b := range s.blocks("variable", "") {
		if b.file.dir != "." {
			continue
		}
		name := b.Labels[0]
		declared[name] = b.DefRange()
		if _, hasDefault := b.Body.Attributes["default"]; !hasDefault && !PipelineVariables[name] {
			required = append(required, name)
		}
	}
	sort.Strings(required)
	for _, n := range envs.AWSNames() {
		e, err := envs.Lookup(n)
		if err != nil {
			continue
		}
		f, ok := s.tfvars[e.TFVarsFile]
		if !ok {
			c.report(RuleTFVarsComplete, hcl.Range{Filename: e.TFVarsFile}, "environment %s has no %s: create it and set %s", e.Name, e.TFVarsFile, strings.Join(required, ", "))
			continue
		}
		start := hcl.Range{Filename: f.name, Start: hcl.Pos{Line: 1}}
		for _, name := range required {
			if _, ok := f.body.Attributes[name]; !ok {
				r := declared[name]
				c.report(RuleTFVarsComplete, start, "%s does not set %s, which has no default (%s:%d): add %s = ...", f.name, name, r.Filename, r.Start.Line, name)
			}
		}
		names := make([]string, 0, len(f.body.Attributes))
		for name := range f.body.Attributes {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if _, ok := declared[name]; !ok {
				c.report(RuleTFVarsComplete, f.body.Attributes[name].SrcRange, "%s sets %s, which the stack does not declare: remove it or declare it in variables.tf", f.name, name)
			}
		}
		if v := attrString(f.body, "environment"); v != "" && v != e.TerraformEnv {
			c.report(RuleTFVarsComplete, f.body.Attributes["environment"].SrcRange, "%s sets environment = %q: it must be %q", f.name, v, e.TerraformEnv)
		}
	}
}
