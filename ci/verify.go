package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/great-sun-group/credex-ci/ci/internal/dagger"
	"github.com/great-sun-group/credex-ci/internal/awsconf"
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
	// The API's base URL; default the stack's api_url output.
	// +optional
	apiURL string,
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
	// Benchmark duration (e.g. 30s); default the environment's policy (stage 30s, prod 60s).
	// +optional
	benchDuration string,
	// S3 bucket holding the Terraform state, read for the defaults above;
	// default credex-terraform-state-<account id>.
	// +optional
	stateBucket string,
) (string, error) {
	e, err := m.loadEnv(ctx, env)
	if err != nil {
		return "", err
	}
	selected, err := verify.ParseChecks(checks)
	if err != nil {
		return "", fmt.Errorf("--checks: %w; nothing was checked", err)
	}
	cfg := verify.Config{
		Env:         e,
		Checks:      selected,
		Target:      report.Target{Cluster: cluster, Service: service, TaskDefinition: taskDefinition, URL: apiURL, Revision: revision},
		Integration: containerSuite{m: m},
		Progress:    os.Stderr,
	}
	if taskDefinition == "" || apiURL == "" {
		out, err := m.terraformOutputs(ctx, env, stateBucket, tfoutputs.ForVerify(taskDefinition != "", apiURL != ""))
		if err != nil {
			return "", err
		}
		if err := cfg.ApplyOutputs(out); err != nil {
			return "", err
		}
	}
	if cfg.Policy, err = verify.PolicyFor(e.Name); err != nil {
		return "", err
	}
	if benchDuration != "" {
		if cfg.Policy.BenchDuration, err = time.ParseDuration(benchDuration); err != nil {
			return "", fmt.Errorf("--bench-duration %q: %w (e.g. --bench-duration=30s)", benchDuration, err)
		}
	}
	static, err := m.staticCredentials(ctx)
	if err != nil {
		return "", err
	}
	if static != nil {
		cfg.Redact = []string{static.AccessKeyID, static.SecretAccessKey, static.SessionToken}
	}
	ep, err := m.endpoint(ctx)
	if err != nil {
		return "", err
	}
	if cfg.AWS, err = awsconf.Load(ctx, awsconf.Options{Region: e.Region, EndpointURL: ep.InProcess, Static: static}); err != nil {
		return "", err
	}
	rep := verify.Run(ctx, cfg)
	md := rep.Markdown()
	if !rep.OK() {
		return md, errors.New(md)
	}
	return md, nil
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
		return e, fmt.Errorf("reading terraform/%s: %w", e.TFVarsFile, err)
	}
	return envs.FromTFVars(name, []byte(tfvars))
}

// staticCredentials reads the constructor's AWS secrets, in memory only;
// nil when none were given (the usual chain applies).
func (m *CredexCi) staticCredentials(ctx context.Context) (*awsconf.StaticCredentials, error) {
	if m.AwsAccessKeyID == nil && m.AwsSecretAccessKey == nil {
		return nil, nil
	}
	if m.AwsAccessKeyID == nil || m.AwsSecretAccessKey == nil {
		return nil, errors.New("pass both --aws-access-key-id and --aws-secret-access-key (e.g. env://AWS_ACCESS_KEY_ID and env://AWS_SECRET_ACCESS_KEY)")
	}
	var c awsconf.StaticCredentials
	var err error
	if c.AccessKeyID, err = m.AwsAccessKeyID.Plaintext(ctx); err != nil {
		return nil, fmt.Errorf("reading --aws-access-key-id: %w", err)
	}
	if c.SecretAccessKey, err = m.AwsSecretAccessKey.Plaintext(ctx); err != nil {
		return nil, fmt.Errorf("reading --aws-secret-access-key: %w", err)
	}
	if m.AwsSessionToken != nil {
		if c.SessionToken, err = m.AwsSessionToken.Plaintext(ctx); err != nil {
			return nil, fmt.Errorf("reading --aws-session-token: %w", err)
		}
	}
	return &c, nil
}

// containerSuite runs the app's integration suite (npm run
// test:integration) in its Dockerfile's test stage, with API_URL set.
type containerSuite struct {
	m *CredexCi
	// with, when set, prepares the test container: binds the services the
	// suite reaches (locally: the API and both databases).
	with func(*dagger.Container) *dagger.Container
	// apiURL, when set, is the API's URL from inside the test container
	// (a service binding's host name), which differs from the one the
	// function's own checks use.
	apiURL string
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
	if s.apiURL != "" {
		apiURL = s.apiURL
	}
	c = c.WithEnvVariable("API_URL", apiURL).
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
