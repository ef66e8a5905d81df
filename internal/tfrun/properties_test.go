//go:build terraform

package tfrun_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/testbed"
	"github.com/great-sun-group/credex-ci/internal/tfrun"
)

// What a plan of each environment must hold that a policy rule on the HCL
// cannot see: values that come from the tfvars and the modules together
// (TLS in production, alarm subscribers, a NAT gateway per zone, ...), read
// from `terraform show -json` of the saved plan. And the production
// settings the stack refuses before anything is planned.

// shownPlan is the part of `terraform show -json` these checks read.
type shownPlan struct {
	ResourceChanges []plannedResource `json:"resource_changes"`
	OutputChanges   map[string]struct {
		After        any `json:"after"`
		AfterUnknown any `json:"after_unknown"`
	} `json:"output_changes"`
	Variables map[string]struct {
		Value any `json:"value"`
	} `json:"variables"`
}

type plannedResource struct {
	Address string `json:"address"`
	Mode    string `json:"mode"`
	Type    string `json:"type"`
	Name    string `json:"name"`
	Index   any    `json:"index"`
	Change  struct {
		After        map[string]any `json:"after"`
		AfterUnknown map[string]any `json:"after_unknown"`
	} `json:"change"`
}

// managed lists the planned resources of one type, in address order.
func (p shownPlan) managed(typ string) []plannedResource {
	var out []plannedResource
	for _, rc := range p.ResourceChanges {
		if rc.Mode == "managed" && rc.Type == typ {
			out = append(out, rc)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out
}

// named is the one planned resource of a type and name (count index 0 or
// no index), or nil.
func (p shownPlan) named(typ, name string) *plannedResource {
	for _, rc := range p.managed(typ) {
		if rc.Name == name && (rc.Index == nil || rc.Index == float64(0)) {
			return &rc
		}
	}
	return nil
}

// at is the planned resource of a type and name at a for_each key, or nil.
func (p shownPlan) at(typ, name, key string) *plannedResource {
	for _, rc := range p.managed(typ) {
		if rc.Name == name && rc.Index == key {
			return &rc
		}
	}
	return nil
}

func (p shownPlan) variable(name string) any { return p.Variables[name].Value }

// str is a string attribute of a planned resource ("" when absent or not a
// string).
func (rc plannedResource) str(name string) string {
	s, _ := rc.Change.After[name].(string)
	return s
}

// path reads a nested attribute: "default_action.0.redirect.0.protocol".
func (rc plannedResource) path(p string) any {
	var v any = rc.Change.After
	for _, step := range strings.Split(p, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[step]
		case []any:
			var i int
			if _, err := fmt.Sscan(step, &i); err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// checkProperties holds a plan of one environment to the properties it must
// have.
func checkProperties(t *testing.T, e envs.Environment, shown string) {
	t.Helper()
	var p shownPlan
	if err := json.Unmarshal([]byte(shown), &p); err != nil {
		t.Fatal(err)
	}
	checkTLS(t, e, p)
	checkAlarmsNotify(t, e, p)
	checkDatabasesWatched(t, e, p)
	checkDatabasePorts(t, e, p)
	checkEncryptedWithTheKey(t, e, p)
	checkZones(t, e, p)
	checkAutoscaling(t, e, p)
	checkNetworkHygiene(t, e, p)
	checkBackups(t, e, p)
}

// checkBackups: the backup bucket keeps versions and is encrypted with the
// environment's key; each database has its backup alarm, which a silent day
// sets off; production copies every backup to a bucket of another region
// under that region's key, without copying deletions.
func checkBackups(t *testing.T, e envs.Environment, p shownPlan) {
	t.Helper()
	const sourceModule, replicaModule = "module.neo4j_backups.module.bucket.", "module.neo4j_backups.module.replica[0]."
	in := func(typ, module string) *plannedResource {
		for _, r := range p.managed(typ) {
			if strings.HasPrefix(r.Address, module) {
				return &r
			}
		}
		return nil
	}
	source, replica := in("aws_s3_bucket", sourceModule), in("aws_s3_bucket", replicaModule)
	if source == nil {
		t.Fatalf("%s plans no backup bucket", e.TerraformEnv)
	}
	for _, v := range p.managed("aws_s3_bucket_versioning") {
		if v.path("versioning_configuration.0.status") != "Enabled" {
			t.Errorf("%s: %s does not keep versions", e.TerraformEnv, v.Address)
		}
	}
	if sse := in("aws_s3_bucket_server_side_encryption_configuration", sourceModule); sse == nil {
		t.Errorf("%s: the backup bucket is not encrypted", e.TerraformEnv)
	} else if key, _ := sse.path("rule.0.apply_server_side_encryption_by_default.0.kms_master_key_id").(string); !strings.HasPrefix(key, "arn:aws:kms:") {
		t.Errorf("%s: the backups are encrypted with %q, want the environment's key", e.TerraformEnv, key)
	}
	for _, in := range p.managed("aws_instance") {
		db, _ := in.Index.(string)
		a := p.at("aws_cloudwatch_metric_alarm", "database_backup", db)
		if a == nil || a.str("metric_name") != "BackupSucceeded" || a.str("treat_missing_data") != "breaching" {
			t.Errorf("%s: no backup alarm for %s that a silent day sets off", e.TerraformEnv, db)
		}
	}
	region, _ := p.variable("backup_replica_region").(string)
	if !e.Protected {
		if replica != nil {
			t.Logf("%s copies its backups to %s", e.TerraformEnv, region)
		}
		return
	}
	if region == "" || region == p.variable("aws_region") || replica == nil || !strings.HasSuffix(replica.str("bucket"), "-"+region) {
		t.Fatalf("production does not copy its backups to another region (backup_replica_region %q)", region)
	}
	rc := p.named("aws_s3_bucket_replication_configuration", "this")
	if rc == nil {
		t.Fatal("production plans no replication of its backups")
	}
	for attr, want := range map[string]any{
		"rule.0.status": "Enabled", "rule.0.delete_marker_replication.0.status": "Disabled",
		"rule.0.source_selection_criteria.0.sse_kms_encrypted_objects.0.status": "Enabled",
	} {
		if got := rc.path(attr); got != want {
			t.Errorf("production backup replication %s = %v, want %v", attr, got, want)
		}
	}
	if rc.Change.AfterUnknown["rule"] == nil && rc.path("rule.0.destination.0.encryption_configuration.0.replica_kms_key_id") == nil {
		t.Error("production's backup copies are not encrypted with the replica region's key")
	}
}

// checkNetworkHygiene: the task role and the flow logs' role trust only this
// account's tasks and flow logs; the VPC records all its flows and its
// default security group allows nothing; the load balancer writes access
// logs; every subnet is a /24.
func checkNetworkHygiene(t *testing.T, e envs.Environment, p shownPlan) {
	t.Helper()
	account := fmt.Sprint(p.variable("aws_account_id"))
	for _, name := range []string{"task", "flow_logs"} {
		role := p.named("aws_iam_role", name)
		if role == nil {
			t.Errorf("%s: no %s role", e.TerraformEnv, name)
			continue
		}
		var trust struct {
			Statement []struct {
				Condition map[string]map[string]any
			}
		}
		if err := json.Unmarshal([]byte(role.str("assume_role_policy")), &trust); err != nil || len(trust.Statement) == 0 {
			t.Errorf("%s: %s trust policy: %v %q", e.TerraformEnv, role.Address, err, role.str("assume_role_policy"))
			continue
		}
		for _, st := range trust.Statement {
			if got := fmt.Sprint(st.Condition["StringEquals"]["aws:SourceAccount"]); got != account {
				t.Errorf("%s: %s trusts aws:SourceAccount %s, want %s", e.TerraformEnv, role.Address, got, account)
			}
			if arn := fmt.Sprint(st.Condition["ArnLike"]["aws:SourceArn"]); !strings.Contains(arn, ":"+account+":") {
				t.Errorf("%s: %s trusts aws:SourceArn %s, want this account's", e.TerraformEnv, role.Address, arn)
			}
		}
	}
	if d := p.named("aws_default_security_group", "this"); d == nil {
		t.Errorf("%s: the default security group keeps its rules", e.TerraformEnv)
	} else {
		// Unset, the rules are unknown in the plan: adopting the group
		// removes every rule it had, and none is configured.
		for _, dir := range []string{"ingress", "egress"} {
			if rules, _ := d.Change.After[dir].([]any); len(rules) > 0 {
				t.Errorf("%s: the default security group has %s rules: %v", e.TerraformEnv, dir, rules)
			}
		}
	}
	if fl := p.named("aws_flow_log", "this"); fl == nil || fl.str("traffic_type") != "ALL" || fl.str("log_destination_type") != "cloud-watch-logs" {
		t.Errorf("%s: the VPC's flows are not all recorded: %v", e.TerraformEnv, fl)
	}
	if lb := p.named("aws_lb", "this"); lb == nil || lb.path("access_logs.0.enabled") != true || lb.path("access_logs.0.prefix") != "alb" {
		t.Errorf("%s: the load balancer writes no access logs", e.TerraformEnv)
	}
	for _, s := range p.managed("aws_subnet") {
		if c := s.str("cidr_block"); !strings.HasSuffix(c, "/24") {
			t.Errorf("%s: %s is %s, want a /24", e.TerraformEnv, s.Address, c)
		}
	}
}

// checkAutoscaling: the service is scaled between desired_count and
// max_count by a target tracking policy on the tasks' CPU.
func checkAutoscaling(t *testing.T, e envs.Environment, p shownPlan) {
	t.Helper()
	target := p.named("aws_appautoscaling_target", "this")
	policy := p.named("aws_appautoscaling_policy", "cpu")
	if target == nil || policy == nil {
		t.Fatalf("%s: the service is not autoscaled (target %v, policy %v)", e.TerraformEnv, target != nil, policy != nil)
	}
	desired, max := p.variable("desired_count"), p.variable("max_count")
	if target.path("min_capacity") != desired || target.path("max_capacity") != max || target.str("scalable_dimension") != "ecs:service:DesiredCount" {
		t.Errorf("%s: scaling %v..%v of %s, want desired_count %v..max_count %v of ecs:service:DesiredCount", e.TerraformEnv,
			target.path("min_capacity"), target.path("max_capacity"), target.str("scalable_dimension"), desired, max)
	}
	if got := policy.path("target_tracking_scaling_policy_configuration.0.predefined_metric_specification.0.predefined_metric_type"); got != "ECSServiceAverageCPUUtilization" {
		t.Errorf("%s: the scaling policy tracks %v", e.TerraformEnv, got)
	}
	if e.Protected && max.(float64) <= desired.(float64) {
		t.Errorf("production cannot scale out: max_count %v, desired_count %v", max, desired)
	}
}

// checkZones: production has a NAT gateway and a private route table per
// zone (a private subnet each), and interface endpoints for ECR, Logs and
// Secrets Manager with private DNS; both environments route S3 through a
// gateway endpoint.
func checkZones(t *testing.T, e envs.Environment, p shownPlan) {
	t.Helper()
	var private int
	for _, s := range p.managed("aws_subnet") {
		if s.Name == "private" {
			private++
		}
	}
	nats, tables := len(p.managed("aws_nat_gateway")), 0
	for _, rt := range p.managed("aws_route_table") {
		if rt.Name == "private" {
			tables++
		}
	}
	if e.Protected && (private < 2 || nats != private || tables != private) {
		t.Errorf("production: %d private subnets, %d NAT gateways, %d private route tables; want one of each per zone", private, nats, tables)
	}
	if nats == 0 || tables != nats {
		t.Errorf("%s: %d NAT gateways, %d private route tables", e.TerraformEnv, nats, tables)
	}
	for _, ep := range p.managed("aws_vpc_endpoint") {
		switch typ := ep.str("vpc_endpoint_type"); {
		case ep.Name == "s3" && typ != "Gateway":
			t.Errorf("%s: the S3 endpoint is %s, want Gateway (free, through the route tables)", e.TerraformEnv, typ)
		case ep.Name == "interface" && ep.Change.After["private_dns_enabled"] != true:
			t.Errorf("%s: %s without private DNS: the SDKs would still resolve the public endpoint", e.TerraformEnv, ep.Address)
		}
	}
	want := []string{"com.amazonaws." + fmt.Sprint(p.variable("aws_region")) + ".s3"}
	if e.Protected {
		for _, svc := range []string{"ecr.api", "ecr.dkr", "logs", "secretsmanager"} {
			want = append(want, "com.amazonaws."+fmt.Sprint(p.variable("aws_region"))+"."+svc)
		}
	}
	got := map[string]bool{}
	for _, ep := range p.managed("aws_vpc_endpoint") {
		got[ep.str("service_name")] = true
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("%s: no VPC endpoint for %s", e.TerraformEnv, w)
		}
	}
}

// checkEncryptedWithTheKey: the alarm topic and every log group are
// encrypted with the environment's KMS key (the registry stack's, read by
// its alias).
func checkEncryptedWithTheKey(t *testing.T, e envs.Environment, p shownPlan) {
	t.Helper()
	for typ, attr := range map[string]string{"aws_sns_topic": "kms_master_key_id", "aws_cloudwatch_log_group": "kms_key_id"} {
		rs := p.managed(typ)
		if len(rs) == 0 {
			t.Errorf("%s plans no %s", e.TerraformEnv, typ)
		}
		for _, r := range rs {
			if got := r.str(attr); !strings.HasPrefix(got, "arn:aws:kms:") {
				t.Errorf("%s: %s %s = %q, want the environment's key", e.TerraformEnv, r.Address, attr, got)
			}
		}
	}
}

// checkRegistryEncrypted: the registry stack (applied by prepareStack)
// made the environment's key, rotated yearly, and the repository is
// encrypted with it.
func checkRegistryEncrypted(t *testing.T, tf *tfrun.Terraform, st *preparedStack) {
	t.Helper()
	shown := run(t, tf, filepath.Join(st.dir, "registry"), st.env, "show", "-json")
	var state struct {
		Values struct {
			RootModule struct {
				ChildModules []struct {
					Resources []struct {
						Type   string         `json:"type"`
						Values map[string]any `json:"values"`
					} `json:"resources"`
				} `json:"child_modules"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(shown.Stdout), &state); err != nil {
		t.Fatal(err)
	}
	var keyARN, keyID, repoKey, repoType string
	for _, m := range state.Values.RootModule.ChildModules {
		for _, r := range m.Resources {
			switch r.Type {
			case "aws_kms_key":
				keyARN, _ = r.Values["arn"].(string)
				keyID, _ = r.Values["key_id"].(string)
				if r.Values["enable_key_rotation"] != true {
					t.Errorf("the %s key does not rotate", st.e.TerraformEnv)
				}
			case "aws_ecr_repository":
				if ec, _ := r.Values["encryption_configuration"].([]any); len(ec) == 1 {
					c, _ := ec[0].(map[string]any)
					repoType, _ = c["encryption_type"].(string)
					repoKey, _ = c["kms_key"].(string)
				}
			}
		}
	}
	if keyARN == "" || repoType != "KMS" || repoKey != keyARN {
		t.Errorf("%s: the repository is encrypted with %s %q, want KMS with the environment's key %q", st.e.TerraformEnv, repoType, repoKey, keyARN)
	}
	if on, days := st.bed.KeyRotation(keyID); !on || days != 365 {
		t.Errorf("%s: AWS was asked to rotate the key: %v every %d days, want yearly", st.e.TerraformEnv, on, days)
	}
}

// checkDatabasePorts: Bolt (7687) is the only database port open, and only
// to a security group; Neo4j's HTTP port (7474) is open to nothing.
func checkDatabasePorts(t *testing.T, e envs.Environment, p shownPlan) {
	t.Helper()
	bolt := 0
	for _, r := range p.managed("aws_vpc_security_group_ingress_rule") {
		from, _ := r.Change.After["from_port"].(float64)
		to, _ := r.Change.After["to_port"].(float64)
		if from <= 7474 && 7474 <= to {
			t.Errorf("%s: %s opens Neo4j's HTTP port 7474 (%v-%v)", e.TerraformEnv, r.Address, from, to)
		}
		if from <= 7687 && 7687 <= to {
			bolt++
			if r.Change.After["cidr_ipv4"] != nil || r.Change.AfterUnknown["referenced_security_group_id"] == nil {
				t.Errorf("%s: %s opens Bolt to something other than the tasks' security group", e.TerraformEnv, r.Address)
			}
		}
	}
	if bolt != 1 {
		t.Errorf("%s: %d ingress rules open Bolt, want 1 (from the tasks)", e.TerraformEnv, bolt)
	}
}

// checkDatabasesWatched: each database instance has its system check alarm
// (whose recover action the alarm-actions policy rule holds: a set with the
// topic's unknown ARN is unknown as a whole in a plan), its instance check,
// disk alarms on the root and data file systems at 80 % or less that treat
// silence as a failure, and on burstable types a CPU credit alarm; in
// production no API call can terminate it.
func checkDatabasesWatched(t *testing.T, e envs.Environment, p shownPlan) {
	t.Helper()
	instances := p.managed("aws_instance")
	if len(instances) != 2 {
		t.Fatalf("%s plans %d database instances, want 2", e.TerraformEnv, len(instances))
	}
	for _, in := range instances {
		db, _ := in.Index.(string)
		if got := in.Change.After["disable_api_termination"]; got != e.Protected {
			t.Errorf("%s: %s disable_api_termination = %v, want %v", e.TerraformEnv, in.Address, got, e.Protected)
		}
		alarm := func(name, key, metric string) *plannedResource {
			a := p.at("aws_cloudwatch_metric_alarm", name, key)
			if a == nil {
				t.Errorf("%s: no %s alarm for database %s (%s)", e.TerraformEnv, metric, db, name)
				return nil
			}
			if got := a.str("metric_name"); got != metric {
				t.Errorf("%s: %s watches %s, want %s", e.TerraformEnv, a.Address, got, metric)
			}
			return a
		}
		alarm("database_system_check", db, "StatusCheckFailed_System")
		alarm("database_instance_check", db, "StatusCheckFailed_Instance")
		for key, path := range map[string]string{db + "-data": "/var/lib/neo4j", db + "-root": "/"} {
			a := alarm("database_disk", key, "disk_used_percent")
			if a == nil {
				continue
			}
			// The dimensions hold the instance's unknown ID, so the plan
			// shows the map as unknown; the description names the path.
			if got := a.str("alarm_description"); !strings.Contains(got, ": "+path+" more than") {
				t.Errorf("%s: %s is not about %s: %q", e.TerraformEnv, a.Address, path, got)
			}
			if th, _ := a.Change.After["threshold"].(float64); th <= 0 || th > 80 {
				t.Errorf("%s: %s fires above %v %%, want 80 %% or less", e.TerraformEnv, a.Address, th)
			}
			if got := a.str("treat_missing_data"); got != "breaching" {
				t.Errorf("%s: %s treats missing data as %q; a silent agent must alarm", e.TerraformEnv, a.Address, got)
			}
		}
		credits := p.at("aws_cloudwatch_metric_alarm", "database_cpu_credits", db)
		if burstable := strings.HasPrefix(in.str("instance_type"), "t"); burstable != (credits != nil) {
			t.Errorf("%s: %s is %s; CPU credit alarm planned: %v", e.TerraformEnv, in.Address, in.str("instance_type"), credits != nil)
		}
	}
}

// checkAlarmsNotify: every alarm notifies the topic, and production has at
// least one subscriber to it.
func checkAlarmsNotify(t *testing.T, e envs.Environment, p shownPlan) {
	t.Helper()
	alarms := p.managed("aws_cloudwatch_metric_alarm")
	if len(alarms) == 0 {
		t.Fatalf("%s plans no alarm", e.TerraformEnv)
	}
	for _, a := range alarms {
		known, _ := a.Change.After["alarm_actions"].([]any)
		if len(known) == 0 && a.Change.AfterUnknown["alarm_actions"] == nil {
			t.Errorf("%s: %s has no alarm_actions", e.TerraformEnv, a.Address)
		}
	}
	subs := p.managed("aws_sns_topic_subscription")
	for _, s := range subs {
		if proto := s.str("protocol"); proto != "email" && proto != "https" {
			t.Errorf("%s: %s subscribes over %q; alarms go to e-mail or HTTPS endpoints only", e.TerraformEnv, s.Address, proto)
		}
	}
	if e.Protected && len(subs) == 0 {
		t.Errorf("production plans no subscriber to its alarm topic")
	}
}

// checkTLS: production serves the API over HTTPS only (port 80 redirects,
// the HTTPS listener uses a TLS 1.3 policy and the tfvars' certificate),
// and api_url is https:// on the domain the certificate covers. Staging
// without a certificate forwards port 80.
func checkTLS(t *testing.T, e envs.Environment, p shownPlan) {
	t.Helper()
	cert, _ := p.variable("certificate_arn").(string)
	domain, _ := p.variable("domain_name").(string)
	http := p.named("aws_lb_listener", "http")
	https := p.named("aws_lb_listener", "https")
	if http == nil {
		t.Fatalf("%s: no port 80 listener planned", e.TerraformEnv)
	}
	if e.Protected && (cert == "" || domain == "") {
		t.Errorf("production planned without certificate_arn (%q) or domain_name (%q)", cert, domain)
	}
	apiURL, _ := p.OutputChanges["api_url"].After.(string)
	if cert == "" {
		if https != nil {
			t.Errorf("%s: an HTTPS listener without a certificate", e.TerraformEnv)
		}
		if got := http.path("default_action.0.type"); got != "forward" {
			t.Errorf("%s without a certificate: port 80 should forward, got %v", e.TerraformEnv, got)
		}
		return
	}
	if https == nil {
		t.Fatalf("%s: certificate_arn is set but no HTTPS listener is planned", e.TerraformEnv)
	}
	if got := https.str("ssl_policy"); !strings.HasPrefix(got, "ELBSecurityPolicy-TLS13-") {
		t.Errorf("%s: HTTPS listener ssl_policy %q is not a TLS 1.3 policy", e.TerraformEnv, got)
	}
	if got := https.str("certificate_arn"); got != cert {
		t.Errorf("%s: HTTPS listener certificate %q, want the tfvars' %q", e.TerraformEnv, got, cert)
	}
	if https.path("port") != float64(443) || https.str("protocol") != "HTTPS" {
		t.Errorf("%s: HTTPS listener on %v/%v, want 443/HTTPS", e.TerraformEnv, https.path("port"), https.str("protocol"))
	}
	for attr, want := range map[string]any{
		"type": "redirect", "redirect.0.protocol": "HTTPS", "redirect.0.port": "443", "redirect.0.status_code": "HTTP_301", "target_group_arn": nil,
	} {
		if got := http.path("default_action.0." + attr); got != want {
			t.Errorf("%s: port 80 default_action.%s = %v, want %v (port 80 must only redirect to HTTPS)", e.TerraformEnv, attr, got, want)
		}
	}
	if want := "https://" + domain; apiURL != want {
		t.Errorf("%s: api_url = %q, want %q (a name the certificate covers)", e.TerraformEnv, apiURL, want)
	}
}

// accountInARN is an ARN's account field.
var accountInARN = regexp.MustCompile(`^(arn:[^:]*:[^:]*:[^:]*:)[0-9]{12}(:.*)$`)

// writeTestVars writes the test's own tfvars for an environment: the test
// bed's account instead of the environment's (the provider's
// allowed_account_ids guard stays as it is), and the tfvars' ARNs that must
// be of that account (the certificate) moved to it, as an operator replaces
// the placeholders. ACM itself is never called: the plan only carries the
// certificate's ARN to the listener.
func writeTestVars(t *testing.T, work string, e envs.Environment) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(stackDir, e.TFVarsFile))
	if err != nil {
		t.Fatal(err)
	}
	vars := fmt.Sprintf("aws_account_id = %q\n", testbed.AccountID)
	for _, name := range []string{"certificate_arn"} {
		m := regexp.MustCompile(`(?m)^\s*` + name + `\s*=\s*"([^"]+)"`).FindStringSubmatch(string(src))
		if m == nil {
			continue
		}
		arn := accountInARN.ReplaceAllString(m[1], "${1}"+testbed.AccountID+"${2}")
		vars += fmt.Sprintf("%s = %q\n", name, arn)
	}
	path := filepath.Join(work, "testbed.tfvars")
	if err := os.WriteFile(path, []byte(vars), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// refusal is a production setting the stack must refuse at plan time, with
// a message naming the fix, at the line of the tfvars file that set it.
type refusal struct {
	name string
	// vars is a tfvars text added after the environment's and the test's.
	vars string
	// want are texts the error must contain.
	want []string
	// unset: the refused variable is one the tfvars leave unset, so the
	// error has no tfvars line to point at.
	unset bool
}

var productionRefusals = []refusal{
	{
		name: "no certificate",
		vars: "certificate_arn = null\n",
		want: []string{"production serves the API over HTTPS only", "set certificate_arn"},
	},
	{
		name: "certificate without a domain",
		vars: "domain_name = null\n",
		want: []string{"set domain_name too"},
	},
	{
		name: "certificate of another account",
		vars: "certificate_arn = \"arn:aws:acm:af-south-1:222222222222:certificate/00000000-0000-0000-0000-000000000000\"\n",
		want: []string{"must be a certificate of this environment's account"},
	},
	{
		name: "certificate of another region",
		vars: fmt.Sprintf("certificate_arn = \"arn:aws:acm:us-east-1:%s:certificate/00000000-0000-0000-0000-000000000000\"\n", testbed.AccountID),
		want: []string{"in its region (aws_region)"},
	},
	{
		name: "no alarm subscriber",
		vars: "alarm_emails = []\nalarm_https_endpoints = []\n",
		want: []string{"production must notify someone of its alarms"},
	},
	{
		name: "an alarm endpoint over plain HTTP",
		vars: "alarm_https_endpoints = [\"http://events.pagerduty.example/integration/abc/enqueue\"]\n",
		want: []string{"must be an https:// URL"},
	},
	{
		name: "a single NAT gateway",
		vars: "nat_gateway_per_zone = false\n",
		want: []string{"production needs a NAT gateway per zone"},
	},
	{
		name: "fewer tasks at most than at least",
		vars: "max_count = 1\n",
		want: []string{"max_count must be at least desired_count"},
	},
	{
		name: "a VPC larger than AWS allows",
		vars: "vpc_cidr = \"10.0.0.0/8\"\n",
		want: []string{"vpc_cidr must be an IPv4 CIDR block from /16 to /20"},
	},
	{
		name: "a VPC too small for its subnets",
		vars: "vpc_cidr = \"10.50.0.0/24\"\n",
		want: []string{"vpc_cidr must be an IPv4 CIDR block from /16 to /20"},
	},
	{
		name: "backups in one region",
		vars: "backup_replica_region = null\n",
		want: []string{"production copies its database backups to another region"},
	},
	{
		name: "backups copied to the same region",
		vars: "backup_replica_region = \"af-south-1\"\n",
		want: []string{"a region name other than aws_region"},
	},
	{
		name: "a database instance type without NVMe volume serials",
		vars: "neo4j_instance_type = \"m4.large\"\n",
		want: []string{"neo4j_instance_type must be a Nitro x86_64 type with EBS storage only"},
	},
	{
		name: "a database instance type with instance store",
		vars: "neo4j_instance_type = \"m5d.large\"\n",
		want: []string{"cannot use CloudWatch's recover action"},
	},
	{
		name: "task memory Fargate does not offer with the task's CPU",
		vars: "task_cpu = 1024\ntask_memory = 1024\n",
		want: []string{"task_memory must be a size Fargate offers with task_cpu", "with 1024, 2048 to 8192"},
	},
	{
		name:  "an existing VPC without its subnets",
		vars:  "vpc_id = \"vpc-0a1b2c3d4e5f60001\"\nprivate_subnet_ids = [\"subnet-0a1b2c3d4e5f60001\"]\n",
		want:  []string{"with vpc_id set, set public_subnet_ids to that VPC's public subnets"},
		unset: true,
	},
	{
		name: "subnets without their VPC",
		vars: "public_subnet_ids = [\"subnet-0a1b2c3d4e5f60001\", \"subnet-0a1b2c3d4e5f60002\"]\n",
		want: []string{"without vpc_id, remove public_subnet_ids"},
	},
	{
		name: "backups kept less than a week",
		vars: "backup_retention_days = 3\n",
		want: []string{"backup_retention_days must be between 7 and 3650"},
	},
}

// checkRefusals: production refuses, before planning anything, each
// setting that would make it unsafe, and the error names the fix. It runs
// on the production plan test's own prepared stack: the emulator's state is
// shared by every test bed in a process, so a second production registry
// would collide with the first.
func checkRefusals(t *testing.T, tf *tfrun.Terraform, st *preparedStack) {
	t.Helper()
	t.Run("refusals", func(t *testing.T) {
		for i, c := range productionRefusals {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				checkRefusal(t, tf, st, i, c)
			})
		}
	})
}

// checkRefusal plans production with one refusal's tfvars added; several
// run at once on the same stack (-lock=false: they only read its state).
func checkRefusal(t *testing.T, tf *tfrun.Terraform, st *preparedStack, i int, c refusal) {
	vars := filepath.Join(st.work, fmt.Sprintf("refusal-%d.tfvars", i))
	if err := os.WriteFile(vars, []byte(c.vars), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := tf.Run(t.Context(), st.dir, st.env, st.planArgs("-lock=false", "-var-file="+vars)...)
	if err == nil {
		t.Fatalf("production with %q planned; it must be refused", strings.TrimSpace(c.vars))
	}
	for _, w := range c.want {
		if !strings.Contains(squash(r.Stderr), w) {
			t.Errorf("the refusal should say %q:\n%s", w, r.Stderr)
		}
	}
	// Validated on the root variable, so Terraform points at the tfvars
	// line to change (a module's validation would point at main.tf).
	if !c.unset && !strings.Contains(r.Stderr, "on "+vars+" line ") {
		t.Errorf("the refusal should point at the line of %s that set the value:\n%s", vars, r.Stderr)
	}
}

// squash joins Terraform's wrapped diagnostic lines (it wraps messages at
// the terminal width, with box-drawing margins) into one line of text.
func squash(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "│╷╵"))
		if line == "" {
			continue
		}
		b.WriteString(line)
		b.WriteByte(' ')
	}
	return b.String()
}
