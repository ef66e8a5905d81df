package deploy

import (
	"os"
	"strings"
	"testing"

	"github.com/great-sun-group/credex-ci/internal/tfplan"
)

// Before the first apply the stack deployed nothing; a stack of another
// account is refused; the outputs of an apply name what the service runs.
func TestReadingTheStacksOutputs(t *testing.T) {
	e := stage(t)
	if d, _, err := ReadDeployed(e, []byte("{}")); err != nil || d != (Deployed{}) {
		t.Errorf("before the first apply: %+v, %v", d, err)
	}
	staging, err := os.ReadFile("../tfoutputs/testdata/staging.json")
	if err != nil {
		t.Fatal(err)
	}
	e.AccountID = "111111111111" // the fixture's
	a, o, err := ReadApplied(e, staging)
	if err != nil || a.TaskDefinition != o.TaskDefinitionARN || a.URL != o.APIURL || a.TaskDefinition == "" {
		t.Fatalf("after an apply: %+v, %v", a, err)
	}
	d, _, err := ReadDeployed(e, staging)
	if err != nil || d.Image != o.Image || d.Container != o.ContainerName {
		t.Errorf("deployed: %+v, %v", d, err)
	}
	e.AccountID = "999999999999"
	if _, _, err := ReadDeployed(e, staging); err == nil || !strings.Contains(err.Error(), "999999999999") {
		t.Errorf("another account's outputs: %v", err)
	}
}

func TestPlanOfASummary(t *testing.T) {
	p := PlanOf(newImage, tfplan.Summary{Change: 1, Lines: []tfplan.Line{{Address: "aws_ecs_service.this", Action: "update"}}})
	if p.Image != newImage || p.Changes != 1 || strings.HasPrefix(p.Summary, "Plan:") || strings.HasSuffix(p.Summary, ".") || !strings.Contains(p.Markdown, "aws_ecs_service.this") {
		t.Errorf("%+v", p)
	}
}
