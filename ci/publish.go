package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/great-sun-group/credex-ci/ci/internal/dagger"
	"github.com/great-sun-group/credex-ci/internal/awsconf"
	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/publish"
	"github.com/great-sun-group/credex-ci/internal/source"
)

// Publish builds the production image of a revision for linux/amd64 and
// pushes it to the environment's ECR repository (created by registry),
// tagged with the revision and the environment's name (staging,
// production). Returns the image pinned by digest,
// <repository>@sha256:<digest>, for plan --image. The AWS account and the
// repository are checked before anything is built. The repository's tags
// are immutable: publishing a revision already there builds and pushes
// nothing and returns the digest pushed before.
// +cache="never"
func (m *CredexCi) Publish(
	ctx context.Context,
	// Environment: stage or prod.
	env string,
	// Git commit SHA being published (full 40 hex digits), e.g.
	// $(git rev-parse HEAD): the image's tag and revision label.
	revision string,
	// Build time, RFC 3339, e.g. $(date -u +%Y-%m-%dT%H:%M:%SZ).
	// +optional
	created string,
) (_ string, err error) {
	defer keepMessage(&err)
	e, err := m.loadEnv(ctx, env)
	if err != nil {
		return "", err
	}
	return m.publish(ctx, e, revision, func(ctx context.Context) (*dagger.Container, error) {
		return m.Build(ctx, source.TargetProduction, fargatePlatform, revision, created)
	})
}

// fargatePlatform is the platform ECS Fargate runs the image on.
const fargatePlatform dagger.Platform = "linux/amd64"

// publish pushes the image of revision to the environment's repository,
// tagged revision and the environment's name, and returns
// <repository>@sha256:<digest>. image is asked for only when the revision
// is not in the repository yet, after the account and the repository were
// checked (publish builds there; a deploy's image is already built). The
// ECR password exists only in memory and as a Dagger secret.
func (m *CredexCi) publish(ctx context.Context, e envs.Environment, revision string, image func(context.Context) (*dagger.Container, error)) (string, error) {
	if err := publish.CheckRevision(revision); err != nil {
		return "", err
	}
	cfg, _, err := m.awsConfig(ctx, e)
	if err != nil {
		return "", err
	}
	if _, err := awsconf.Preflight(ctx, cfg, e); err != nil {
		return "", fmt.Errorf("%w; nothing was pushed", err)
	}
	pushHost, err := m.registryHost(ctx)
	if err != nil {
		return "", err
	}
	p := &publish.Publisher{ECR: ecr.NewFromConfig(cfg), Env: e, PushHost: pushHost, Progress: os.Stderr}
	var buildErr error
	res, err := p.Publish(ctx, revision, func(ctx context.Context, ref string, login publish.Login) (string, error) {
		built, err := image(ctx)
		if err != nil {
			buildErr = err
			return "", err
		}
		if err := checkPublishable(ctx, built, revision); err != nil {
			return "", err
		}
		// A fresh name per login (runID): the token expires after 12 hours,
		// and a secret set again under the same name would keep its identity.
		run, err := runID()
		if err != nil {
			return "", err
		}
		password := dag.SetSecret("credex-ci-ecr-password-"+e.Name+"-"+run, login.Password)
		return built.WithRegistryAuth(login.Host, login.Username, password).
			Publish(ctx, ref, dagger.ContainerPublishOpts{RegistryService: m.RegistryService})
	})
	if err != nil {
		if buildErr != nil { // the build's own explanation first, not as a push's
			return "", fmt.Errorf("%w\nNothing was pushed.", buildErr)
		}
		return "", err
	}
	fmt.Fprint(os.Stderr, res.Summary())
	return res.Image, nil
}

// checkPublishable refuses an image Fargate would not run, or one labelled
// with another revision than the tag it is about to get.
func checkPublishable(ctx context.Context, image *dagger.Container, revision string) error {
	platform, err := image.Platform(ctx)
	if err != nil {
		return fmt.Errorf("reading the image's platform: %w", err)
	}
	if platform != fargatePlatform {
		return fmt.Errorf("the image is for %s, but Fargate runs %s: build it with --platform=%s", platform, fargatePlatform, fargatePlatform)
	}
	label, err := image.Label(ctx, source.LabelRevision)
	if err != nil {
		return fmt.Errorf("reading the image's %s label: %w", source.LabelRevision, err)
	}
	if label != "" && label != revision {
		return fmt.Errorf("the image is labelled revision %s but is being published as %s: build it with --revision=%s", label, revision, revision)
	}
	return nil
}

// registryHost is where images are pushed when --registry stands in for
// ECR: localhost:<the service's port>. Container.Publish with the service
// as RegistryService aliases the ref's host (localhost) to the service and
// keeps its port, and the engine speaks plain HTTP to localhost registries
// only (containerd's MatchLocalhost), so the host must be localhost. The
// service is started, and asked once over HTTP, as --aws-endpoint and --api
// are: a registry that is not running is named here, before any build.
func (m *CredexCi) registryHost(ctx context.Context) (string, error) {
	if m.RegistryService == nil {
		return "", nil
	}
	svc, err := startService(ctx, m.RegistryService, "--registry", "registry", "is the registry running on that port of your machine?")
	if err != nil {
		return "", err
	}
	return "localhost:" + svc.port, nil
}
