package tfplan

import (
	"os"
	"strings"
	"testing"
)

// The texts under testdata/apply are real Terraform 1.11.4 output: a saved
// plan applied after another apply (colored, as the pipeline's container
// prints it), a file that is not a plan, and an apply of the staging stack
// against the local test bed that stopped part-way (-no-color).
func readApply(t *testing.T, names ...string) string {
	t.Helper()
	var b strings.Builder
	for _, n := range names {
		data, err := os.ReadFile("testdata/apply/" + n)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
		b.WriteByte('\n')
	}
	return b.String()
}

func TestStalePlanAppliedNothing(t *testing.T) {
	f := ReadApplyFailure(readApply(t, "stale.stderr"))
	if !f.Stale || f.Changed() {
		t.Fatalf("want stale and unchanged, got %+v", f)
	}
	msg := f.Explain()
	for _, want := range []string{"Nothing was applied", "stale", "Run plan again"} {
		if !strings.Contains(msg, want) {
			t.Errorf("explanation lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "part-way") {
		t.Errorf("a stale plan applied nothing, but the explanation says part-way: %s", msg)
	}
}

func TestFailureBeforeAnyChange(t *testing.T) {
	f := ReadApplyFailure(readApply(t, "not_a_plan.stderr"))
	if f.Stale || f.Changed() {
		t.Fatalf("got %+v", f)
	}
	if msg := f.Explain(); !strings.HasPrefix(msg, "Nothing was applied: Terraform stopped before changing any resource") {
		t.Errorf("explanation: %s", msg)
	}
}

func TestPartialApplyNamesWhatChanged(t *testing.T) {
	f := ReadApplyFailure(readApply(t, "partial.stdout", "partial.stderr"))
	if f.Stale || !f.Changed() {
		t.Fatalf("got %+v", f)
	}
	has := func(list []ResourceProgress, addr string, a Action) bool {
		for _, p := range list {
			if p.Address == addr && p.Action == a {
				return true
			}
		}
		return false
	}
	for _, addr := range []string{"module.neo4j.aws_dlm_lifecycle_policy.this", "module.network[0].aws_vpc.this", "module.service.aws_cloudwatch_log_group.this"} {
		if !has(f.Completed, addr, Create) {
			t.Errorf("%s completed, but is not in Completed: %+v", addr, f.Completed)
		}
	}
	// Created in the test bed, then failed waiting for it: possibly in AWS.
	if !has(f.Unfinished, "module.service.aws_ecs_cluster.this", Create) {
		t.Errorf("the ECS cluster started and failed: want it in Unfinished, got %+v", f.Unfinished)
	}
	for _, p := range append(append([]ResourceProgress{}, f.Completed...), f.Unfinished...) {
		if strings.Contains(p.Address, ".data.") || strings.HasPrefix(p.Address, "data.") {
			t.Errorf("a data source read is not a change: %+v", p)
		}
		if has(f.Unfinished, p.Address, p.Action) && has(f.Completed, p.Address, p.Action) {
			t.Errorf("%s is both completed and unfinished", p.Address)
		}
	}
	if len(f.Completed) != 15 {
		t.Errorf("the output reports 15 completed changes, got %d", len(f.Completed))
	}
	msg := f.Explain()
	for _, want := range []string{"stopped part-way", "create module.neo4j.aws_dlm_lifecycle_policy.this", "create module.service.aws_ecs_cluster.this", "run plan again"} {
		if !strings.Contains(msg, want) {
			t.Errorf("explanation lacks %q:\n%s", want, msg)
		}
	}
}

func TestProgressLinesOfEveryAction(t *testing.T) {
	out := "\x1b[0m\x1b[1maws_instance.a: Modifying... [id=i-1]\x1b[0m\n" +
		"\x1b[0m\x1b[1maws_instance.a: Modifications complete after 2s [id=i-1]\x1b[0m\n" +
		"aws_instance.b: Destroying... [id=i-2]\n" +
		"aws_instance.b: Still destroying... [id=i-2, 10s elapsed]\n" +
		`module.m.aws_s3_bucket.s["a b"]: Creating...` + "\n"
	f := ReadApplyFailure(out)
	if len(f.Completed) != 1 || f.Completed[0] != (ResourceProgress{"aws_instance.a", Update}) {
		t.Errorf("completed: %+v", f.Completed)
	}
	want := []ResourceProgress{{"aws_instance.b", Delete}, {`module.m.aws_s3_bucket.s["a b"]`, Create}}
	if len(f.Unfinished) != 2 || f.Unfinished[0] != want[0] || f.Unfinished[1] != want[1] {
		t.Errorf("unfinished: %+v", f.Unfinished)
	}
}
