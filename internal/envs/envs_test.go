package envs

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLookupAcceptsShortAndLongNames(t *testing.T) {
	for in, want := range map[string]string{
		"stage": "staging", "STAGE": "staging", "staging": "staging",
		"prod": "production", " production ": "production",
	} {
		e, err := Lookup(in)
		if err != nil {
			t.Fatalf("Lookup(%q): %v", in, err)
		}
		if e.TerraformEnv != want {
			t.Errorf("Lookup(%q).TerraformEnv = %q, want %q", in, e.TerraformEnv, want)
		}
	}
}

func TestLookupUnknownNamesTheFix(t *testing.T) {
	_, err := Lookup("dev")
	if !errors.Is(err, ErrUnknown) {
		t.Fatalf("want ErrUnknown, got %v", err)
	}
	if !strings.Contains(err.Error(), "--env=stage or --env=prod") {
		t.Errorf("error should name the valid choices: %v", err)
	}
	if _, err := Lookup(""); err == nil || !strings.Contains(err.Error(), "no environment given") {
		t.Errorf("empty name: %v", err)
	}
}

func TestEnvironmentsAreDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, n := range AWSNames() {
		e, _ := Lookup(n)
		for _, v := range []string{e.StateKey, e.RegistryStateKey, e.TFVarsFile, e.RepositoryName(), e.AppSecretName(), e.ClusterName(), e.ServiceName(), e.LogGroupName(), e.Neo4jSecretName, e.TaskFamily()} {
			if other, dup := seen[v]; dup && other != n {
				t.Errorf("%s and %s share %q", other, n, v)
			}
			seen[v] = n
		}
	}
	stage, _ := Lookup("stage")
	if stage.ClusterName() != "credex-cluster-staging" || stage.ServiceName() != "credex-core-service-staging" ||
		stage.LogGroupName() != "/ecs/credex-core-staging" || stage.Neo4jSecretName != "neo4j_stage_secrets" {
		t.Errorf("staging names drifted from what credex-core relies on: %+v", stage)
	}
}

func TestLoadReadsAccountAndRegionFromTFVars(t *testing.T) {
	dir := fstest.MapFS{
		"environments/staging.tfvars":    {Data: []byte("aws_account_id = \"123456789012\"\nenvironment = \"staging\"\ndesired_count = 2\n")},
		"environments/production.tfvars": {Data: []byte("aws_account_id = \"12345\"\naws_region = \"eu-west-1\"\n")},
	}
	e, err := Load(dir, "stage")
	if err != nil {
		t.Fatal(err)
	}
	if e.AccountID != "123456789012" || e.Region != DefaultRegion {
		t.Errorf("got account %q region %q", e.AccountID, e.Region)
	}
	if got := e.DefaultStateBucket(); got != "credex-terraform-state-123456789012" {
		t.Errorf("DefaultStateBucket() = %q", got)
	}
	_, err = Load(dir, "prod")
	if err == nil || !strings.Contains(err.Error(), "terraform/environments/production.tfvars must set aws_account_id") {
		t.Errorf("malformed account ID should name the file and variable: %v", err)
	}
	_, err = Load(fstest.MapFS{}, "stage")
	if err == nil || !strings.Contains(err.Error(), "environments/staging.tfvars") {
		t.Errorf("missing tfvars should name the file: %v", err)
	}
}

func TestReadTFVarsScalars(t *testing.T) {
	vars, err := ReadTFVars([]byte("a = \"x\"\nb = 3\nc = true\nd = [1]\n"), "t.tfvars")
	if err != nil {
		t.Fatal(err)
	}
	if vars["a"] != "x" || vars["b"] != "3" || vars["c"] != "true" {
		t.Errorf("got %v", vars)
	}
	if _, ok := vars["d"]; ok {
		t.Errorf("lists are not scalars: %v", vars)
	}
	if _, err := ReadTFVars([]byte("a = "), "bad.tfvars"); err == nil || !strings.Contains(err.Error(), "bad.tfvars") {
		t.Errorf("parse error should name the file: %v", err)
	}
}

func TestFromTFVarsReadsTheGivenContents(t *testing.T) {
	e, err := FromTFVars("prod", []byte("aws_account_id = \"222222222222\"\naws_region = \"eu-west-1\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if e.TerraformEnv != "production" || e.AccountID != "222222222222" || e.Region != "eu-west-1" {
		t.Errorf("got env %q account %q region %q", e.TerraformEnv, e.AccountID, e.Region)
	}
	if _, err := FromTFVars("qa", nil); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown name: want ErrUnknown, got %v", err)
	}
	_, err = FromTFVars("stage", []byte("aws_region = \"af-south-1\"\n"))
	if err == nil || !strings.Contains(err.Error(), "terraform/environments/staging.tfvars must set aws_account_id") {
		t.Errorf("missing account ID should name the file and variable: %v", err)
	}
}

func TestLocalIsAnEnvironmentWithoutAWS(t *testing.T) {
	e, err := Lookup("local")
	if err != nil {
		t.Fatal(err)
	}
	if !e.Local || e.Protected || e.TFVarsFile != "" || e.StateKey != "" || e.AccountID != "" {
		t.Errorf("local must be unprotected with no tfvars, state or account: %+v", e)
	}
	if e.NodeEnv() != "development" {
		t.Errorf("local NODE_ENV = %q, want development", e.NodeEnv())
	}
	if !slices.Contains(Names(), "local") || slices.Contains(AWSNames(), "local") {
		t.Errorf("Names() = %v, AWSNames() = %v: local is typed by users but is not in AWS", Names(), AWSNames())
	}
	for _, n := range AWSNames() {
		if aws, _ := Lookup(n); aws.RequireAWS() != nil || aws.Local {
			t.Errorf("%s must be an AWS environment", n)
		}
	}
}

func TestPortAndHealthCheckPathFromTFVars(t *testing.T) {
	const account = "aws_account_id = \"222222222222\"\n"
	e, err := FromTFVars("stage", []byte(account))
	if err != nil {
		t.Fatal(err)
	}
	if e.ContainerPort != DefaultContainerPort || e.HealthCheckPath != DefaultHealthCheckPath {
		t.Errorf("defaults: port %d path %q", e.ContainerPort, e.HealthCheckPath)
	}
	e, err = FromTFVars("stage", []byte(account+"container_port = 3000\nhealth_check_path = \"/api/health\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if e.ContainerPort != 3000 || e.HealthCheckPath != "/api/health" {
		t.Errorf("set: port %d path %q", e.ContainerPort, e.HealthCheckPath)
	}
	for text, want := range map[string]string{
		"container_port = 70000\n":         "sets container_port = 70000: set it to the TCP port the app listens on",
		"container_port = \"http\"\n":      "sets container_port = http",
		"health_check_path = \"health\"\n": `sets health_check_path = "health": set it to a path starting with /`,
	} {
		_, err := FromTFVars("prod", []byte(account+text))
		if err == nil || !strings.Contains(err.Error(), "terraform/environments/production.tfvars "+want) {
			t.Errorf("%q: err = %v, want %q", text, err, want)
		}
	}
}

func TestLocalIsRefusedWhereAWSIsNeeded(t *testing.T) {
	const want = "local has no AWS: it has no account, tfvars or Terraform state, so registry, publish, plan, apply, drift, verify and rollback work only on --env=stage or --env=prod; " +
		"to run credex-core on this machine, use `dagger call deploy --env=local` (or `dagger call up --env=local`)"
	for name, err := range map[string]error{
		"LookupAWS":  func() error { _, err := LookupAWS("LOCAL"); return err }(),
		"Load":       func() error { _, err := Load(fstest.MapFS{}, "local"); return err }(),
		"FromTFVars": func() error { _, err := FromTFVars("local", []byte(`aws_account_id = "123456789012"`)); return err }(),
	} {
		if !errors.Is(err, ErrNoAWS) || err.Error() != want {
			t.Errorf("%s(local) = %v\nwant %s", name, err, want)
		}
	}
}

// The repository's own tfvars set the port and path the stack uses.
func TestTheStackSetsPortAndHealthCheckPath(t *testing.T) {
	for _, name := range AWSNames() {
		e, err := Load(os.DirFS(filepath.Join("..", "..", "terraform")), name)
		if err != nil {
			t.Fatal(err)
		}
		if e.ContainerPort != 5000 || e.HealthCheckPath != "/health" {
			t.Errorf("%s: port %d path %q", name, e.ContainerPort, e.HealthCheckPath)
		}
		src, err := os.ReadFile(filepath.Join("..", "..", "terraform", e.TFVarsFile))
		if err != nil {
			t.Fatal(err)
		}
		vars, err := ReadTFVars(src, e.TFVarsFile)
		if err != nil {
			t.Fatal(err)
		}
		if vars["container_port"] == "" || vars["health_check_path"] == "" {
			t.Errorf("terraform/%s does not say container_port and health_check_path", e.TFVarsFile)
		}
	}
}

// Each stack's state has its own key; an endpoint reached by a host name
// gets path-style addressing.
func TestTerraformInitOfEachStack(t *testing.T) {
	e, err := Lookup("stage")
	if err != nil {
		t.Fatal(err)
	}
	e.Region = "af-south-1"
	args, key := e.TerraformInit(StackMain, "bucket-1", false)
	want := []string{"terraform", "init", "-input=false", "-backend-config=bucket=bucket-1",
		"-backend-config=key=credex-core/staging/terraform.tfstate", "-backend-config=region=af-south-1"}
	if key != e.StateKey || strings.Join(args, " ") != strings.Join(want, " ") {
		t.Errorf("main stack: %v, %s", args, key)
	}
	args, key = e.TerraformInit(StackRegistry, "bucket-1", true)
	if key != e.RegistryStateKey || !slices.Contains(args, "-backend-config=key="+e.RegistryStateKey) || args[len(args)-1] != "-backend-config=use_path_style=true" {
		t.Errorf("registry stack with an endpoint: %v, %s", args, key)
	}
}
