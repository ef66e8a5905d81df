package source

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

var stackPorts = []StackPort{
	{Port: 5000, Variable: "container_port", Files: []string{"terraform/environments/staging.tfvars"}},
	{Port: 5000, Variable: "container_port", Files: []string{"terraform/environments/production.tfvars"}},
}

func rules(findings []Finding) map[string]Finding {
	out := map[string]Finding{}
	for _, f := range findings {
		if _, seen := out[f.Rule]; !seen {
			out[f.Rule] = f
		}
	}
	return out
}

// The credex-core-shaped fixture has every trait credex-core's Dockerfile
// has; each is reported at its line with its fix.
func TestLintTheFixtureReportsWhatCredexCiWouldFix(t *testing.T) {
	df := parse(t, true, readFile(t, filepath.Join(fixture, "Dockerfile")))
	findings := LintDockerfile(df, LintOptions{Ports: stackPorts})
	got := rules(findings)
	for _, c := range []struct {
		rule     string
		severity Severity
		line     int
		want     []string
	}{
		{RuleUnpinnedBase, Warning, 7, []string{"node:20.18.1-alpine is a tag, not a digest", "FROM node:20.18.1-alpine@sha256:<digest>"}},
		{RuleNoNodeImageArg, Warning, 7, []string{"declares no NODE_IMAGE argument", "--node-image", "is silently ignored", "ARG NODE_IMAGE=node:20.18.1-alpine@sha256:<digest>", "FROM ${NODE_IMAGE} AS base"}},
		{RuleNoRevisionArg, Warning, 21, []string{"stage production declares no REVISION argument", "--revision is ignored", "ARG REVISION", "ENV APP_REVISION=${REVISION}"}},
		{RuleRunsAsRoot, ProtectedError, 21, []string{"stage production runs as root", "USER node"}},
		{RuleNpmCacheInLayer, Warning, 25, []string{"`RUN npm ci --omit=dev`", "stage production", "RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev", "npm cache clean --force"}},
		{RuleExposeMismatch, Error, 27, []string{"`EXPOSE 3000`", "exposes 3000 but the stack sends traffic and health checks to 5000",
			"container_port in terraform/environments/staging.tfvars and terraform/environments/production.tfvars", "set container_port = 3000 in", "EXPOSE 5000"}},
	} {
		f, ok := got[c.rule]
		if !ok {
			t.Errorf("no %s finding in:\n%s", c.rule, Report(df, findings))
			continue
		}
		if f.Severity != c.severity || f.Line != c.line {
			t.Errorf("%s: severity %v line %d, want %v line %d", c.rule, f.Severity, f.Line, c.severity, c.line)
		}
		for _, w := range c.want {
			if !strings.Contains(f.String(), w) {
				t.Errorf("%s: %q does not say %q", c.rule, f.String(), w)
			}
		}
	}
	// Only the npm ci whose layer is in the production image is reported,
	// not base's (production is built FROM node, not FROM base); both FROM
	// lines' tags are.
	var npm, unpinned []int
	for _, f := range findings {
		switch f.Rule {
		case RuleNpmCacheInLayer:
			npm = append(npm, f.Line)
		case RuleUnpinnedBase:
			unpinned = append(unpinned, f.Line)
		}
	}
	if len(npm) != 1 || len(unpinned) != 2 || unpinned[1] != 21 {
		t.Errorf("npm cache findings at lines %v, want [25]; unpinned bases at %v, want [7 21]", npm, unpinned)
	}
	if _, ok := got[RuleSecretLookingArg]; ok {
		t.Errorf("NODE_VERSION reported as a secret")
	}

	report := Report(df, findings)
	if !strings.HasPrefix(report, "the source's Dockerfile: 1 error (expose-port-mismatch), 1 error for production (runs-as-root), 5 warnings (base-image-not-pinned, no-node-image-arg, no-revision-arg, npm-cache-in-layer)") {
		t.Errorf("report starts %q", strings.SplitN(report, "\n", 2)[0])
	}
	if first := strings.SplitN(report, "\n", 3)[1]; !strings.Contains(first, "error at line 27 [expose-port-mismatch]") {
		t.Errorf("errors are not listed first: %q", first)
	}
}

func TestLintWithoutStackPortsSkipsThePortRule(t *testing.T) {
	df := parse(t, true, readFile(t, filepath.Join(fixture, "Dockerfile")))
	if _, ok := rules(LintDockerfile(df, LintOptions{}))[RuleExposeMismatch]; ok {
		t.Error("port reported without a stack port to compare with")
	}
}

// credex-ci's reference Dockerfile is what the check asks for.
func TestTheReferenceDockerfileHasNoFindings(t *testing.T) {
	df := parse(t, false, readFile(t, filepath.Join("..", "..", "Dockerfile")))
	if findings := LintDockerfile(df, LintOptions{Ports: stackPorts}); len(findings) > 0 {
		t.Errorf("the reference Dockerfile has findings:\n%s", Report(df, findings))
	}
}

func TestLintSecretLookingArgs(t *testing.T) {
	df := parse(t, true, []byte(`ARG NPM_TOKEN
ARG NODE_IMAGE=node:22@sha256:`+strings.Repeat("a", 64)+`
FROM ${NODE_IMAGE} AS production
ARG JWT_SECRET=dev NEO_4J_LEDGER_SPACE_PASS API_URL REVISION BUILT_AT PASSENGER_COUNT
ARG DB_PASSWORD
USER node
`))
	var secrets []string
	for _, f := range LintDockerfile(df, LintOptions{}) {
		if f.Rule == RuleSecretLookingArg {
			if f.Severity != Error || !f.Blocks(false) {
				t.Errorf("%s does not fail lint", f.Instruction)
			}
			secrets = append(secrets, f.Instruction)
		} else {
			t.Errorf("unexpected finding %s", f)
		}
	}
	want := "ARG NPM_TOKEN|ARG JWT_SECRET|ARG NEO_4J_LEDGER_SPACE_PASS|ARG DB_PASSWORD"
	if strings.Join(secrets, "|") != want {
		t.Errorf("secret-looking args %q, want %q", strings.Join(secrets, "|"), want)
	}
}

func TestLintUserAndInheritedStages(t *testing.T) {
	pinned := "ARG NODE_IMAGE=node:22@sha256:" + strings.Repeat("b", 64) + "\n"
	for _, c := range []struct {
		name, dockerfile string
		root             bool
	}{
		{"USER in the stage", "FROM ${NODE_IMAGE} AS production\nARG REVISION\nUSER node\n", false},
		{"USER inherited from a parent stage", "FROM ${NODE_IMAGE} AS runtime\nUSER 1000:1000\nFROM runtime AS production\nARG REVISION\n", false},
		{"USER root last", "FROM ${NODE_IMAGE} AS production\nUSER node\nARG REVISION\nUSER root\n", true},
		{"USER only in another stage", "FROM ${NODE_IMAGE} AS build\nUSER node\nFROM ${NODE_IMAGE} AS production\nARG REVISION\n", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			df := parse(t, true, []byte(pinned+c.dockerfile))
			findings := LintDockerfile(df, LintOptions{})
			f, root := rules(findings)[RuleRunsAsRoot]
			if root != c.root || len(findings) != map[bool]int{true: 1, false: 0}[c.root] {
				t.Fatalf("findings:\n%s", Report(df, findings))
			}
			if root && (f.Blocks(false) || !f.Blocks(true)) {
				t.Errorf("runs-as-root must block production deploys only")
			}
		})
	}
}

func TestLintNodeImageArgDeclaredButUnused(t *testing.T) {
	df := parse(t, true, []byte("ARG NODE_IMAGE=node:22\nFROM node:22-alpine AS production\nUSER node\nARG REVISION\n"))
	got := rules(LintDockerfile(df, LintOptions{}))
	if f := got[RuleNoNodeImageArg]; !strings.Contains(f.Problem, "no FROM uses ${NODE_IMAGE}") {
		t.Errorf("no-node-image-arg = %+v", f)
	}
	if _, ok := got[RuleUnpinnedBase]; !ok {
		t.Error("node:22-alpine is not pinned, yet not reported")
	}
}

func TestCheckPortBeforeADeploy(t *testing.T) {
	dockerfile := readFile(t, filepath.Join(fixture, "Dockerfile"))
	err := CheckPort(dockerfile, true, TargetProduction, stackPorts[0])
	if !errors.Is(err, ErrPortMismatch) {
		t.Fatalf("err = %v, want ErrPortMismatch", err)
	}
	mustContain(t, err, "the source's Dockerfile, line 27 `EXPOSE 3000`", "the stack sends traffic and health checks to 5000 (container_port in terraform/environments/staging.tfvars)",
		"fix: make them agree: set container_port = 3000 in terraform/environments/staging.tfvars")

	if err := CheckPort(dockerfile, true, TargetProduction, StackPort{Port: 3000, Variable: "container_port", Files: []string{"x.tfvars"}}); err != nil {
		t.Errorf("matching port: %v", err)
	}
	if err := CheckPort([]byte("FROM node:22 AS production\n"), true, TargetProduction, stackPorts[0]); err != nil {
		t.Errorf("no EXPOSE (PORT decides): %v", err)
	}
	err = CheckPort([]byte("FROM node:22 AS prod\n"), true, TargetProduction, stackPorts[0])
	if !errors.Is(err, ErrNoStage) {
		t.Errorf("no production stage: err = %v, want ErrNoStage", err)
	}
}
