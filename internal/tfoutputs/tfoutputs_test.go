package tfoutputs

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/great-sun-group/credex-ci/internal/envs"
)

func staging(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/staging.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParse(t *testing.T) {
	o, err := Parse(staging(t))
	if err != nil {
		t.Fatal(err)
	}
	if o.ClusterName != "credex-cluster-staging" || o.ServiceName != "credex-core-service-staging" ||
		o.TaskFamily != "credex-core-staging" || o.ContainerName != "credex-core" ||
		o.LogGroupName != "/ecs/credex-core-staging" || o.AWSAccountID != "111111111111" || o.AWSRegion != "af-south-1" ||
		!strings.HasPrefix(o.APIURL, "http://") || !strings.HasSuffix(o.ECRRepositoryURL, "/credex-core-staging") ||
		!strings.Contains(o.TargetGroupARN, ":targetgroup/") {
		t.Errorf("parsed %+v", o)
	}
	if !strings.Contains(o.SecretARNs["neo4j"], ":secret:neo4j_stage_secrets-") || o.SecretNames["app"] != "credex-core-staging-app" || o.Neo4jInstanceIDs["searchspace"] == "" {
		t.Errorf("maps: %+v %+v %+v", o.SecretARNs, o.SecretNames, o.Neo4jInstanceIDs)
	}
	e, _ := envs.Lookup("stage")
	e.AccountID, e.Region = "111111111111", "af-south-1"
	if err := o.Matches(e); err != nil {
		t.Errorf("staging outputs should match stage: %v", err)
	}
}

func TestMatchesCatchesAnotherEnvironment(t *testing.T) {
	o, _ := Parse(staging(t))
	e, _ := envs.Lookup("prod")
	e.AccountID = "222222222222"
	err := o.Matches(e)
	if err == nil {
		t.Fatal("staging outputs must not match prod")
	}
	for _, want := range []string{`cluster_name is "credex-cluster-staging", want "credex-cluster-production"`, `aws_account_id is "111111111111", want "222222222222"`, "terraform/environments/production.tfvars"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestMissingOutputsAreNamed(t *testing.T) {
	b := regexp.MustCompile(`(?m)^  "(api_url|secret_arns)".*\n`).ReplaceAll(staging(t), nil)
	_, err := Parse(b)
	if !errors.Is(err, ErrMissing) {
		t.Fatalf("want ErrMissing, got %v", err)
	}
	if !strings.Contains(err.Error(), "api_url, secret_arns") || !strings.Contains(err.Error(), "terraform/outputs.tf") {
		t.Errorf("error should name the outputs and where they are defined: %v", err)
	}
	if _, err := Parse([]byte(`{}`)); !errors.Is(err, ErrNotApplied) {
		t.Errorf("no outputs: %v", err)
	}
	if _, err := Parse([]byte(`{"cluster_name": {"value": null}}`)); !errors.Is(err, ErrMissing) {
		t.Errorf("null counts as missing: %v", err)
	}
}

func TestWrongTypeIsNamed(t *testing.T) {
	b := strings.Replace(string(staging(t)), `"value": "credex-cluster-staging"`, `"value": 7`, 1)
	_, err := Parse([]byte(b))
	if err == nil || !strings.Contains(err.Error(), "cluster_name") || !strings.Contains(err.Error(), "number") {
		t.Errorf("want an error naming cluster_name and its type: %v", err)
	}
}

func TestRegistry(t *testing.T) {
	r, err := ParseRegistry([]byte(`{"repository_name":{"sensitive":false,"type":"string","value":"credex-core-staging"},"repository_url":{"sensitive":false,"type":"string","value":"111111111111.dkr.ecr.af-south-1.amazonaws.com/credex-core-staging"}}`))
	if err != nil || r.RepositoryName != "credex-core-staging" || !strings.HasSuffix(r.RepositoryURL, "/credex-core-staging") {
		t.Errorf("%+v %v", r, err)
	}
	if _, err := ParseRegistry([]byte(`{"repository_name":{"value":"x"}}`)); err == nil || !strings.Contains(err.Error(), "repository_url") || !strings.Contains(err.Error(), "terraform/registry/outputs.tf") {
		t.Errorf("missing registry output: %v", err)
	}
}

func TestSensitiveOutputIsRefused(t *testing.T) {
	js := strings.Replace(string(partial(t)), `"image": {
    "sensitive": false`, `"image": {
    "sensitive": true`, 1)
	if js == string(partial(t)) {
		t.Fatal("testdata/partial_apply.json changed: update the test")
	}
	_, err := ParseFor([]byte(js), Existing("deploy"))
	if err == nil || !strings.Contains(err.Error(), "terraform output image is marked sensitive") || !strings.Contains(err.Error(), "terraform/outputs.tf") {
		t.Errorf("a sensitive output the pipeline reads must be refused naming it and the file: %v", err)
	}
}

// The contract documented in docs/terraform.md and the stack's outputs.tf;
// and the test bed's cut-down stack (internal/testbed/stack), which the
// pipeline's e2e tests deploy in its place, declares every output the
// pipeline requires or a caller reads, so the two stay in step.
func TestContractIsDeclaredByTheStack(t *testing.T) {
	declares := func(file string, names []string) {
		t.Helper()
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			if !strings.Contains(string(src), `output "`+name+`"`) {
				t.Errorf("%s does not declare output %q", strings.TrimPrefix(file, "../../"), name)
			}
		}
	}
	var all []string
	for _, f := range fields(Outputs{}) {
		all = append(all, f.name)
	}
	declares("../../terraform/outputs.tf", all)
	read := append(append(Contract(), DeployedImage("").Outputs...), ForVerify(false, false).Outputs...)
	declares("../../internal/testbed/stack/outputs.tf", read)
	want := []string{"aws_account_id", "aws_region", "cluster_name", "service_name", "task_family", "container_name", "api_url", "target_group_arn", "ecr_repository_url", "log_group_name", "secret_arns"}
	if got := Contract(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Contract() = %v, want %v", got, want)
	}
}

// testdata/partial_apply.json is the real `terraform output -json` of the
// staging stack after an apply against the test bed that stopped part-way:
// image and the names are there; api_url, task_definition_arn and
// secret_arns are not.
func partial(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/partial_apply.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPartialApplyBlocksOnlyCallersThatNeedMissingOutputs(t *testing.T) {
	if _, err := Parse(partial(t)); !errors.Is(err, ErrMissing) {
		t.Fatalf("the whole contract is not there: want ErrMissing, got %v", err)
	}
	// plan without --image and drift need only the image.
	o, err := ParseFor(partial(t), DeployedImage("plan without --image"))
	if err != nil {
		t.Fatalf("plan needs only image, which the partial state has: %v", err)
	}
	if !strings.HasSuffix(o.Image, "@sha256:0000000000000000000000000000000000000000000000000000000000000001") {
		t.Errorf("image: %q", o.Image)
	}
	// deploy takes whatever the partial state has, and completes the stack.
	if o, err := ParseFor(partial(t), Existing("deploy")); err != nil || o.Image == "" || o.APIURL != "" {
		t.Errorf("deploy reads the outputs that exist: %+v, %v", o, err)
	}
	if _, err := ParseFor(partial(t), WholeContract()); !errors.Is(err, ErrMissing) {
		t.Errorf("after an apply deploy needs the whole contract: %v", err)
	}
	// verify given its targets reads no missing output; the names that are
	// there still match the environment.
	o, err = ParseFor(partial(t), ForVerify(true, true))
	if err != nil {
		t.Fatalf("verify with --task-definition and --api-url: %v", err)
	}
	e, _ := envs.Lookup("stage")
	e.AccountID, e.Region = "000000000000", "af-south-1"
	if err := o.Matches(e); err != nil {
		t.Errorf("the partial outputs that exist belong to stage: %v", err)
	}
	// verify without targets needs both, and says which flags replace them.
	_, err = ParseFor(partial(t), ForVerify(false, false))
	if !errors.Is(err, ErrMissing) {
		t.Fatalf("want ErrMissing, got %v", err)
	}
	for _, want := range []string{"verify needs api_url, task_definition_arn", "pass --task-definition and --api-url", "part-way"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	_, err = ParseFor(partial(t), ForVerify(true, false))
	if err == nil || !strings.Contains(err.Error(), "needs api_url,") || !strings.Contains(err.Error(), "pass --api-url") || strings.Contains(err.Error(), "task_definition_arn") {
		t.Errorf("verify with --task-definition: %v", err)
	}
}

func TestImageMissingSaysPassImage(t *testing.T) {
	b := regexp.MustCompile(`(?m)^  "image".*\n`).ReplaceAll(staging(t), nil)
	_, err := ParseFor(b, DeployedImage("drift without --image"))
	if !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "drift without --image needs image") || !strings.Contains(err.Error(), "pass --image=<repository>@sha256:<digest>") {
		t.Errorf("want the missing image named with --image as the way out: %v", err)
	}
	_, err = ParseFor([]byte(`{}`), DeployedImage("plan without --image"))
	if !errors.Is(err, ErrNotApplied) || !strings.Contains(err.Error(), "pass --image=") {
		t.Errorf("never applied: want ErrNotApplied naming --image: %v", err)
	}
}
