package testbed

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/rollout"
)

// DemoOptions configure StartDemo.
type DemoOptions struct {
	// Scenario is a preset name (ScenarioNames); empty means "healthy".
	Scenario string
	// Step is the simulator's time between two rollout state changes;
	// zero means one second.
	Step time.Duration
	// Listen, AppListen and RegistryListen are where the AWS endpoint, the
	// app and the container registry listen (host:port); empty means
	// 127.0.0.1 on a free port.
	Listen, AppListen, RegistryListen string
	// WithRepository creates the stage environment's ECR repository
	// (IMMUTABLE, as `registry --env=stage` makes it), so publish runs
	// without applying the registry stack first.
	WithRepository bool
	// TerraformDir receives the tfvars naming the bed's account; empty
	// means a new temporary directory, removed by Close.
	TerraformDir string
	// Log receives what happens on the bed (the deployment being staged);
	// nil discards it.
	Log io.Writer
}

// Demo is a test bed with one staged deployment and an app answering
// /health: everything `credex-ci verify` needs, with no AWS.
//
// The deployment is staged when a client first asks ECS DescribeServices
// (the watcher's first look), so that client sees the whole rollout live
// whenever the person starts it.
type Demo struct {
	Scenario string
	Bed      *Bed
	App      *App
	// TaskDefinition is what the staged deployment rolls out
	// (family:revision): a fresh bed registers revision 1, then 2.
	TaskDefinition string
	// TerraformDir holds environments/<env>.tfvars naming AccountID.
	TerraformDir string
	// Revision is the build the app reports.
	Revision string
	// Repository is the ECR repository created (WithRepository), or empty.
	Repository string

	removeDir bool
	setup     Setup
	log       io.Writer
	stage     sync.Once
	staged    chan struct{}
	mu        sync.Mutex
	deployed  *Deployment
	deployErr error
}

// StartDemo starts a bed and the app, stages the scenario's deployment
// (its rollout starts at once) and writes the terraform directory. On
// error nothing is left running.
func StartDemo(ctx context.Context, o DemoOptions) (_ *Demo, err error) {
	if o.Scenario == "" {
		o.Scenario = "healthy"
	}
	setup, err := Preset(o.Scenario, o.Step)
	if err != nil {
		return nil, err
	}
	env, err := envs.Lookup("stage")
	if err != nil {
		return nil, err
	}
	d := &Demo{Scenario: o.Scenario, Revision: Revision, TerraformDir: o.TerraformDir, TaskDefinition: env.TaskFamily() + ":2",
		setup: setup, log: o.Log, staged: make(chan struct{})}
	if d.log == nil {
		d.log = io.Discard
	}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if d.TerraformDir == "" {
		if d.TerraformDir, err = os.MkdirTemp("", "credex-testbed-terraform-"); err != nil {
			return nil, fmt.Errorf("test bed: %w", err)
		}
		d.removeDir = true
	}
	if d.Bed, err = StartWith(ctx, Options{Addr: o.Listen, RegistryAddr: o.RegistryListen}); err != nil {
		return nil, err
	}
	if o.WithRepository {
		if err = d.Bed.CreateRepository(ctx, env.RepositoryName(), false); err != nil {
			return nil, err
		}
		d.Repository = env.RepositoryName()
	}
	if err = WriteTerraformDir(d.TerraformDir, AccountID, d.Bed.Region); err != nil {
		return nil, err
	}
	if d.App, err = StartApp(orFreePort(o.AppListen), d.Revision); err != nil {
		return nil, err
	}
	hook := func(op string) {
		if op == "DescribeServices" {
			d.stage.Do(d.deploy)
		}
	}
	d.Bed.beforeECS.Store(&hook)
	return d, nil
}

// deploy stages the scenario's deployment; its rollout starts at once.
func (d *Demo) deploy() {
	defer close(d.staged)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dep, err := d.Bed.Deploy(ctx, d.setup)
	if err == nil && rollout.ShortTaskDefinition(dep.TaskDefinition) != d.TaskDefinition {
		err = fmt.Errorf("test bed: deployed %s, not the announced %s", dep.TaskDefinition, d.TaskDefinition)
	}
	d.mu.Lock()
	d.deployed, d.deployErr = dep, err
	d.mu.Unlock()
	if err != nil {
		fmt.Fprintf(d.log, "%s test bed: staging the %s deployment failed: %v\n", time.Now().Format(time.TimeOnly), d.Scenario, err)
		return
	}
	fmt.Fprintf(d.log, "%s test bed: a client looked at the service; %s rolls out now (scenario %s)\n", time.Now().Format(time.TimeOnly), d.TaskDefinition, d.Scenario)
}

// Deploy stages the deployment now, if no client has yet, and returns it.
func (d *Demo) Deploy(ctx context.Context) (*Deployment, error) {
	go d.stage.Do(d.deploy)
	select {
	case <-d.staged:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.deployed, d.deployErr
}

func orFreePort(addr string) string {
	if addr == "" {
		return "127.0.0.1:0"
	}
	return addr
}

// Close stops the app and the bed and removes a temporary terraform
// directory.
func (d *Demo) Close() {
	if d.App != nil {
		d.App.Close()
	}
	if d.Bed != nil {
		d.Bed.Close()
	}
	if d.removeDir {
		_ = os.RemoveAll(d.TerraformDir)
	}
}

// Environment is the credentials a client of the bed needs, as
// NAME=value pairs: static test credentials the bed accepts.
func (d *Demo) Environment() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + SecretAccessKey}
}

// VerifyArgs are the arguments of `credex-ci verify` against the demo.
func (d *Demo) VerifyArgs() []string {
	env, _ := envs.Lookup("stage")
	return []string{
		"verify", "--env=" + env.Name,
		"--aws-endpoint-url=" + d.Bed.URL,
		"--terraform-dir=" + d.TerraformDir,
		"--task-definition=" + d.TaskDefinition,
		"--api-url=" + d.App.URL,
		"--revision=" + d.Revision,
	}
}

// DaggerCommand is `dagger call` of a function against the bed: the AWS
// endpoint and the registry as services (tcp://localhost:PORT: inside
// Dagger, 127.0.0.1 is the function's own container), the bed's static
// credentials as secrets, and the demo's terraform directory.
func (d *Demo) DaggerCommand(function string) string {
	_, awsPort, _ := strings.Cut(strings.TrimPrefix(d.Bed.URL, "http://"), ":")
	lines := []string{
		"AWS_ACCESS_KEY_ID=" + AccessKeyID + " AWS_SECRET_ACCESS_KEY=" + SecretAccessKey + " dagger call --source=examples/ledger-api",
		"--terraform=" + d.TerraformDir,
		"--aws-endpoint=tcp://localhost:" + awsPort + " --registry=" + d.Bed.Registry().Service(),
		"--aws-access-key-id=env://AWS_ACCESS_KEY_ID --aws-secret-access-key=env://AWS_SECRET_ACCESS_KEY",
		function,
	}
	return "  " + strings.Join(lines, " \\\n      ")
}

// DaggerVerify is the verify function's part of DaggerCommand: the app too
// as a service on the user's machine (--api=tcp://localhost:PORT), and the
// checks the stand-in app can answer (it has no integration suite).
func (d *Demo) DaggerVerify() string {
	_, appPort, _ := strings.Cut(strings.TrimPrefix(d.App.URL, "http://"), ":")
	env, _ := envs.Lookup("stage")
	return strings.Join([]string{
		"verify --env=" + env.Name + " --task-definition=" + d.TaskDefinition,
		"--api=tcp://localhost:" + appPort + " --revision=" + d.Revision,
		"--checks=rollout,status,health,bench --bench-duration=5s",
	}, " \\\n      ")
}

// Instructions is what a person runs in a second terminal: program is
// how they invoke credex-ci (e.g. "go run ./cmd/credex-ci").
func (d *Demo) Instructions(program string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "credex-ci test bed: local AWS stand-in (kumo + ECS simulator), not AWS.\n\n")
	fmt.Fprintf(&b, "  AWS endpoint   %s (account %s, region %s)\n", d.Bed.URL, AccountID, d.Bed.Region)
	env, _ := envs.Lookup("stage")
	fmt.Fprintf(&b, "  scenario       %s: %s rolls out to %s/%s\n", d.Scenario, d.TaskDefinition, env.ClusterName(), env.ServiceName())
	fmt.Fprintf(&b, "                 as soon as a client first looks at the service, so you watch it live\n")
	fmt.Fprintf(&b, "  app            %s/health reports build %s\n", d.App.URL, d.Revision)
	fmt.Fprintf(&b, "  registry       localhost:%s stands in for ECR's registry (user AWS, the password of ECR GetAuthorizationToken)\n", d.Bed.Registry().Port)
	if d.Repository != "" {
		fmt.Fprintf(&b, "  repository     %s (IMMUTABLE), as `registry --env=stage` creates it\n", d.Repository)
	}
	fmt.Fprintf(&b, "  terraform dir  %s\n\n", d.TerraformDir)
	fmt.Fprintf(&b, "In a second terminal, run:\n\n")
	args := append(d.Environment(), strings.Fields(program)...)
	fmt.Fprintf(&b, "  %s \\\n", strings.Join(args, " "))
	verify := d.VerifyArgs()
	lines := append([]string{strings.Join(verify[:2], " ")}, verify[2:]...)
	for i, l := range lines {
		indent, cont := "      ", " \\"
		if i == 0 {
			indent = "    "
		}
		if i == len(lines)-1 {
			cont = ""
		}
		fmt.Fprintf(&b, "%s%s%s\n", indent, l, cont)
	}
	fmt.Fprintf(&b, "\nAdd --bench-duration=5s for a shorter benchmark. `watch`, `status`, `health` and `bench`\ntake the same flags; run again to see the settled outcome.\n")
	fmt.Fprintf(&b, "\nThrough Dagger (v0.21.8), the module reaches the bed and the app as services\n(inside Dagger, 127.0.0.1 is the function's own container). Verify:\n\n%s\n", d.DaggerCommand(d.DaggerVerify()))
	fmt.Fprintf(&b, "\nPublish:\n\n%s\n", d.DaggerCommand("publish --env=stage --revision=$(git rev-parse HEAD)"))
	if d.Repository == "" {
		fmt.Fprintf(&b, "(publish needs the ECR repository: start the bed with --with-repository, or run `registry --env=stage` first.)\n")
	}
	fmt.Fprintf(&b, "\nCtrl-C stops the test bed.\n")
	return b.String()
}
