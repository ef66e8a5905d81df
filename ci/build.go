package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/great-sun-group/credex-ci/ci/internal/dagger"
	"github.com/great-sun-group/credex-ci/internal/source"
)

// npmCache is the namespaced cache volume holding npm's cache.
const npmCache = "credex-ci-npm-cache"

// Build builds the service's image from its Dockerfile (or, when it has none,
// the reference Dockerfile), after checking the source in plain Go. The image
// carries OCI labels: revision, created, source, version and title.
func (m *CredexCi) Build(
	ctx context.Context,
	// Dockerfile target: development, test or production.
	// +default="production"
	target string,
	// Platform to build for; Fargate runs linux/amd64.
	// +default="linux/amd64"
	platform dagger.Platform,
	// Git commit SHA being built (full 40 hex digits), e.g. $(git rev-parse HEAD);
	// GET /health reports it.
	// +optional
	revision string,
	// Build time, RFC 3339, e.g. $(date -u +%Y-%m-%dT%H:%M:%SZ).
	// +optional
	created string,
) (*dagger.Container, error) {
	buildContext, pkg, err := m.checked(ctx, target)
	if err != nil {
		return nil, err
	}
	meta, err := source.NewMetadata(pkg, revision, created)
	if err != nil {
		return nil, err
	}
	image := m.dockerBuild(buildContext, target, platform, meta)
	for _, l := range meta.Labels() {
		image = image.WithLabel(l.Key, l.Value)
	}
	return image, nil
}

// Test runs the service's unit tests (npm test) in its Dockerfile's test
// stage and returns their output; when a test fails, the error carries the
// failing tests' output.
func (m *CredexCi) Test(ctx context.Context) (string, error) {
	tests, err := m.stage(ctx, source.TargetTest)
	if err != nil {
		return "", err
	}
	out, err := tests.
		WithMountedCache("/root/.npm", dag.CacheVolume(npmCache)).
		WithExec([]string{"npm", "test"}).
		Stdout(ctx)
	if err != nil {
		return "", execFailure("the unit tests", err)
	}
	return out, nil
}

// Lint checks the source (package.json, scripts, lockfile, Dockerfile stages)
// and runs `npm run lint` in the test stage when the service defines it.
// +check
func (m *CredexCi) Lint(ctx context.Context) error {
	buildContext, pkg, err := m.checked(ctx, source.TargetTest)
	if err != nil {
		return err
	}
	if !pkg.HasScript("lint") {
		return nil
	}
	_, err = m.dockerBuild(buildContext, source.TargetTest, "", source.Metadata{}).
		WithMountedCache("/root/.npm", dag.CacheVolume(npmCache)).
		WithExec([]string{"npm", "run", "lint"}).
		Sync(ctx)
	if err != nil {
		return execFailure("the lint check", err)
	}
	return nil
}

// stage returns the built container of a Dockerfile stage for the engine's
// own platform (no image labels, no revision), e.g. the test stage to run a
// test suite in.
func (m *CredexCi) stage(ctx context.Context, target string) (*dagger.Container, error) {
	buildContext, _, err := m.checked(ctx, target)
	if err != nil {
		return nil, err
	}
	return m.dockerBuild(buildContext, target, "", source.Metadata{}), nil
}

// checked validates the source for a build of target, before any container
// work, and returns the build context: the source, plus the reference
// Dockerfile when the source has none.
func (m *CredexCi) checked(ctx context.Context, target string) (*dagger.Directory, *source.Package, error) {
	entries, err := m.Source.Entries(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("read --source: %w", err)
	}
	snap := source.Snapshot{Name: "--source", Entries: entries}
	if snap.PackageJSON, err = m.read(ctx, snap, "package.json"); err != nil {
		return nil, nil, err
	}
	if snap.Dockerfile, err = m.read(ctx, snap, "Dockerfile"); err != nil {
		return nil, nil, err
	}
	buildContext, reference := m.Source, []byte(nil)
	if snap.Dockerfile == nil {
		text, err := m.ReferenceDockerfile.Contents(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("read the reference Dockerfile: %w", err)
		}
		reference = []byte(text)
		buildContext = m.Source.WithFile("Dockerfile", m.ReferenceDockerfile)
	}
	pkg, err := source.CheckBuild(snap, target, reference)
	if err != nil {
		return nil, nil, err
	}
	return buildContext, pkg, nil
}

// read returns a top-level file of the source, nil when it has none.
func (m *CredexCi) read(ctx context.Context, snap source.Snapshot, name string) ([]byte, error) {
	if !snap.Has(name) {
		return nil, nil
	}
	text, err := m.Source.File(name).Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("read %s of --source: %w", name, err)
	}
	return []byte(text), nil
}

// dockerBuild builds a Dockerfile target of a checked build context. Its only
// build arguments are the Node image and the build metadata: never secrets.
func (m *CredexCi) dockerBuild(buildContext *dagger.Directory, target string, platform dagger.Platform, meta source.Metadata) *dagger.Container {
	var args []dagger.BuildArg
	for _, a := range meta.BuildArgs(m.NodeImage) {
		args = append(args, dagger.BuildArg{Name: a.Name, Value: a.Value})
	}
	return buildContext.DockerBuild(dagger.DirectoryDockerBuildOpts{
		Target:    target,
		Platform:  platform,
		BuildArgs: args,
	})
}

// execFailure turns a failed command into an error that carries its output,
// so the caller sees which tests failed and why. It names the command that
// failed, which is not always the one asked for: a test run fails in the
// Dockerfile's `npm ci` or `npm run build` when those fail.
func execFailure(what string, err error) error {
	var exec *dagger.ExecError
	if !errors.As(err, &exec) {
		return fmt.Errorf("%s: %w", what, err)
	}
	cmd := "the command"
	if len(exec.Cmd) > 0 {
		cmd = "`" + strings.Join(exec.Cmd, " ") + "`"
	}
	return fmt.Errorf("%s: %s failed with exit code %d:\n%s\n%s", what, cmd, exec.ExitCode, exec.Stdout, exec.Stderr)
}
