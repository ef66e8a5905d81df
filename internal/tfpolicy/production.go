package tfpolicy

import (
	"io/fs"
	"path"
	"regexp"
	"slices"
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
		for _, attr := range []string{"user_data", "user_data_base64"} {
			if a, ok := b.Body.Attributes[attr]; ok {
				checkBootScript(c, s, b, a)
			}
		}
	}
}

// checkBootScript checks the template a user_data argument renders
// (templatefile(...), also inside base64gzip(...)).
func checkBootScript(c *checker, s *stack, b fileBlock, a *hclsyntax.Attribute) {
	var call *hclsyntax.FunctionCallExpr
	hclsyntax.VisitAll(a.Expr, func(n hclsyntax.Node) hcl.Diagnostics {
		if f, ok := n.(*hclsyntax.FunctionCallExpr); ok && f.Name == "templatefile" && len(f.Args) > 0 && call == nil {
			call = f
		}
		return nil
	})
	if call == nil {
		return
	}
	name := templatePath(b.file, call.Args[0])
	if name == "" {
		return
	}
	text, err := fs.ReadFile(s.fsys, name)
	if err != nil || !strings.Contains(string(text), "server.bolt.") {
		return
	}
	if !strings.Contains(string(text), "\nserver.bolt.tls_level=REQUIRED\n") || !strings.Contains(string(text), "\ndbms.ssl.policy.bolt.enabled=true\n") {
		at := hcl.Range{Filename: name, Start: hcl.Pos{Line: lineOf(string(text), "server.bolt.tls_level", "server.bolt.")}}
		c.report(RuleBoltTLS, at, "the boot script of %s (%s:%d) configures Neo4j's Bolt connector without requiring TLS: set server.bolt.tls_level=REQUIRED and dbms.ssl.policy.bolt.enabled=true with the certificate the script makes", b.name(), b.file.name, a.SrcRange.Start.Line)
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
		if v, ok := attrValue(f.body, "nat_gateway_per_zone"); ok && v.Type().Equals(cty.Bool) && v.False() {
			c.report(RuleZoneRedundancy, tfvarsRange(f, "nat_gateway_per_zone"), "%s shares one NAT gateway between its zones: losing that zone cuts every task off ECR, Secrets Manager and CloudWatch; set nat_gateway_per_zone = true", f.name)
		}
	}
}

// ConfusedDeputyServices are the service principals whose trust policies
// must name the source account or resource (aws:SourceAccount,
// aws:SourceArn): AWS documents both keys for the roles they assume. (EC2's
// instance profiles, DLM and ECS's execution role have no such documented
// keys: see docs/terraform.md.)
var ConfusedDeputyServices = []string{"vpc-flow-logs.amazonaws.com", "s3.amazonaws.com"}

// checkConfusedDeputy: the trust policy of every ECS task role (a task
// definition's task_role_arn) and every statement trusting one of the
// ConfusedDeputyServices conditions on aws:SourceAccount or aws:SourceArn.
func checkConfusedDeputy(c *checker, s *stack) {
	documents := map[string]fileBlock{} // dir + name
	for _, d := range s.blocks("data", "aws_iam_policy_document") {
		documents[d.file.dir+"/"+d.Labels[1]] = d
	}
	check := func(d fileBlock, why string, want func(ids []string) bool) {
		for _, st := range nested(d.Body, "statement") {
			var ids []string
			for _, p := range nested(st.Body, "principals") {
				if attrString(p.Body, "type") != "Service" {
					continue
				}
				if v, ok := attrValue(p.Body, "identifiers"); ok && v.CanIterateElements() {
					for it := v.ElementIterator(); it.Next(); {
						_, x := it.Element()
						if x.Type() == cty.String {
							ids = append(ids, x.AsString())
						}
					}
				}
			}
			if len(ids) == 0 || !want(ids) {
				continue
			}
			conditioned := false
			for _, cond := range nested(st.Body, "condition") {
				v := attrString(cond.Body, "variable")
				conditioned = conditioned || v == "aws:SourceAccount" || v == "aws:SourceArn"
			}
			if !conditioned {
				c.report(RuleConfusedDeputy, st.DefRange(), "%s: the statement trusting %s has no aws:SourceAccount or aws:SourceArn condition (%s): add condition { test = \"StringEquals\", variable = \"aws:SourceAccount\", values = [<account id>] } and an ArnLike on aws:SourceArn", d.name(), strings.Join(ids, ", "), why)
			}
		}
	}
	for _, d := range s.blocks("data", "aws_iam_policy_document") {
		check(d, "a service acting for another account could use this role", func(ids []string) bool {
			for _, id := range ids {
				if slices.Contains(ConfusedDeputyServices, id) {
					return true
				}
			}
			return false
		})
	}
	for _, td := range s.blocks("resource", "aws_ecs_task_definition") {
		a, ok := td.Body.Attributes["task_role_arn"]
		if !ok {
			continue
		}
		for _, role := range s.blocks("resource", "aws_iam_role") {
			if role.file.dir != td.file.dir || !references(a.Expr, "aws_iam_role", role.Labels[1]) {
				continue
			}
			trust, ok := role.Body.Attributes["assume_role_policy"]
			if !ok {
				continue
			}
			for _, t := range trust.Expr.Variables() {
				if t.RootName() != "data" || len(t) < 3 {
					continue
				}
				if name, ok := t[2].(hcl.TraverseAttr); ok {
					if d, ok := documents[role.file.dir+"/"+name.Name]; ok {
						check(d, "the task role: another account's task definition naming it would get the application's permissions", func([]string) bool { return true })
					}
				}
			}
		}
	}
}

// checkNetwork: every VPC records its flow logs and takes every rule off its
// default security group, and every load balancer writes access logs.
func checkNetwork(c *checker, s *stack) {
	for _, vpc := range s.blocks("resource", "aws_vpc") {
		if len(s.referrers("aws_flow_log", "vpc_id", vpc)) == 0 {
			c.report(RuleNetwork, vpc.DefRange(), "%s records no flow logs: add an aws_flow_log (traffic_type = \"ALL\") to an encrypted log group", vpc.name())
		}
		defaults := s.referrers("aws_default_security_group", "vpc_id", vpc)
		if len(defaults) == 0 {
			c.report(RuleNetwork, vpc.DefRange(), "%s keeps its default security group's rules (all traffic between its members, all out): add an aws_default_security_group with vpc_id = aws_vpc.%s.id and no ingress or egress", vpc.name(), vpc.Labels[1])
		}
		for _, d := range defaults {
			if len(fieldBodies(d.Body, []string{"ingress", "egress"})) > 0 {
				c.report(RuleNetwork, d.DefRange(), "%s has rules: the default security group must allow nothing (remove its ingress and egress blocks)", d.name())
			}
		}
	}
	for _, lb := range s.blocks("resource", "aws_lb") {
		logs := nested(lb.Body, "access_logs")
		if len(logs) == 0 || !literalTrue(logs[0].Body, "enabled") {
			c.report(RuleNetwork, lb.DefRange(), "%s writes no access logs: add access_logs { bucket = <an SSE-S3 bucket ELB may write to>, enabled = true }", lb.name())
		}
	}
}

// checkBackups: every bucket but a load balancer's access-log bucket keeps
// versions (an overwritten or deleted backup or state can be brought back),
// and each protected environment copies its database backups to another
// region.
func checkBackups(c *checker, s *stack) {
	for _, b := range s.blocks("resource", "aws_s3_bucket") {
		if accessLogBucket(s, b) {
			continue
		}
		versioned := false
		for _, v := range s.referrers("aws_s3_bucket_versioning", "bucket", b) {
			for _, vc := range nested(v.Body, "versioning_configuration") {
				versioned = versioned || attrString(vc.Body, "status") == "Enabled"
			}
		}
		if !versioned {
			c.report(RuleBackups, b.DefRange(), "%s keeps no versions: add an aws_s3_bucket_versioning with status = \"Enabled\" (an overwritten or deleted object can then be brought back)", b.name())
		}
	}
	for _, f := range protectedTFVars(s) {
		if !setsNonNull(f, "backup_replica_region") {
			c.report(RuleBackups, tfvarsRange(f, "backup_replica_region"), "%s keeps its database backups in one region: set backup_replica_region to another region (e.g. \"eu-west-1\") so a region's loss loses no backup", f.name)
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

func nonEmptyList(f *file, name string) bool {
	v, ok := attrValue(f.body, name)
	return ok && v.CanIterateElements() && v.LengthInt() > 0
}

func setsNonNull(f *file, name string) bool {
	v, ok := attrValue(f.body, name)
	return ok && (!v.Type().Equals(cty.String) || v.AsString() != "")
}

// tfvarsRange is where a tfvars attribute is, or the file's first line when
// it is not set.
func tfvarsRange(f *file, name string) hcl.Range {
	if a, ok := f.body.Attributes[name]; ok {
		return a.SrcRange
	}
	return hcl.Range{Filename: f.name, Start: hcl.Pos{Line: 1}}
}
