package tfpolicy

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// checkCircuitBreaker: every ECS service rolls a failed deployment back.
func checkCircuitBreaker(c *checker, s *stack) {
	for _, b := range s.blocks("resource", "aws_ecs_service") {
		cbs := nested(b.Body, "deployment_circuit_breaker")
		if len(cbs) == 0 {
			c.report(RuleCircuitBreaker, b.DefRange(), "%s has no deployment_circuit_breaker: add `deployment_circuit_breaker { enable = true, rollback = true }` so a failed deployment rolls back", b.name())
			continue
		}
		if !literalTrue(cbs[0].Body, "enable") || !literalTrue(cbs[0].Body, "rollback") {
			c.report(RuleCircuitBreaker, cbs[0].DefRange(), "%s: the deployment circuit breaker must set enable = true and rollback = true", b.name())
		}
	}
}

// checkAutoscaling: every ECS service is scaled by Application Auto Scaling
// (a scalable target in its module) and leaves desired_count to it
// (lifecycle ignore_changes), so an apply never resets the running count
// to the tfvars' floor in the middle of a load peak.
func checkAutoscaling(c *checker, s *stack) {
	for _, b := range s.blocks("resource", "aws_ecs_service") {
		if len(s.referrers("aws_appautoscaling_target", "resource_id", b)) == 0 {
			c.report(RuleAutoscaling, b.DefRange(), "%s is not autoscaled: add an aws_appautoscaling_target (resource_id = \"service/<cluster>/${aws_ecs_service.%s.name}\", min = desired_count) with a target tracking policy", b.name(), b.Labels[1])
		}
		ignored := false
		for _, l := range nested(b.Body, "lifecycle") {
			if a, ok := l.Body.Attributes["ignore_changes"]; ok {
				for _, t := range a.Expr.Variables() {
					ignored = ignored || t.RootName() == "desired_count"
				}
				if tup, ok := a.Expr.(*hclsyntax.TupleConsExpr); ok {
					for _, x := range tup.Exprs {
						ignored = ignored || strings.TrimSpace(b.file.source(x.Range())) == "desired_count"
					}
				}
			}
		}
		if !ignored {
			c.report(RuleAutoscaling, b.DefRange(), "%s does not leave desired_count to autoscaling: add `lifecycle { ignore_changes = [desired_count] }`, or every apply resets the running count", b.name())
		}
	}
}

// secretName matches environment variable names that look like secrets, and
// the credex-core variables known to be secret (its API keys and Neo4j
// connection details), which belong in the task definition's `secrets`.
var secretName = regexp.MustCompile(`(?i)(PASS|SECRET|TOKEN|CREDENTIAL|PRIVATE|(^|_)(API_?)?KEY(S)?(_|$)|_API$|^NEO_?4J_)`)

// IsSecretName reports whether an environment variable name looks like it
// holds a secret.
func IsSecretName(name string) bool { return secretName.MatchString(name) }

// checkContainerEnvironment: no secret-looking name in any container's plain
// `environment`. container_definitions is walked as written: jsonencode(...)
// of HCL objects, or a literal JSON string.
func checkContainerEnvironment(c *checker, s *stack) {
	for _, b := range s.blocks("resource", "aws_ecs_task_definition") {
		a, ok := b.Body.Attributes["container_definitions"]
		if !ok {
			continue
		}
		if call, ok := a.Expr.(*hclsyntax.FunctionCallExpr); ok && call.Name == "jsonencode" && len(call.Args) == 1 {
			walkForEnvironment(c, b, call.Args[0])
			continue
		}
		if text := key(a.Expr); text != "" {
			var defs []map[string]any
			if err := json.Unmarshal([]byte(text), &defs); err == nil {
				for _, d := range defs {
					env, _ := d["environment"].([]any)
					for _, e := range env {
						name, _ := e.(map[string]any)["name"].(string)
						if IsSecretName(name) {
							c.report(RuleSecretInEnvironment, a.Expr.Range(), "%s: %s is in the container's plain environment; move it to `secrets` with valueFrom a Secrets Manager ARN", b.name(), name)
						}
					}
				}
				continue
			}
		}
		c.report(RuleSecretInEnvironment, a.Expr.Range(), "%s: container_definitions cannot be checked for secrets; write it as jsonencode([...]) of literal objects", b.name())
	}
}

// walkForEnvironment finds every `environment = [...]` inside the
// container definitions' syntax tree.
func walkForEnvironment(c *checker, b fileBlock, e hclsyntax.Expression) {
	switch e := e.(type) {
	case *hclsyntax.TupleConsExpr:
		for _, x := range e.Exprs {
			walkForEnvironment(c, b, x)
		}
	case *hclsyntax.ObjectConsExpr:
		for _, item := range e.Items {
			if key(item.KeyExpr) == "environment" {
				checkEnvironmentList(c, b, item.ValueExpr)
				continue
			}
			walkForEnvironment(c, b, item.ValueExpr)
		}
	}
}

func checkEnvironmentList(c *checker, b fileBlock, e hclsyntax.Expression) {
	list, ok := e.(*hclsyntax.TupleConsExpr)
	if !ok {
		c.report(RuleSecretInEnvironment, e.Range(), "%s: a container's environment must be a literal list of { name = \"...\", value = ... } so it can be checked for secrets", b.name())
		return
	}
	for _, x := range list.Exprs {
		obj, ok := x.(*hclsyntax.ObjectConsExpr)
		if !ok {
			c.report(RuleSecretInEnvironment, x.Range(), "%s: write each environment entry as a literal { name = \"...\", value = ... }", b.name())
			continue
		}
		var name string
		var at hcl.Range
		for _, item := range obj.Items {
			if key(item.KeyExpr) == "name" {
				at = item.ValueExpr.Range()
				name = key(item.ValueExpr)
			}
		}
		switch {
		case name == "":
			c.report(RuleSecretInEnvironment, x.Range(), "%s: environment entry without a literal name; give every entry a literal name", b.name())
		case IsSecretName(name):
			c.report(RuleSecretInEnvironment, at, "%s: %s is in the container's plain environment, visible to anyone who can describe the task definition; move it to `secrets` with valueFrom = \"<secret ARN>:<json key>::\"", b.name(), name)
		}
	}
}
