package tfplan

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func load(t *testing.T, name string) *Plan {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSummarizeDeploy(t *testing.T) {
	s := Summarize(load(t, "deploy.json"))
	if s.Add != 1 || s.Change != 1 || s.Destroy != 0 || s.Replace != 1 {
		t.Errorf("counts: %+v", s)
	}
	if len(s.Lines) != 3 {
		t.Fatalf("want 3 lines (reads and no-ops left out), got %+v", s.Lines)
	}
	if s.Lines[0] != (Line{Replace, "module.service.aws_ecs_task_definition.this", "an argument that forces replacement changed"}) {
		t.Errorf("first line: %+v", s.Lines[0])
	}
	text := s.Text()
	for _, want := range []string{
		"Plan: 1 to add, 1 to change, 0 to destroy, 1 to replace.",
		"-/+ replace  module.service.aws_ecs_task_definition.this (an argument that forces replacement changed)",
		"~   update   module.service.aws_ecs_service.this",
		"+   create   module.alarms.aws_cloudwatch_metric_alarm.unhealthy_targets",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	md := s.Markdown()
	for _, want := range []string{
		"**Plan: 1 to add, 1 to change, 0 to destroy, 1 to replace.**",
		"| Action | Resource | Why |\n| --- | --- | --- |\n",
		"| ~ update | `module.service.aws_ecs_service.this` |  |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if err := GuardData(load(t, "deploy.json")); err != nil {
		t.Errorf("a deploy plan destroys no data: %v", err)
	}
}

func TestNoChanges(t *testing.T) {
	s := Summarize(load(t, "no_changes.json"))
	if !s.Empty() || !strings.HasPrefix(s.Text(), "No changes") || strings.Contains(s.Markdown(), "| Action") {
		t.Errorf("empty plan: %+v\n%s", s, s.Markdown())
	}
}

func TestGuardRefusesDestroyingADatabase(t *testing.T) {
	err := GuardData(load(t, "destroys_database.json"))
	if !errors.Is(err, ErrDestroysData) {
		t.Fatalf("want ErrDestroysData, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		`replace module.neo4j.aws_instance.this["ledgerspace"] (an argument that forces replacement changed)`,
		`delete module.neo4j.aws_ebs_volume.data["searchspace"] (no longer in count / for_each)`,
		"remove prevent_destroy",
		"run terraform by hand",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	// Updating the secret's version and replacing a listener lose no data.
	for _, not := range []string{"secret_version", "aws_lb_listener"} {
		if strings.Contains(msg, not) {
			t.Errorf("error should not name %s:\n%s", not, msg)
		}
	}
	s := Summarize(load(t, "destroys_database.json"))
	if s.Replace != 2 || s.Destroy != 1 || s.Change != 1 {
		t.Errorf("create-before-destroy counts as replace: %+v", s)
	}
}

func TestDetectDrift(t *testing.T) {
	b, err := os.ReadFile("testdata/drift.json")
	if err != nil {
		t.Fatal(err)
	}
	d, err := DetectDrift(2, b, "")
	if err != nil {
		t.Fatal(err)
	}
	if !d.Drifted || len(d.Summary.Drift) != 2 || d.Summary.Add != 1 || d.Summary.Change != 1 {
		t.Errorf("drift: %+v", d)
	}
	derr := d.Err()
	if !errors.Is(derr, ErrDrift) {
		t.Fatalf("want ErrDrift, got %v", derr)
	}
	for _, want := range []string{
		"Changed outside Terraform since the last apply:",
		`-   delete   module.neo4j.aws_vpc_security_group_ingress_rule.from_tasks["http"]`,
		"~   update   module.service.aws_ecs_service.this",
		"write them into terraform/",
	} {
		if !strings.Contains(derr.Error(), want) {
			t.Errorf("drift error lacks %q:\n%s", want, derr)
		}
	}

	d, err = DetectDrift(0, nil, "")
	if err != nil || d.Drifted || d.Err() != nil || !strings.HasPrefix(d.Text(), "No drift") {
		t.Errorf("exit 0: %+v %v", d, err)
	}
	_, err = DetectDrift(1, nil, "Error: No valid credential sources found\n")
	if err == nil || !strings.Contains(err.Error(), "exit code 1") || !strings.Contains(err.Error(), "No valid credential sources") {
		t.Errorf("exit 1 should be an error carrying terraform's message: %v", err)
	}
}

func TestParseRejectsOtherInput(t *testing.T) {
	for in, want := range map[string]string{
		"not json":                  "reading the plan JSON",
		`{"resource_changes": []}`:  "no format_version",
		`{"format_version": "2.0"}`: "not supported",
		`{"format_version": "1.2", "resource_changes": [{"address":"a","mode":"managed","type":"t","change":{"actions":["create"]}}]}`: "",
	} {
		_, err := Parse([]byte(in))
		if want == "" {
			if err != nil {
				t.Errorf("Parse(%q): %v", in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error with %q", in, err, want)
		}
	}
}

func TestMarkdownEscapesCells(t *testing.T) {
	s := Summary{Add: 1, Lines: []Line{{Create, "aws_x.y[\"a|b\"]", ""}}}
	if !strings.Contains(s.Markdown(), `a\|b`) {
		t.Errorf("pipe not escaped: %s", s.Markdown())
	}
}

func TestCheckForRefusesAnotherEnvironment(t *testing.T) {
	p := load(t, "deploy.json")
	if err := p.CheckFor("staging", ""); err != nil {
		t.Errorf("staging plan for staging: %v", err)
	}
	err := p.CheckFor("production", "222222222222")
	if err == nil || !strings.Contains(err.Error(), `environment = "staging"`) || !strings.Contains(err.Error(), "same --env") {
		t.Errorf("want a refusal naming the plan's environment: %v", err)
	}
}

func TestCheckImage(t *testing.T) {
	good := "123456789012.dkr.ecr.af-south-1.amazonaws.com/credex-core-staging@sha256:" + strings.Repeat("ab", 32)
	if err := CheckImage(good); err != nil {
		t.Errorf("CheckImage(%q) = %v", good, err)
	}
	for _, bad := range []string{"", "credex-core:latest", "repo@sha256:abc", "repo@sha256:" + strings.Repeat("AB", 32), good + " "} {
		err := CheckImage(bad)
		if err == nil || !strings.Contains(err.Error(), "<repository>@sha256:<64 hex digits>") {
			t.Errorf("CheckImage(%q) = %v, want the fix named", bad, err)
		}
	}
}

// The Go check and the stack's own validation must accept the same images.
func TestCheckImageMatchesTheStackValidation(t *testing.T) {
	src, err := os.ReadFile("../../terraform/variables.tf")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), `regex("^[^@\\s]+@sha256:[0-9a-f]{64}$", var.image)`) {
		t.Errorf("terraform/variables.tf's image validation changed: keep internal/tfplan's imagePattern in step")
	}
}
