package tfpolicy

import (
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/great-sun-group/credex-ci/internal/envs"
)

// What production must have, as far as the HCL shows it. The values that
// come from the tfvars and the modules together are held by the plan
// assertions of internal/tfrun (TLS listeners, subscribers, NAT gateways
// per zone), and the stack's own validation blocks refuse them at plan time.

// TLS13Policy prefixes the load balancer security policies that allow TLS
// 1.3 (ELBSecurityPolicy-TLS13-1-2-2021-06 and newer).
const TLS13Policy = "ELBSecurityPolicy-TLS13-"

// checkTLS: every HTTPS listener uses a TLS 1.3 security policy, and each
// protected environment's tfvars sets certificate_arn and domain_name (the
// API is served over HTTPS only, on a name the certificate covers).
func checkTLS(c *checker, s *stack) {
	for _, b := range s.blocks("resource", "aws_lb_listener") {
		p, ok := b.Body.Attributes["protocol"]
		if !ok || key(p.Expr) != "HTTPS" {
			continue
		}
		a, ok := b.Body.Attributes["ssl_policy"]
		if !ok || !strings.HasPrefix(key(a.Expr), TLS13Policy) {
			r := b.DefRange()
			if ok {
				r = a.SrcRange
			}
			c.report(RuleTLS, r, "%s serves HTTPS without a TLS 1.3 security policy: set ssl_policy = \"ELBSecurityPolicy-TLS13-1-2-2021-06\" (TLS 1.2 and 1.3, forward-secret ciphers only)", b.name())
		}
	}
	for _, f := range protectedTFVars(s) {
		for _, name := range []string{"certificate_arn", "domain_name"} {
			if !setsNonNull(f, name) {
				c.report(RuleTLS, tfvarsRange(f, name), "%s does not set %s: production serves the API over HTTPS only, on a name its certificate covers; set certificate_arn (ACM, in aws_region) and domain_name", f.name, name)
			}
		}
	}
}

// checkAlarmSubscribers: every alarm notifies (alarm_actions), a system
// status check alarm also recovers its instance, and each protected
// environment's tfvars subscribes someone to the alarms: an e-mail address
// or an HTTPS endpoint.
func checkAlarmSubscribers(c *checker, s *stack) {
	for _, b := range s.blocks("resource", "aws_cloudwatch_metric_alarm") {
		if _, ok := b.Body.Attributes["alarm_actions"]; !ok {
			c.report(RuleAlarmSubscriber, b.DefRange(), "%s notifies nobody: set alarm_actions (the alarm topic's ARN) and ok_actions", b.name())
		}
	}
	for _, b := range s.blocks("resource", "aws_cloudwatch_metric_alarm") {
		a, ok := b.Body.Attributes["alarm_actions"]
		if attrString(b.Body, "metric_name") == "StatusCheckFailed_System" && ok && !strings.Contains(b.file.source(a.Expr.Range()), ":ec2:recover") {
			c.report(RuleAlarmSubscriber, a.SrcRange, "%s watches StatusCheckFailed_System without recovering the instance: add \"arn:aws:automate:${var.region}:ec2:recover\" to alarm_actions (EC2 moves the instance to healthy hardware, keeping its ID, IP and volumes)", b.name())
		}
	}
	for _, f := range protectedTFVars(s) {
		if nonEmptyList(f, "alarm_emails") || nonEmptyList(f, "alarm_https_endpoints") {
			continue
		}
		c.report(RuleAlarmSubscriber, tfvarsRange(f, "alarm_emails"), "%s subscribes nobody to the alarms: set alarm_emails = [\"...\"] (an on-call address) or alarm_https_endpoints = [\"https://...\"] (a paging service's endpoint)", f.name)
	}
}

// plainBolt matches a Bolt URL without TLS.
var plainBolt = regexp.MustCompile(`^(bolt|neo4j)://`)

// checkBoltTLS: no Bolt URL in the configuration is plain text (bolt://,
// neo4j://), and every boot script that configures Neo4j's Bolt connector
// (a templatefile(...) of a resource's user_data) requires TLS on it.
func checkBoltTLS(c *checker, s *stack) {
	for _, f := range s.files {
		hclsyntax.VisitAll(f.body, func(n hclsyntax.Node) hcl.Diagnostics {
			t, ok := n.(*hclsyntax.TemplateExpr)
			if !ok || len(t.Parts) == 0 {
				return nil
			}
			if lit, ok := t.Parts[0].(*hclsyntax.LiteralValueExpr); ok && lit.Val.Type() == cty.String && plainBolt.MatchString(lit.Val.AsString()) {
				c.report(RuleBoltTLS, t.SrcRange, "a plain-text Bolt URL (%s...): the passwords and data would cross the network in clear; use bolt+s:// (a verifiable certificate) or bolt+ssc:// (the servers' own) with server.bolt.tls_level=REQUIRED", strings.SplitN(lit.Val.AsString(), ":", 2)[0]+"://")
			}
			return nil
		})
	}
	for _, b := range s.blocks("resource", "") {
		a, ok := b.Body.Attributes["user_data"]
		if !ok {
			continue
		}
		call, ok := a.Expr.(*hclsyntax.FunctionCallExpr)
		if !ok || call.Name != "templatefile" || len(call.Args) == 0 {
			continue
		}
		name := templatePath(b.file, call.Args[0])
		if name == "" {
			continue
		}
		text, err := fs.ReadFile(s.fsys, name)
		if err != nil || !strings.Contains(string(text), "server.bolt.") {
			continue
		}
		if !strings.Contains(string(text), "\nserver.bolt.tls_level=REQUIRED\n") || !strings.Contains(string(text), "\ndbms.ssl.policy.bolt.enabled=true\n") {
			at := hcl.Range{Filename: name, Start: hcl.Pos{Line: lineOf(string(text), "server.bolt.tls_level", "server.bolt.")}}
			c.report(RuleBoltTLS, at, "the boot script of %s (%s:%d) configures Neo4j's Bolt connector without requiring TLS: set server.bolt.tls_level=REQUIRED and dbms.ssl.policy.bolt.enabled=true with the certificate the script makes", b.name(), b.file.name, a.SrcRange.Start.Line)
		}
	}
}

// lineOf is the line of the first of the texts found in src (1 when none
// is).
func lineOf(src string, texts ...string) int {
	for _, t := range texts {
		if i := strings.Index(src, t); i >= 0 {
			return strings.Count(src[:i], "\n") + 1
		}
	}
	return 1
}

// templatePath resolves a templatefile's path written as
// "${path.module}/<file>" to a path in the stack ("" otherwise).
func templatePath(f *file, e hclsyntax.Expression) string {
	t, ok := e.(*hclsyntax.TemplateExpr)
	if !ok || len(t.Parts) != 2 {
		return ""
	}
	if v := t.Parts[0].Variables(); len(v) != 1 || v[0].RootName() != "path" {
		return ""
	}
	lit, ok := t.Parts[1].(*hclsyntax.LiteralValueExpr)
	if !ok || lit.Val.Type() != cty.String {
		return ""
	}
	return path.Clean(path.Join(f.dir, lit.Val.AsString()))
}

// checkZoneRedundancy: no protected environment shares one NAT gateway
// between its zones.
func checkZoneRedundancy(c *checker, s *stack) {
	for _, f := range protectedTFVars(s) {
		if v, ok := tfvarsValue(f, "nat_gateway_per_zone"); ok && v.Type() == cty.Bool && v.False() {
			c.report(RuleZoneRedundancy, tfvarsRange(f, "nat_gateway_per_zone"), "%s shares one NAT gateway between its zones: losing that zone cuts every task off ECR, Secrets Manager and CloudWatch; set nat_gateway_per_zone = true", f.name)
		}
	}
}

// protectedTFVars are the tfvars files of the protected environments
// (production), in environment order.
func protectedTFVars(s *stack) []*file {
	var out []*file
	for _, n := range envs.AWSNames() {
		e, err := envs.Lookup(n)
		if err != nil || !e.Protected {
			continue
		}
		if f, ok := s.tfvars[e.TFVarsFile]; ok {
			out = append(out, f)
		}
	}
	return out
}

// tfvarsValue is a tfvars attribute's literal value; ok is false when it is
// not set or not a literal.
func tfvarsValue(f *file, name string) (cty.Value, bool) {
	a, ok := f.body.Attributes[name]
	if !ok {
		return cty.NilVal, false
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return cty.NilVal, false
	}
	return v, true
}

func nonEmptyList(f *file, name string) bool {
	v, ok := tfvarsValue(f, name)
	return ok && !v.IsNull() && v.CanIterateElements() && v.LengthInt() > 0
}

func setsNonNull(f *file, name string) bool {
	v, ok := tfvarsValue(f, name)
	return ok && !v.IsNull() && (!v.Type().Equals(cty.String) || v.AsString() != "")
}

// tfvarsRange is where a tfvars attribute is, or the file's first line when
// it is not set.
func tfvarsRange(f *file, name string) hcl.Range {
	if a, ok := f.body.Attributes[name]; ok {
		return a.SrcRange
	}
	return hcl.Range{Filename: f.name, Start: hcl.Pos{Line: 1}}
}

// attrString is an attribute's literal string value ("" when it is not
// one).
func attrString(b *hclsyntax.Body, name string) string {
	a, ok := b.Attributes[name]
	if !ok {
		return ""
	}
	return key(a.Expr)
}
