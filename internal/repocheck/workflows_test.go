package repocheck

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/great-sun-group/credex-ci/internal/deploy"
	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/report"
)

// usesLine is a step's or a job's `uses:`; pinnedUses one pinned by a full
// commit SHA with its version in a comment.
var (
	usesLine   = regexp.MustCompile(`^\s*(?:-\s+)?uses:\s*(\S+)(.*)$`)
	pinnedUses = regexp.MustCompile(`^([A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+)@([0-9a-f]{40})$`)
	versionTag = regexp.MustCompile(`^\s*#\s*(v\d+\.\d+\.\d+)\s*$`)
)

type workflow struct {
	Permissions any            `yaml:"permissions"`
	Jobs        map[string]job `yaml:"jobs"`
}

type job struct {
	If          string            `yaml:"if"`
	With        map[string]string `yaml:"with"`
	Permissions any               `yaml:"permissions"`
	Environment any               `yaml:"environment"`
	Concurrency map[string]any    `yaml:"concurrency"`
	Uses        string            `yaml:"uses"`
	Outputs     map[string]string `yaml:"outputs"`
	Steps       []step            `yaml:"steps"`
}

type step struct {
	ID   string            `yaml:"id"`
	Uses string            `yaml:"uses"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
	Run  string            `yaml:"run"`
}

func workflows(t *testing.T) map[string]workflow {
	t.Helper()
	root := repoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows: %v", err)
	}
	all := map[string]workflow{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var w workflow
		if err := yaml.Unmarshal(data, &w); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		all[filepath.Base(f)] = w
	}
	return all
}

// Every third-party action is pinned by a full commit SHA with its version
// in a comment, and one action has one pin across the workflows: a tag can
// be moved to other code, a SHA cannot.
func TestActionsArePinnedByCommit(t *testing.T) {
	root := repoRoot(t)
	files, _ := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	pins := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		for i, line := range strings.Split(string(data), "\n") {
			m := usesLine.FindStringSubmatch(line)
			if m == nil || strings.HasPrefix(m[1], "./") {
				continue // a local reusable workflow or action
			}
			pin := pinnedUses.FindStringSubmatch(m[1])
			tag := versionTag.FindStringSubmatch(m[2])
			if pin == nil || tag == nil {
				t.Errorf("%s:%d: %s: pin it by full commit SHA with its version in a comment (owner/action@<40 hex> # vX.Y.Z)", rel, i+1, m[1])
				continue
			}
			key, value := pin[1], pin[2]+" "+tag[1]
			if prev, ok := pins[key]; ok && prev != value {
				t.Errorf("%s:%d: %s is %s here and %s elsewhere: one action, one pin", rel, i+1, key, value, prev)
			}
			pins[key] = value
		}
	}
	for _, want := range []string{"actions/checkout", "aws-actions/configure-aws-credentials", "dagger/dagger-for-github"} {
		if _, ok := pins[want]; !ok {
			t.Errorf("no workflow uses %s", want)
		}
	}
}

// Least privilege: no workflow grants anything by default, every job says
// what it needs, and only the deploy and rollback jobs may ask GitHub for an
// OIDC token.
// No workflow reads stored AWS keys.
func TestWorkflowsAskForLeastPermissions(t *testing.T) {
	for name, w := range workflows(t) {
		if p, ok := w.Permissions.(map[string]any); !ok || len(p) != 0 {
			t.Errorf("%s: top-level permissions = %v, want {} (each job asks for its own)", name, w.Permissions)
		}
		for id, j := range w.Jobs {
			perms, ok := j.Permissions.(map[string]any)
			if !ok {
				t.Errorf("%s: job %s declares no permissions", name, id)
				continue
			}
			for scope, level := range perms {
				switch {
				case scope == "contents" && level == "read":
				case scope == "id-token" && level == "write" && (name == "deploy.yml" || name == "deploy-environment.yml" || name == "rollback.yml"):
				default:
					t.Errorf("%s: job %s asks for %s: %v; only contents: read (and id-token: write to deploy) are needed", name, id, scope, level)
				}
			}
		}
	}
	root := repoRoot(t)
	files, _ := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if regexp.MustCompile(`secrets\.AWS_|aws-secret-access-key:\s*\$\{\{`).Match(data) {
			t.Errorf("%s: reads stored AWS keys; deploys take short-lived keys from OIDC (role-to-assume)", filepath.Base(f))
		}
	}
}

// The deploy: OIDC credentials that reach Dagger only as env:// secrets,
// the pinned Dagger action and CLI, one deploy per environment at a time
// never cancelled, --confirm=prod only for production, the report to the
// summary and the outputs from it; production behind its environment.
func TestDeployWorkflow(t *testing.T) {
	all := workflows(t)
	caller := all["deploy.yml"]
	envs := map[string]string{}
	for id, j := range caller.Jobs {
		if j.Uses != "./.github/workflows/deploy-environment.yml" {
			t.Errorf("deploy.yml: job %s does not call deploy-environment.yml", id)
		}
		envs[j.With["env"]] = j.With["github-environment"] + " if " + j.If
	}
	if !strings.HasPrefix(envs["stage"], "staging if ") || !strings.Contains(envs["stage"], "refs/heads/stage") {
		t.Errorf("deploy.yml: stage must deploy to the staging environment on a push to stage: %q", envs["stage"])
	}
	if !strings.HasPrefix(envs["prod"], "production if ") || !strings.Contains(envs["prod"], "refs/heads/prod") || !strings.Contains(envs["prod"], "release") {
		t.Errorf("deploy.yml: prod must deploy to the production environment on a push to prod or a release: %q", envs["prod"])
	}

	j, ok := all["deploy-environment.yml"].Jobs["deploy"]
	if !ok {
		t.Fatal("deploy-environment.yml: no deploy job")
	}
	if env, _ := j.Environment.(map[string]any); env["name"] != "${{ inputs.github-environment }}" {
		t.Errorf("deploy-environment.yml: the job runs in environment %v, want the caller's (required reviewers gate production)", j.Environment)
	}
	if j.Concurrency["group"] != "deploy-${{ inputs.env }}" || j.Concurrency["cancel-in-progress"] != false {
		t.Errorf("deploy-environment.yml: concurrency = %v, want group deploy-${{ inputs.env }} and cancel-in-progress: false", j.Concurrency)
	}
	var aws, dagger, result *step
	for i := range j.Steps {
		s := &j.Steps[i]
		switch {
		case strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@"):
			aws = s
		case strings.HasPrefix(s.Uses, "dagger/dagger-for-github@"):
			dagger = s
		case s.ID == "result":
			result = s
		}
	}
	if aws == nil || aws.With["role-to-assume"] == "" || aws.With["aws-access-key-id"] != "" {
		t.Fatalf("deploy-environment.yml: AWS credentials must come from OIDC (configure-aws-credentials with role-to-assume): %+v", aws)
	}
	if dagger == nil {
		t.Fatal("deploy-environment.yml: no dagger/dagger-for-github step")
	}
	call := strings.Join(strings.Fields(dagger.With["call"]), " ")
	for _, want := range []string{
		"--aws-access-key-id=env://AWS_ACCESS_KEY_ID", "--aws-secret-access-key=env://AWS_SECRET_ACCESS_KEY",
		"--aws-session-token=env://AWS_SESSION_TOKEN", "deploy --env=${{ inputs.env }} --revision=${{ github.sha }}",
		"${{ inputs.env == 'prod' && '--confirm=prod' || '' }}",
	} {
		if !strings.Contains(call, want) {
			t.Errorf("deploy-environment.yml: the Dagger call %q lacks %s", call, want)
		}
	}
	if strings.Count(call, "--confirm=") != 1 {
		t.Errorf("deploy-environment.yml: --confirm must appear once, for prod only: %q", call)
	}
	if len(dagger.Env) != 0 {
		t.Errorf("deploy-environment.yml: the Dagger step sets env %v: credentials reach it from configure-aws-credentials, as env:// secrets only", dagger.Env)
	}
	if result == nil || !strings.Contains(result.Run, ".github/scripts/deploy-outputs.sh") || !strings.Contains(result.Run, "GITHUB_STEP_SUMMARY") {
		t.Fatal("deploy-environment.yml: no step `result` writing the report to the summary and the outputs through deploy-outputs.sh")
	}
	if result.Env["REPORT"] != "${{ steps.deploy.outputs.output }}" {
		t.Errorf("deploy-environment.yml: the report must reach the script through env (never inlined into the script): %v", result.Env)
	}
	for _, out := range []string{"image", "image-digest", "task-definition", "task-definition-revision"} {
		if j.Outputs[out] != "${{ steps.result.outputs."+out+" }}" {
			t.Errorf("deploy-environment.yml: job output %s = %q", out, j.Outputs[out])
		}
	}
}

// The job outputs come from the deploy report's table: the script reads
// the summary internal/deploy renders (a real deploy.Result, so a change of
// its format breaks this test) and leaves out what a report of a deploy
// that stopped before publishing does not hold.
func TestDeployOutputsScript(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	script := filepath.Join(repoRoot(t), ".github", "scripts", "deploy-outputs.sh")
	image := "123456789012.dkr.ecr.af-south-1.amazonaws.com/credex-core-staging@sha256:" + strings.Repeat("ab", 32)
	previous := "123456789012.dkr.ecr.af-south-1.amazonaws.com/credex-core-staging@sha256:" + strings.Repeat("cd", 32)
	deployed := "image=" + image + "\nimage-digest=sha256:" + strings.Repeat("ab", 32) +
		"\ntask-definition=credex-core-staging:43\ntask-definition-revision=43\n"
	cases := map[string]struct {
		env   string
		steps *outputSteps
		want  string
	}{
		"deployed": {"stage", &outputSteps{image: image, previous: previous, changes: 2}, deployed},
		// An identical re-run applies nothing: what runs is what ran.
		"nothing to apply":  {"stage", &outputSteps{image: image, previous: image, changes: 0}, deployed},
		"unit tests failed": {"stage", &outputSteps{image: image, previous: previous, testsFail: true}, ""},
		"refused":           {"prod", &outputSteps{image: image, previous: previous}, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			e, err := envs.Lookup(c.env)
			if err != nil {
				t.Fatal(err)
			}
			e.AccountID, e.Region = "123456789012", "af-south-1"
			res := deploy.Run(t.Context(), deploy.Options{Env: e, Revision: strings.Repeat("0123456789", 4)}, c.steps)
			report := filepath.Join(t.TempDir(), "report.md")
			if err := os.WriteFile(report, []byte(res.Markdown()), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("bash", script, report).CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if string(out) != c.want {
				t.Errorf("outputs:\n%s\nwant:\n%s\nfrom the report:\n%s", out, c.want, res.Markdown())
			}
		})
	}
}

// outputSteps are a deploy's stages that succeed at once (unless the unit
// tests are told to fail): publish returns image; the stack deployed
// previous as task definition revision 43, which an apply replaces with 43
// too (the revision this deploy's plan registers).
type outputSteps struct {
	image, previous string
	changes         int
	testsFail       bool
}

const outputTaskDefinition = "arn:aws:ecs:af-south-1:123456789012:task-definition/credex-core-staging:43"

func (s *outputSteps) Preflight(context.Context) (string, error) {
	return "arn:aws:iam::123456789012:role/credex-ci-deploy", nil
}
func (s *outputSteps) UnitTests(context.Context) error {
	if s.testsFail {
		return errors.New("the tests (npm run test): `npm run test` failed with exit code 1")
	}
	return nil
}
func (s *outputSteps) Build(context.Context) error { return nil }
func (s *outputSteps) Registry(context.Context) (string, error) {
	return strings.Split(s.image, "@")[0], nil
}
func (s *outputSteps) Init(context.Context) (deploy.Deployed, error) {
	return deploy.Deployed{Image: s.previous, TaskDefinition: outputTaskDefinition, URL: "https://api.stage.example", Container: "credex-core"}, nil
}
func (s *outputSteps) Publish(context.Context) (string, error) { return s.image, nil }
func (s *outputSteps) Plan(_ context.Context, image string) (deploy.Plan, error) {
	return deploy.Plan{Image: image, Changes: s.changes, Summary: "0 to add, 1 to change, 0 to destroy"}, nil
}
func (s *outputSteps) Apply(context.Context, deploy.Plan) (deploy.Applied, error) {
	return deploy.Applied{TaskDefinition: outputTaskDefinition, URL: "https://api.stage.example"}, nil
}
func (s *outputSteps) Verify(_ context.Context, t deploy.Target, checks []string) (*report.Report, error) {
	rep := &report.Report{Environment: "stage", Target: report.Target{TaskDefinition: t.TaskDefinition, URL: t.URL}}
	for _, c := range checks {
		rep.Add(report.Check{Name: c, Verdict: report.Pass, Summary: c + " ok"})
	}
	return rep, nil
}

// The e2e job's default Node mirror is the same image (digest) as the
// module's default: a mirror, not another Node.
func TestE2EMirrorIsTheDefaultNodeImage(t *testing.T) {
	root := repoRoot(t)
	digest := imageTag(t, root, `defaultNodeImage\s*=\s*"node:[^@"]+@(sha256:[0-9a-f]{64})"`)
	j := workflows(t)["ci.yml"].Jobs["e2e"]
	var mirror string
	for _, s := range j.Steps {
		if v, ok := s.Env["CREDEX_CI_E2E_NODE_IMAGE"]; ok {
			mirror = v
		}
	}
	if mirror == "" {
		t.Fatal("ci.yml: the e2e job passes no CREDEX_CI_E2E_NODE_IMAGE")
	}
	if !strings.Contains(mirror, "@"+digest+"'") {
		t.Errorf("ci.yml: the e2e job's Node mirror %q is not ci/main.go's default digest %s", mirror, digest)
	}
}

// A person runs the very command the workflow runs: the guide's and the
// README's credentials flags are the workflow's, and the guide's deploy is
// the workflow's call with the environment and revision filled in.
func TestGuideRunsTheWorkflowsCommand(t *testing.T) {
	root := repoRoot(t)
	var call string
	for _, s := range workflows(t)["deploy-environment.yml"].Jobs["deploy"].Steps {
		if strings.HasPrefix(s.Uses, "dagger/dagger-for-github@") {
			call = strings.Join(strings.Fields(s.With["call"]), " ")
		}
	}
	creds, deploy, ok := strings.Cut(call, " deploy ")
	if !ok {
		t.Fatalf("deploy-environment.yml: no deploy in the Dagger call %q", call)
	}
	deploy = "deploy " + strings.TrimSpace(strings.Replace(deploy, "${{ inputs.env == 'prod' && '--confirm=prod' || '' }}", "", 1))
	local := strings.NewReplacer("${{ inputs.env }}", "stage", "${{ github.sha }}", "$(git rev-parse HEAD)").Replace(deploy)
	for _, doc := range []string{"docs/operations.md", "README.md"} {
		data, err := os.ReadFile(filepath.Join(root, doc))
		if err != nil {
			t.Fatal(err)
		}
		if want := `AWS="` + creds + `"`; !strings.Contains(string(data), want) {
			t.Errorf("%s: no `%s`: the credentials flags the workflow passes", doc, want)
		}
		if doc == "docs/operations.md" && !strings.Contains(string(data), "dagger call $AWS "+local) {
			t.Errorf("%s: no `dagger call $AWS %s`: the workflow's command, run by a person", doc, local)
		}
	}
}
