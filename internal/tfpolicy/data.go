package tfpolicy

import (
	"math/big"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/great-sun-group/credex-ci/internal/tfplan"
)

// DatabasePorts are Neo4j's Bolt and HTTP ports.
var DatabasePorts = []int64{7687, 7474}

// checkPreventDestroy: every resource of a type that holds data
// (tfplan.DataTypes: the databases, secrets, snapshot policy, repository,
// buckets and KMS keys, which the pipeline's plan guard also refuses to
// destroy) has prevent_destroy, so Terraform refuses too, by hand.
func checkPreventDestroy(c *checker, s *stack) {
	for typ := range tfplan.DataTypes {
		for _, b := range s.blocks("resource", typ) {
			ok := false
			for _, l := range nested(b.Body, "lifecycle") {
				ok = ok || literalTrue(l.Body, "prevent_destroy")
			}
			if !ok {
				c.report(RulePreventDestroy, b.DefRange(), "%s holds data but can be destroyed by an apply: add `lifecycle { prevent_destroy = true }`", b.name())
			}
		}
	}
}

// checkEncryption: EBS volumes (separate and instances' own), the state bucket
// and the S3 backend are encrypted.
func checkEncryption(c *checker, s *stack) {
	for _, b := range s.blocks("resource", "aws_ebs_volume") {
		if !literalTrue(b.Body, "encrypted") {
			c.report(RuleEncryption, b.DefRange(), "%s is not encrypted: set encrypted = true", b.name())
		}
	}
	for _, b := range s.blocks("resource", "aws_instance") {
		roots := nested(b.Body, "root_block_device")
		if len(roots) == 0 {
			c.report(RuleEncryption, b.DefRange(), "%s has no root_block_device: add one with encrypted = true (the default root volume follows the account setting)", b.name())
		}
		for _, d := range append(roots, nested(b.Body, "ebs_block_device")...) {
			if !literalTrue(d.Body, "encrypted") {
				c.report(RuleEncryption, d.DefRange(), "%s: %s is not encrypted: set encrypted = true", b.name(), d.Type)
			}
		}
	}
	for _, b := range s.blocks("resource", "aws_s3_bucket") {
		sse := s.referrers("aws_s3_bucket_server_side_encryption_configuration", "bucket", b)
		for _, e := range sse {
			checkBucketKey(c, s, b, e)
		}
		if len(sse) == 0 {
			c.report(RuleEncryption, b.DefRange(), "%s has no server-side encryption: add an aws_s3_bucket_server_side_encryption_configuration with bucket = aws_s3_bucket.%s.id", b.name(), b.Labels[1])
		}
	}
	for _, b := range s.blocks("resource", "aws_sns_topic") {
		if _, ok := b.Body.Attributes["kms_master_key_id"]; !ok {
			c.report(RuleEncryption, b.DefRange(), "%s is not encrypted: set kms_master_key_id to the environment's KMS key (its policy lets CloudWatch alarms publish)", b.name())
		}
	}
	for _, b := range s.blocks("resource", "aws_cloudwatch_log_group") {
		if _, ok := b.Body.Attributes["kms_key_id"]; !ok {
			c.report(RuleEncryption, b.DefRange(), "%s is encrypted with CloudWatch's own key only: set kms_key_id to the environment's KMS key (its policy lets CloudWatch Logs use it for the environment's groups)", b.name())
		}
	}
	for _, b := range s.blocks("resource", "aws_ecr_repository") {
		ecs := nested(b.Body, "encryption_configuration")
		if len(ecs) == 0 || attrString(ecs[0].Body, "encryption_type") == "AES256" {
			c.report(RuleEncryption, b.DefRange(), "%s is not encrypted with a KMS key: add encryption_configuration { encryption_type = \"KMS\", kms_key = <the environment's key> }", b.name())
		}
	}
	for _, b := range s.blocks("module", "") {
		if src := attrString(b.Body, "source"); strings.HasSuffix(src, "private-bucket") {
			if _, ok := b.Body.Attributes["kms_key_arn"]; !ok && !accessLogTarget(s, b.file.dir, "module", b.Labels[0]) {
				c.report(RuleEncryption, b.DefRange(), "%s makes a bucket encrypted with S3's own key (AES256): pass kms_key_arn = a key of ours (only a load balancer's access-log bucket must keep AES256)", b.name())
			}
		}
		if src := attrString(b.Body, "source"); strings.HasSuffix(src, "modules/registry") {
			if _, ok := b.Body.Attributes["kms_key_arn"]; !ok {
				c.report(RuleEncryption, b.DefRange(), "%s creates the ECR repository without kms_key_arn: pass the environment's key (module.key.arn), or the images are encrypted with ECR's AES256 only", b.name())
			}
		}
	}
	for _, b := range s.blocks("resource", "aws_kms_key") {
		if !literalTrue(b.Body, "enable_key_rotation") {
			c.report(RuleEncryption, b.DefRange(), "%s is never rotated: set enable_key_rotation = true (and rotation_period_in_days)", b.name())
		}
	}
	for _, t := range s.blocks("terraform", "") {
		for _, be := range nested(t.Body, "backend") {
			if len(be.Labels) == 1 && be.Labels[0] == "s3" && !literalTrue(be.Body, "encrypt") {
				c.report(RuleEncryption, be.DefRange(), "the S3 backend in %s does not encrypt the state: set encrypt = true", t.file.name)
			}
		}
	}
}

// checkBucketKey: a bucket's default encryption uses a KMS key of ours
// (aws:kms with kms_master_key_id), not S3's or the AWS-managed key; SSE-S3
// (AES256) only for a bucket a load balancer writes its access logs to,
// which is all ELB's log delivery accepts.
func checkBucketKey(c *checker, s *stack, bucket, sse fileBlock) {
	for _, rule := range nested(sse.Body, "rule") {
		for _, d := range nested(rule.Body, "apply_server_side_encryption_by_default") {
			switch alg := attrString(d.Body, "sse_algorithm"); {
			case alg == "AES256" && accessLogBucket(s, bucket):
			case alg == "AES256":
				c.report(RuleEncryption, d.DefRange(), "%s is encrypted with S3's own key (AES256): use sse_algorithm = \"aws:kms\" with kms_master_key_id = a key of ours (only a load balancer's access-log bucket must keep AES256)", bucket.name())
			default:
				if _, ok := d.Body.Attributes["kms_master_key_id"]; !ok {
					c.report(RuleEncryption, d.DefRange(), "%s is encrypted with the AWS-managed S3 key: set kms_master_key_id to a key of ours (rotated, with a policy we control)", bucket.name())
				}
			}
		}
	}
}

// accessLogBucket reports whether a load balancer in the bucket's module
// writes its access logs to it.
func accessLogBucket(s *stack, bucket fileBlock) bool {
	return accessLogTarget(s, bucket.file.dir, "aws_s3_bucket", bucket.Labels[1])
}

// accessLogTarget reports whether a load balancer in dir writes its access
// logs to <typ>.<name> (a bucket resource, or a module making one).
func accessLogTarget(s *stack, dir, typ, name string) bool {
	for _, lb := range s.blocks("resource", "aws_lb") {
		if lb.file.dir != dir {
			continue
		}
		for _, l := range nested(lb.Body, "access_logs") {
			if a, ok := l.Body.Attributes["bucket"]; ok && references(a.Expr, typ, name) {
				return true
			}
		}
	}
	return false
}

// references reports whether an expression refers to <typ>.<name>.
func references(e hclsyntax.Expression, typ, name string) bool {
	for _, t := range e.Variables() {
		if t.RootName() != typ || len(t) < 2 {
			continue
		}
		if a, ok := t[1].(hcl.TraverseAttr); ok && a.Name == name {
			return true
		}
	}
	return false
}

// checkDatabaseIngress: Neo4j's ports are open only to a security group
// (the tasks'), never to CIDR blocks or prefix lists.
func checkDatabaseIngress(c *checker, s *stack) {
	const fix = "allow the database ports only from the tasks' security group (referenced_security_group_id / source_security_group_id), never from CIDR blocks"
	for _, b := range s.blocks("resource", "aws_vpc_security_group_ingress_rule") {
		if !opensDatabasePort(b.Body, b.Body) {
			continue
		}
		for _, attr := range []string{"cidr_ipv4", "cidr_ipv6", "prefix_list_id"} {
			if a, ok := b.Body.Attributes[attr]; ok {
				c.report(RuleDatabaseIngress, a.SrcRange, "%s opens a Neo4j port to %s: %s", b.name(), attr, fix)
			}
		}
		if _, ok := b.Body.Attributes["referenced_security_group_id"]; !ok {
			c.report(RuleDatabaseIngress, b.DefRange(), "%s opens a Neo4j port without referenced_security_group_id: %s", b.name(), fix)
		}
	}
	for _, b := range s.blocks("resource", "aws_security_group_rule") {
		typ, ok := b.Body.Attributes["type"]
		if !ok || key(typ.Expr) != "ingress" || !opensDatabasePort(b.Body, b.Body) {
			continue
		}
		for _, attr := range []string{"cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids"} {
			if a, ok := b.Body.Attributes[attr]; ok {
				c.report(RuleDatabaseIngress, a.SrcRange, "%s opens a Neo4j port to %s: %s", b.name(), attr, fix)
			}
		}
	}
	for _, b := range s.blocks("resource", "aws_security_group") {
		for _, in := range nested(b.Body, "ingress") {
			if !opensDatabasePort(in.Body, b.Body) {
				continue
			}
			for _, attr := range []string{"cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids"} {
				if a, ok := in.Body.Attributes[attr]; ok {
					c.report(RuleDatabaseIngress, a.SrcRange, "%s: an ingress block opens a Neo4j port to %s: %s", b.name(), attr, fix)
				}
			}
		}
	}
}

// opensDatabasePort reports whether a rule's from_port..to_port (or all
// protocols) covers a Neo4j port. `each.value` ports are resolved from a
// literal for_each on the resource.
func opensDatabasePort(rule, resource *hclsyntax.Body) bool {
	for _, p := range []string{"ip_protocol", "protocol"} {
		if a, ok := rule.Attributes[p]; ok && (key(a.Expr) == "-1" || key(a.Expr) == "all") {
			return true
		}
	}
	from := ports(rule.Attributes["from_port"], resource)
	to := ports(rule.Attributes["to_port"], resource)
	for i := range from {
		hi := from[i]
		if i < len(to) {
			hi = to[i]
		}
		for _, p := range DatabasePorts {
			if from[i] <= p && p <= hi {
				return true
			}
		}
	}
	return false
}

// ports evaluates a port attribute: a literal number, or each.value over a
// literal for_each map or set.
func ports(a *hclsyntax.Attribute, resource *hclsyntax.Body) []int64 {
	if a == nil {
		return nil
	}
	if n, ok := number(a.Expr); ok {
		return []int64{n}
	}
	vars := a.Expr.Variables()
	fe, ok := resource.Attributes["for_each"]
	if len(vars) != 1 || vars[0].RootName() != "each" || !ok {
		return nil
	}
	var out []int64
	switch e := fe.Expr.(type) {
	case *hclsyntax.ObjectConsExpr:
		for _, item := range e.Items {
			if n, ok := number(item.ValueExpr); ok {
				out = append(out, n)
			}
		}
	case *hclsyntax.TupleConsExpr:
		for _, x := range e.Exprs {
			if n, ok := number(x); ok {
				out = append(out, n)
			}
		}
	}
	return out
}

func number(e hclsyntax.Expression) (int64, bool) {
	v, ok := literal(e)
	if !ok || !v.Type().Equals(cty.Number) {
		return 0, false
	}
	n, acc := v.AsBigFloat().Int64()
	return n, acc == big.Exact
}

// checkSecretOutputs: no output carries a generated password or a secret's
// value (sensitive = true does not help: `output -json` prints it).
func checkSecretOutputs(c *checker, s *stack) {
	for _, b := range s.blocks("output", "") {
		a, ok := b.Body.Attributes["value"]
		if !ok {
			continue
		}
		for _, t := range a.Expr.Variables() {
			bad := t.RootName() == "random_password"
			for _, step := range t {
				if at, ok := step.(hcl.TraverseAttr); ok && (at.Name == "secret_string" || at.Name == "secret_binary") {
					bad = true
				}
			}
			if bad {
				c.report(RuleSecretOutput, a.SrcRange, "output %q exposes a secret value (%s); output the secret's ARN or name instead", b.Labels[0], b.file.source(t.SourceRange()))
			}
		}
	}
}

// checkPasswordsInState: no secret value kept in the state (and so in every
// plan) in plain text. A random_password's result is kept there; Secrets
// Manager generates the passwords instead, through an ephemeral resource
// written with a write-only argument. A secret version read by a data
// source, or written with secret_string / secret_binary, is kept there too.
func checkPasswordsInState(c *checker, s *stack) {
	const writeOnly = "generate it with `ephemeral \"aws_secretsmanager_random_password\"` and write it with aws_secretsmanager_secret_version's " +
		"secret_string_wo and secret_string_wo_version (Terraform >= 1.11)"
	for _, b := range s.blocks("resource", "random_password") {
		c.report(RulePasswordInState, b.DefRange(), "%s keeps the password in the Terraform state and plans in plain text: %s", b.name(), writeOnly)
	}
	for _, b := range s.blocks("data", "aws_secretsmanager_random_password") {
		c.report(RulePasswordInState, b.DefRange(), "%s keeps the password in the Terraform state and plans in plain text: %s", b.name(), writeOnly)
	}
	for _, b := range s.blocks("data", "aws_secretsmanager_secret_version") {
		c.report(RulePasswordInState, b.DefRange(), "%s reads the secret's value into the Terraform state and plans in plain text: "+
			"pass the secret's ARN to what needs the value instead (a task definition's `secrets`, an instance that reads it at boot)", b.name())
	}
	for _, b := range s.blocks("resource", "aws_secretsmanager_secret_version") {
		for _, attr := range []string{"secret_string", "secret_binary"} {
			if a, ok := b.Body.Attributes[attr]; ok {
				c.report(RulePasswordInState, a.SrcRange, "%s writes the value with %s, which keeps it in the Terraform state and plans in plain text: "+
					"use secret_string_wo with secret_string_wo_version (Terraform >= 1.11), or set the value outside Terraform (aws secretsmanager put-secret-value)", b.name(), attr)
			}
		}
	}
}
