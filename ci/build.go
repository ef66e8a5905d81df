package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/great-sun-group/credex-ci/ci/internal/dagger"
	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/source"
)

// npmCache is the namespaced cache volume holding npm's cache.
const npmCache = "credex-ci-npm-cache"

// buildContext is an application source without what never belongs in a
// build context (source.ContextExclusions: node_modules, local build
// output, .env files, ...).
func buildContext(dir *dagger.Directory) *dagger.Directory {
	return dir.Filter(dagger.DirectoryFilterOpts{Exclude: source.ContextExclusions})
}

// Build builds the service's image from its Dockerfile (or, when it has none,
// the reference Dockerfile), after checking the source in plain Go. The image
// carries OCI labels: revision, created, source, version and title. Its log
// carries a one-line summary of the Dockerfile check (`lint` lists each
// finding with its line and fix); a failed build says which Dockerfile,
// stage and instruction failed and why, above the engine's own error.
func (m *CredexCi) Build(
	ctx context.Context,
	// Dockerfile target: development, test or production.
	// +default="production"
	target string,
	// Platform to build for; Fargate runs linux/amd64.
	// +default="linux/amd64"
	platform dagger.Platform,
	// Git commit SHA being built (full 40 hex digits), e.g. $(git rev-parse HEAD);
	// GET /health reports it (the Dockerfile must declare ARG REVISION).
	// +optional
	revision string,
	// Build time, RFC 3339, e.g. $(date -u +%Y-%m-%dT%H:%M:%SZ).
	// +optional
	created string,
) (_ *dagger.Container, err error) {
	defer keepMessage(&err)
	src, err := m.checked(ctx, target)
	if err != nil {
		return nil, err
	}
	meta, err := source.NewMetadata(src.pkg, revision, created)
	if err != nil {
		return nil, err
	}
	if df, findings, err := m.dockerfileFindings(ctx, src); err != nil {
		fmt.Fprintf(os.Stderr, "Dockerfile check: %v\n", err)
	} else {
		fmt.Fprintf(os.Stderr, "Dockerfile check: %s: %s (`dagger call lint` lists each with its line and fix)\n", df.Name, source.Summary(findings))
	}
	image := m.dockerBuild(src.context, target, platform, meta)
	for _, l := range meta.Labels() {
		image = image.WithLabel(l.Key, l.Value)
	}
	if _, err := image.Sync(ctx); err != nil {
		return nil, src.buildFailure(target, err)
	}
	return image, nil
}

// Lint checks the source (package.json, scripts, lockfile, Dockerfile
// stages), checks the Dockerfile for what credex-ci would fix (unpinned or
// non-overridable base image, no REVISION argument, running as root, npm's
// cache in a layer, an EXPOSE that is not the stack's container_port,
// secret-looking build arguments), and runs `npm run lint` in the test stage
// when the service defines it. It fails on a secret-looking ARG, a port
// mismatch, or a failed `npm run lint`, listing every finding; other
// findings are warnings, printed to its log.
// +check
func (m *CredexCi) Lint(ctx context.Context) (err error) {
	defer keepMessage(&err)
	src, err := m.checked(ctx, source.TargetTest)
	if err != nil {
		return err
	}
	var problems []error
	df, findings, err := m.dockerfileFindings(ctx, src)
	switch {
	case err != nil:
		problems = append(problems, err)
	case slices.ContainsFunc(findings, func(f source.Finding) bool { return f.Blocks(false) }):
		problems = append(problems, fmt.Errorf("Dockerfile check failed: %s", source.Report(df, findings)))
	default:
		fmt.Fprintln(os.Stderr, source.Report(df, findings))
	}
	if src.pkg.HasScript("lint") {
		cmd := []string{"npm", "run", "lint"}
		_, err = m.dockerBuild(src.context, source.TargetTest, "", source.Metadata{}).
			WithMountedCache("/root/.npm", dag.CacheVolume(npmCache)).
			WithExec(cmd).
			Sync(ctx)
		if err != nil {
			problems = append(problems, src.failure("the lint check", source.TargetTest, cmd, err))
		}
	}
	return errors.Join(problems...)
}

// dockerfileFindings runs the Dockerfile check of the Dockerfile a build
// uses, against every environment's container_port.
func (m *CredexCi) dockerfileFindings(ctx context.Context, src *checkedSource) (*source.Dockerfile, []source.Finding, error) {
	df, err := src.parsed()
	if err != nil {
		return nil, nil, err
	}
	ports, err := m.stackPorts(ctx)
	if err != nil {
		return nil, nil, err
	}
	return df, source.LintDockerfile(df, source.LintOptions{Target: source.TargetProduction, Ports: ports}), nil
}

// stackPorts are the container ports of the environments the stack
// deploys, from their tfvars.
func (m *CredexCi) stackPorts(ctx context.Context) ([]source.StackPort, error) {
	var ports []source.StackPort
	for _, name := range envs.AWSNames() {
		e, err := m.loadEnv(ctx, name)
		if err != nil {
			return nil, err
		}
		ports = append(ports, stackPort(e))
	}
	return ports, nil
}

func stackPort(e envs.Environment) source.StackPort {
	return source.StackPort{Port: e.ContainerPort, Variable: "container_port", Files: []string{"terraform/" + e.TFVarsFile}}
}

// dockerfileGate runs the Dockerfile check before a deploy of e, against
// e's container_port, and refuses the deploy when a finding blocks it: a
// secret-looking ARG, an EXPOSE that is not container_port, and, for a
// protected environment (production), an image that runs as root. Deploys
// call it with the other checks that run before anything changes in AWS.
func (m *CredexCi) dockerfileGate(ctx context.Context, e envs.Environment) error {
	src, err := m.checked(ctx, source.TargetProduction)
	if err != nil {
		return err
	}
	df, err := src.parsed()
	if err != nil {
		return err
	}
	findings := source.LintDockerfile(df, source.LintOptions{Target: source.TargetProduction, Ports: []source.StackPort{stackPort(e)}})
	if slices.ContainsFunc(findings, func(f source.Finding) bool { return f.Blocks(e.Protected) }) {
		return fmt.Errorf("the Dockerfile check refuses a deploy to %s: %s", e.TerraformEnv, source.Report(df, findings))
	}
	return nil
}

// checkedSource is a source checked for a build: its build context (the
// source, plus the reference Dockerfile when it has none), its package.json
// and the Dockerfile the build uses.
type checkedSource struct {
	context    *dagger.Directory
	pkg        *source.Package
	dockerfile []byte
	// own is true when the Dockerfile is the source's own.
	own bool
}

func (s *checkedSource) parsed() (*source.Dockerfile, error) {
	name := "the source's Dockerfile"
	if !s.own {
		name = "credex-ci's reference Dockerfile (--source has none)"
	}
	return source.ParseDockerfile(name, s.own, s.dockerfile)
}

// stage returns the built container of a Dockerfile stage for the engine's
// own platform (no image labels, no revision), e.g. the test stage to run a
// test suite in.
func (m *CredexCi) stage(ctx context.Context, target string) (*dagger.Container, error) {
	src, err := m.checked(ctx, target)
	if err != nil {
		return nil, err
	}
	return m.dockerBuild(src.context, target, "", source.Metadata{}), nil
}

// checked validates the source for a build of target, before any container
// work.
func (m *CredexCi) checked(ctx context.Context, target string) (*checkedSource, error) {
	entries, err := m.Source.Entries(ctx)
	if err != nil {
		return nil, fmt.Errorf("read --source: %w", err)
	}
	snap := source.Snapshot{Name: "--source", Entries: entries}
	if snap.PackageJSON, err = m.read(ctx, snap, "package.json"); err != nil {
		return nil, err
	}
	if snap.Dockerfile, err = m.read(ctx, snap, "Dockerfile"); err != nil {
		return nil, err
	}
	src := &checkedSource{context: m.Source, dockerfile: snap.Dockerfile, own: snap.Dockerfile != nil}
	var reference []byte
	if !src.own {
		text, err := m.ReferenceDockerfile.Contents(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the reference Dockerfile: %w", err)
		}
		reference = []byte(text)
		src.dockerfile = reference
		src.context = m.Source.WithFile("Dockerfile", m.ReferenceDockerfile)
	}
	if src.pkg, err = source.CheckBuild(snap, target, reference); err != nil {
		return nil, err
	}
	return src, nil
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

// buildFailure explains a failed Docker build of target: whose Dockerfile,
// the stage and instruction, the cause, with the engine's error below.
func (s *checkedSource) buildFailure(target string, err error) error {
	df, perr := s.parsed()
	if perr != nil {
		return err
	}
	e := source.EngineError{Message: err.Error()}
	var exec *dagger.ExecError
	if errors.As(err, &exec) {
		e.Cmd, e.ExitCode, e.Stdout, e.Stderr = exec.Cmd, exec.ExitCode, exec.Stdout, exec.Stderr
	}
	return source.ExplainBuildError(df, target, e)
}

// failure explains a failed step that runs cmd in a built stage: when cmd
// itself failed, its output (execFailure); when the Docker build before it
// failed, the Dockerfile's instruction and cause (buildFailure).
func (s *checkedSource) failure(what, target string, cmd []string, err error) error {
	var exec *dagger.ExecError
	if errors.As(err, &exec) && len(exec.Cmd) >= len(cmd) && slices.Equal(exec.Cmd[len(exec.Cmd)-len(cmd):], cmd) {
		return execFailure(what, err) // (ending with cmd: an init may precede it)
	}
	return fmt.Errorf("%s: %w", what, s.buildFailure(target, err))
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
