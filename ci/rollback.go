package main

import (
	"context"
	"fmt"
	"os"

	"github.com/great-sun-group/credex-ci/ci/internal/dagger"
	"github.com/great-sun-group/credex-ci/internal/deploy"
	"github.com/great-sun-group/credex-ci/internal/verify"
)

// Rollback returns an environment's service to an earlier image through
// Terraform, like any deploy (plan and apply of that image, so the state
// and AWS agree and drift is clean afterwards), and waits for its rollout:
// preflight; terraform init; the image; plan; apply; rollout, status and
// health. The image is --image, or else the one deployed before the
// current one: the newest earlier revision of the task definition family
// (from the stack's task_definition_arn output) that runs another image.
// Run twice, it returns to where it started; pass --image to go further
// back. Production needs --confirm=prod.
// +cache="never"
func (m *CredexCi) Rollback(
	ctx context.Context,
	// Environment: stage or prod.
	env string,
	// Image to return to, pinned by digest (<repository>@sha256:<digest>);
	// default the image deployed before the current one.
	// +optional
	image string,
	// Required for prod: --confirm=prod.
	// +optional
	confirm string,
	// Checks of the rollback's rollout, comma-separated, among rollout,status,health; default all three.
	// +optional
	checks string,
	// The API's base URL, on the internet; default the stack's api_url output.
	// +optional
	apiURL string,
	// The API as a service on your machine, e.g. tcp://localhost:5055.
	// +optional
	api *dagger.Service,
	// Health endpoint, relative to the API's URL.
	// +default="/health"
	healthPath string,
	// How long to wait for the rollout (e.g. 20m); default the environment's policy.
	// +optional
	rolloutTimeout string,
	// How many times to try the health endpoint; default the environment's policy.
	// +optional
	healthAttempts int,
	// S3 bucket holding the Terraform state; default credex-terraform-state-<account id>.
	// +optional
	stateBucket string,
) (_ string, err error) {
	defer keepMessage(&err)
	e, err := m.loadEnv(ctx, env)
	if err != nil {
		return "", err
	}
	o := deploy.Options{Env: e, Confirm: confirm, Image: image, Progress: os.Stderr} // no Checks: the rollback's own
	if checks != "" {
		if o.Checks, err = verify.ParseChecks(checks); err != nil {
			return "", fmt.Errorf("--checks: %w; nothing was done", err)
		}
	}
	// Refused before the API is started or AWS configured.
	if err := deploy.CheckRollback(o); err != nil {
		return "", err
	}
	s, err := m.stackSteps(ctx, e, stateBucket, verificationArgs{api: api, apiURL: apiURL, checks: checks, healthPath: healthPath,
		rolloutTimeout: rolloutTimeout, healthAttempts: healthAttempts})
	if err != nil {
		return "", err
	}
	o.Redact = s.redact
	res := deploy.Rollback(ctx, o, s)
	return summary(res)
}
