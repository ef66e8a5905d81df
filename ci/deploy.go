package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/great-sun-group/credex-ci/ci/internal/dagger"
	"github.com/great-sun-group/credex-ci/internal/awsconf"
	"github.com/great-sun-group/credex-ci/internal/deploy"
	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/report"
	"github.com/great-sun-group/credex-ci/internal/source"
	"github.com/great-sun-group/credex-ci/internal/tfoutputs"
	"github.com/great-sun-group/credex-ci/internal/verify"
)

// Deploy builds, tests, publishes and deploys the app to an environment as
// one graph, and verifies it: preflight first (the AWS account must be the
// environment's; the source and the revision are checked); then, at the
// same time, the unit tests, the image build, the environment's ECR
// repository (registry, a no-op when it exists) and terraform init; publish
// once the image is built and its tests passed; plan with the published
// digest; apply (skipped when the plan is empty); verify. A failing stage
// cancels what still runs and stops what follows. When verification fails
// after the apply and --rollback-on-failure is on (the default for prod),
// the previous image is planned and applied back and its rollout awaited.
//
// Returns a Markdown summary: image digest, task definition, URL, per-stage
// timings with the critical path, what changed and what did not, the
// verification report (and the rollback's). On failure the summary is the
// error. Running it again with the same revision changes nothing in AWS.
// +cache="never"
func (m *CredexCi) Deploy(
	ctx context.Context,
	// Environment: local (this machine, no AWS: two Neo4j services and the
	// app as a service), stage or prod.
	env string,
	// Git commit SHA being deployed (full 40 hex digits), e.g.
	// $(git rev-parse HEAD): the image's tag, and what /health must report.
	// Required for stage and prod.
	// +optional
	revision string,
	// Required for prod: --confirm=prod. In GitHub Actions pass it only in
	// the job gated by the production environment's required reviewers.
	// +optional
	confirm string,
	// Roll back to the previously deployed image when verification fails
	// after the apply: true or false; default true for prod, false for stage.
	// +optional
	rollbackOnFailure string,
	// The npm script that runs the unit tests (as test --script).
	// +default="test"
	testScript string,
	// A plain environment variable for the unit tests, NAME=value (as test
	// --test-env); repeat the flag for each.
	// +optional
	testEnv []string,
	// The unit tests' secrets, as a dotenv file read as a Dagger secret (as
	// test --test-secrets), e.g. file://./test.env.
	// +optional
	testSecrets *dagger.Secret,
	// Give the unit tests two fresh Neo4j databases and credex-core's
	// NEO_4J_* variables (as test --databases).
	// +optional
	testDatabases bool,
	// Checks to run, comma-separated (rollout,status,health,integration,bench); default all.
	// +optional
	checks string,
	// The API's base URL to verify, on the internet; default the stack's
	// api_url output. For an API on your machine use --api.
	// +optional
	apiURL string,
	// The API to verify as a service on your machine, e.g. tcp://localhost:5055
	// (a test bed's app); default the stack's api_url output.
	// +optional
	api *dagger.Service,
	// Health endpoint, relative to the API's URL.
	// +default="/health"
	healthPath string,
	// Endpoints the benchmark requests, comma-separated; default --health-path.
	// +optional
	benchPaths string,
	// Benchmark duration (e.g. 30s); default the environment's policy (local 10s, stage 30s, prod 60s).
	// +optional
	benchDuration string,
	// Benchmark rate in requests/s; default the environment's policy (stage 20, prod 50).
	// +optional
	benchRate float64,
	// How long to wait for the rollout (e.g. 20m); default the environment's policy (stage 15m, prod 20m).
	// +optional
	rolloutTimeout string,
	// How many times to try the health endpoint; default the environment's policy (stage 20, prod 30).
	// +optional
	healthAttempts int,
	// S3 bucket holding the Terraform state; default credex-terraform-state-<account id>.
	// +optional
	stateBucket string,
) (_ string, err error) {
	defer keepMessage(&err)
	tests := testOptions{Script: testScript, Env: testEnv, Secrets: testSecrets, Databases: testDatabases}
	if local, err := envs.Lookup(env); err == nil && local.Local {
		if apiURL != "" || api != nil || confirm != "" || stateBucket != "" || rollbackOnFailure != "" || rolloutTimeout != "" {
			return "", errors.New("deploy --env=local runs the app itself on this machine, with no AWS: --api-url, --api, --confirm, --state-bucket, --rollback-on-failure and --rollout-timeout are for stage and prod; nothing was started")
		}
		if healthPath != "/health" || benchPaths != "" || benchRate != 0 || healthAttempts != 0 {
			return "", errors.New("deploy --env=local verifies with the local policy: --health-path, --bench-paths, --bench-rate and --health-attempts are for stage and prod (--checks and --bench-duration apply); nothing was started")
		}
		d, err := verify.ParseDuration("bench-duration", benchDuration)
		if err != nil {
			return "", fmt.Errorf("%w; nothing was started", err)
		}
		return m.deployLocal(ctx, localOptions{Revision: revision, Checks: checks, Tune: verify.Overrides{BenchDuration: d}, Tests: tests})
	}
	e, err := m.loadEnv(ctx, env)
	if err != nil {
		return "", err
	}
	if err := deploy.Guard(e, confirm); err != nil {
		return "", err
	}
	rollback, err := deploy.RollbackOnFailure(e, rollbackOnFailure)
	if err != nil {
		return "", err
	}
	s, err := m.stackSteps(ctx, e, stateBucket, verificationArgs{api: api, apiURL: apiURL, checks: checks, healthPath: healthPath, benchPaths: benchPaths,
		benchDuration: benchDuration, benchRate: benchRate, rolloutTimeout: rolloutTimeout, healthAttempts: healthAttempts})
	if err != nil {
		return "", err
	}
	res := deploy.Run(ctx, deploy.Options{
		Env: e, Revision: revision, Confirm: confirm, RollbackOnFailure: rollback,
		Checks: s.v.checks, Progress: os.Stderr, Redact: s.redact,
	}, &deploySteps{stackSteps: s, revision: revision, tests: tests})
	return summary(res)
}

// summary is what deploy and rollback return: the Markdown summary, or an
// error holding it.
func summary(res *deploy.Result) (string, error) {
	md := res.Markdown()
	if !res.OK() {
		return "", errors.New(md)
	}
	return md, nil
}

// stackSteps are the stages a deploy and a rollback share
// (deploy.RollbackSteps): AWS in-process, Terraform in containers.
type stackSteps struct {
	m           *CredexCi
	e           envs.Environment
	stateBucket string
	v           verification
	aws         aws.Config
	redact      []string

	// Set as the stages run, each read only by stages that follow it.
	tf      *dagger.Container // the initialised stack
	planned *dagger.Container // tf with the last saved plan at /work/tfplan
	outputs tfoutputs.Outputs // the stack's, after init and after each apply
}

// stackSteps checks the verification's arguments and loads the AWS
// configuration; nothing calls AWS yet.
func (m *CredexCi) stackSteps(ctx context.Context, e envs.Environment, stateBucket string, a verificationArgs) (*stackSteps, error) {
	v, err := m.verification(ctx, a)
	if err != nil {
		return nil, err
	}
	cfg, redact, err := m.awsConfig(ctx, e)
	if err != nil {
		return nil, err
	}
	return &stackSteps{m: m, e: e, stateBucket: stateBucket, v: v, aws: cfg, redact: redact}, nil
}

// Preflight implements deploy.Stack: STS says whose credentials these are.
func (s *stackSteps) Preflight(ctx context.Context) (string, error) {
	id, err := awsconf.Preflight(ctx, s.aws, s.e)
	if err != nil {
		return "", err
	}
	return id.ARN, nil
}

// Init implements deploy.Stack: terraform init, and what the stack
// deployed last (deploy.ReadDeployed: nothing before the first apply).
func (s *stackSteps) Init(ctx context.Context) (deploy.Deployed, error) {
	_, tf, err := s.m.terraformInit(ctx, s.e.Name, envs.StackMain, s.stateBucket)
	if err != nil {
		return deploy.Deployed{}, err
	}
	s.tf = tf
	js, err := outputJSON(ctx, tf)
	if err != nil {
		return deploy.Deployed{}, err
	}
	d, o, err := deploy.ReadDeployed(s.e, js)
	if err != nil {
		return deploy.Deployed{}, err
	}
	s.outputs = o
	return d, nil
}

// Plan implements deploy.Stack.
func (s *stackSteps) Plan(ctx context.Context, image string) (deploy.Plan, error) {
	planned, sum, err := planImage(ctx, s.e, s.tf, image)
	if err != nil {
		return deploy.Plan{}, err
	}
	s.planned = planned
	return deploy.PlanOf(image, sum), nil
}

// Apply implements deploy.Stack: the saved plan of the last Plan, then the
// outputs it left.
func (s *stackSteps) Apply(ctx context.Context, p deploy.Plan) (deploy.Applied, error) {
	applied, err := applyPlan(ctx, s.e, s.planned)
	if err != nil {
		return deploy.Applied{}, err
	}
	js, err := outputJSON(ctx, applied)
	if err != nil {
		return deploy.Applied{}, fmt.Errorf("the plan was applied, but reading the stack's outputs failed: %w", err)
	}
	a, o, err := deploy.ReadApplied(s.e, js)
	if err != nil {
		return deploy.Applied{}, fmt.Errorf("the plan was applied, but %w", err)
	}
	s.outputs = o
	return a, nil
}

// Verify implements deploy.Stack: internal/verify, with the stack's
// outputs for the cluster, service, container and logs.
func (s *stackSteps) Verify(ctx context.Context, t deploy.Target, checks []string) (*report.Report, error) {
	v := s.v
	v.checks = checks
	target := report.Target{TaskDefinition: t.TaskDefinition, URL: t.URL, Revision: t.Revision}
	cfg, err := s.m.verifyConfig(ctx, s.e, v, target, &s.outputs)
	if err != nil {
		return nil, err
	}
	return verify.Run(ctx, cfg), nil
}

// Previous implements deploy.RollbackSteps: the image before the current
// one, from the task definition family's earlier revisions.
func (s *stackSteps) Previous(ctx context.Context, current deploy.Deployed) (string, string, error) {
	if current.TaskDefinition == "" {
		return "", "", errors.New("the stack has no task_definition_arn output to look back from: pass --image=<repository>@sha256:<digest>")
	}
	return deploy.PreviousImage(ctx, ecs.NewFromConfig(s.aws), current.TaskDefinition, current.Container)
}

// deploySteps are a deploy's stages (deploy.Steps): the stack's, plus the
// source's in containers.
type deploySteps struct {
	*stackSteps
	revision string
	tests    testOptions
	image    *dagger.Container // built
}

// Preflight implements deploy.Steps: the source and its Dockerfile are
// checked too, against the environment's container port (a Dockerfile
// that would not run in the environment stops the deploy here).
func (s *deploySteps) Preflight(ctx context.Context) (string, error) {
	if err := s.m.dockerfileGate(ctx, s.e); err != nil {
		return "", err
	}
	return s.stackSteps.Preflight(ctx)
}

// UnitTests implements deploy.Steps: test's own run, with its settings.
func (s *deploySteps) UnitTests(ctx context.Context) error {
	_, err := s.m.unitTests(ctx, s.tests)
	return err
}

// Build implements deploy.Steps: the production image for Fargate,
// labelled with the revision (no build time, so a revision builds the same
// image again and publish has nothing new to push).
func (s *deploySteps) Build(ctx context.Context) error {
	image, err := s.m.Build(ctx, source.TargetProduction, fargatePlatform, s.revision, "")
	if err != nil {
		return err
	}
	s.image = image // (built: Build returns the image once it is synced)
	return nil
}

// Registry implements deploy.Steps.
func (s *deploySteps) Registry(ctx context.Context) (string, error) {
	return s.m.Registry(ctx, s.e.Name, s.stateBucket)
}

// Publish implements deploy.Steps.
func (s *deploySteps) Publish(ctx context.Context) (string, error) {
	return s.m.publish(ctx, s.e, s.revision, func(context.Context) (*dagger.Container, error) { return s.image, nil })
}
