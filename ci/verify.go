package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/great-sun-group/credex-ci/ci/internal/dagger"
	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/integration"
	"github.com/great-sun-group/credex-ci/internal/report"
	"github.com/great-sun-group/credex-ci/internal/source"
	"github.com/great-sun-group/credex-ci/internal/tfoutputs"
	"github.com/great-sun-group/credex-ci/internal/verify"
)

// Verify checks a deployment and returns the report as Markdown: a preflight
// of the AWS credentials (the account must be the environment's), the
// rollout of the task definition (completed, failed, rolled back by the
// circuit breaker, crash-looping, with stop reasons and log lines), then
// concurrently the service status, GET /health (and the build it reports),
// the app's integration suite in its test container, and a benchmark held to
// the environment's thresholds. It fails, with the report in the error, when
// any check fails.
// +cache="never"
func (m *CredexCi) Verify(
	ctx context.Context,
	// Environment: stage or prod.
	env string,
	// Task definition just deployed: family:revision or ARN; default the
	// stack's task_definition_arn output.
	// +optional
	taskDefinition string,
	// The API's base URL on the internet, e.g. https://api.stage.example;
	// default the stack's api_url output. For an API on your machine use --api.
	// +optional
	apiURL string,
	// The API as a service, for one on your machine (a test bed's app, a
	// local environment): e.g. tcp://localhost:5055. Health and benchmark
	// reach it from the function; the integration suite's container has it
	// bound as http://api:PORT (API_URL).
	// +optional
	api *dagger.Service,
	// Git SHA or image tag the app must report in its health body.
	// +optional
	revision string,
	// ECS cluster; default the stack's or the environment's (e.g. credex-cluster-staging).
	// +optional
	cluster string,
	// ECS service; default the stack's or the environment's (e.g. credex-core-service-staging).
	// +optional
	service string,
	// Checks to run, comma-separated (rollout,status,health,integration,bench); default all.
	// +optional
	checks string,
	// Health endpoint, relative to the API's URL.
	// +default="/health"
	healthPath string,
	// Endpoints the benchmark requests, comma-separated; default --health-path.
	// +optional
	benchPaths string,
	// Benchmark duration (e.g. 30s); default the environment's policy (stage 30s, prod 60s).
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
	// S3 bucket holding the Terraform state, read for the defaults above;
	// default credex-terraform-state-<account id>.
	// +optional
	stateBucket string,
) (_ string, err error) {
	defer keepMessage(&err)
	e, err := m.loadEnv(ctx, env)
	if err != nil {
		return "", err
	}
	v, err := m.verification(ctx, verificationArgs{api: api, apiURL: apiURL, checks: checks, healthPath: healthPath, benchPaths: benchPaths,
		benchDuration: benchDuration, benchRate: benchRate, rolloutTimeout: rolloutTimeout, healthAttempts: healthAttempts})
	if err != nil {
		return "", err
	}
	target := report.Target{Cluster: cluster, Service: service, TaskDefinition: taskDefinition, URL: apiURL, Revision: revision}
	var outputs *tfoutputs.Outputs
	needsTaskDefinition := taskDefinition == "" && slices.Contains(v.checks, verify.CheckRollout)
	needsURL := apiURL == "" && api == nil && verify.NeedsURL(v.checks)
	if needsTaskDefinition || needsURL {
		out, err := m.terraformOutputs(ctx, env, stateBucket, tfoutputs.ForVerify(!needsTaskDefinition, !needsURL))
		if err != nil {
			return "", err
		}
		outputs = &out
	}
	cfg, err := m.verifyConfig(ctx, e, v, target, outputs)
	if err != nil {
		return "", err
	}
	rep := verify.Run(ctx, cfg)
	md := rep.Markdown()
	if !rep.OK() {
		return md, errors.New(md)
	}
	return md, nil
}

// verificationArgs are the arguments verify and deploy share about the
// verification, as given.
type verificationArgs struct {
	api                                                                   *dagger.Service
	apiURL, checks, healthPath, benchPaths, benchDuration, rolloutTimeout string
	benchRate                                                             float64
	healthAttempts                                                        int
}

// verification is those arguments checked, with the API service started.
type verification struct {
	// api is the API as the function and the integration suite reach it;
	// empty for the stack's api_url output.
	api    hostService
	checks []string
	tune   verify.Overrides
}

// apiAlias is the host name the integration suite reaches an --api
// service by.
const apiAlias = "api"

// verification checks the verification's arguments before anything calls
// AWS (the same rules as the credex-ci CLI's flags), and starts an --api
// service.
func (m *CredexCi) verification(ctx context.Context, a verificationArgs) (verification, error) {
	var v verification
	var err error
	if v.checks, err = verify.ParseChecks(a.checks); err != nil {
		return v, fmt.Errorf("--checks: %w; nothing was checked", err)
	}
	v.tune = verify.Overrides{HealthPath: a.healthPath, BenchPaths: a.benchPaths, BenchRate: a.benchRate, HealthAttempts: a.healthAttempts}
	if v.tune.BenchDuration, err = verify.ParseDuration("bench-duration", a.benchDuration); err != nil {
		return v, err
	}
	if v.tune.RolloutTimeout, err = verify.ParseDuration("rollout-timeout", a.rolloutTimeout); err != nil {
		return v, err
	}
	if err := v.tune.Validate(); err != nil {
		return v, err
	}
	switch {
	case a.api != nil && a.apiURL != "":
		return v, errors.New("pass either --api (a service, e.g. tcp://localhost:5055) or --api-url (an http(s) URL on the internet), not both")
	case a.apiURL != "":
		if err := verify.CheckAPIURL(a.apiURL, true); err != nil {
			return v, err
		}
		v.api = hostService{InProcess: a.apiURL, InContainer: a.apiURL}
	case a.api != nil:
		if v.api, err = startService(ctx, a.api, "--api", apiAlias, "is the API running on that port of your machine?"); err != nil {
			return v, err
		}
	}
	return v, nil
}

// verifyConfig is the verification of target in e: the API as given, the
// stack's outputs (when read) for what the target leaves empty, the
// environment's policy with the overrides, and the AWS configuration.
func (m *CredexCi) verifyConfig(ctx context.Context, e envs.Environment, v verification, target report.Target, outputs *tfoutputs.Outputs) (verify.Config, error) {
	if v.api.InProcess != "" {
		target.URL = v.api.InProcess
	}
	cfg := verify.Config{
		Env:         e,
		Checks:      v.checks,
		Target:      target,
		Integration: containerSuite{m: m, api: v.api},
		Progress:    os.Stderr,
	}
	if outputs != nil {
		if err := cfg.ApplyOutputs(*outputs); err != nil {
			return cfg, err
		}
	}
	var err error
	if cfg.Policy, err = verify.PolicyFor(e.Name); err != nil {
		return cfg, err
	}
	if err := v.tune.Apply(&cfg); err != nil {
		return cfg, err
	}
	if cfg.AWS, cfg.Redact, err = m.awsConfig(ctx, e); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// loadEnv reads the environment's account and region from the Terraform
// stack's tfvars file; local, which has none, is refused with the fix.
func (m *CredexCi) loadEnv(ctx context.Context, name string) (envs.Environment, error) {
	e, err := envs.LookupAWS(name)
	if err != nil {
		return e, err
	}
	tfvars, err := m.Terraform.File(e.TFVarsFile).Contents(ctx)
	if err != nil {
		return e, fmt.Errorf("environment %s: reading terraform/%s: %w (--terraform must be the stack's directory, the one holding %s; it defaults to terraform/ of the repository holding dagger.json)", e.Name, e.TFVarsFile, err, e.TFVarsFile)
	}
	return envs.FromTFVars(name, []byte(tfvars))
}

// containerSuite runs the app's integration suite (npm run
// test:integration) in its Dockerfile's test stage, with API_URL set: to
// http://api:PORT with the --api service bound as "api".
type containerSuite struct {
	m   *CredexCi
	api hostService
	// with, when set, prepares the test container further: binds the other
	// services the suite reaches (locally: both databases).
	with func(*dagger.Container) *dagger.Container
}

// Run implements integration.Runner.
func (s containerSuite) Run(ctx context.Context, apiURL string) (integration.Output, error) {
	c, err := s.m.stage(ctx, source.TargetTest)
	if err != nil {
		return integration.Output{}, err
	}
	if s.with != nil {
		c = s.with(c)
	}
	if s.api.InContainer != "" {
		apiURL = s.api.InContainer
	}
	c = s.api.bind(c).
		WithEnvVariable("API_URL", apiURL).
		WithEnvVariable("CI", "true").
		// The suite tests a live service: never reuse a cached run.
		WithEnvVariable("CREDEX_CI_RUN_AT", time.Now().UTC().Format(time.RFC3339Nano)).
		WithExec(integration.DefaultCommand, dagger.ContainerWithExecOpts{Expect: dagger.ReturnTypeAny})
	code, err := c.ExitCode(ctx)
	if err != nil {
		return integration.Output{}, fmt.Errorf("running the integration suite in the test container: %w", err)
	}
	stdout, err := c.Stdout(ctx)
	if err != nil {
		return integration.Output{}, err
	}
	stderr, err := c.Stderr(ctx)
	if err != nil {
		return integration.Output{}, err
	}
	return integration.Output{Raw: []byte(stdout), Log: []byte(stderr), ExitCode: code}, nil
}
